#include "training/progress.h"

#include <gtest/gtest.h>

namespace tributary::training {
namespace {

TEST(ProgressTest, ReadsTheTrainersLine) {
  auto p = ParseProgressLine("epoch 3/5 loss=5.0229 val_loss=4.9617 lr=0.001 samples/s=224 elapsed=0:00:01 eta=1:01:02");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->epoch, 3);
  EXPECT_EQ(p->epochs, 5);
  EXPECT_DOUBLE_EQ(*p->loss, 5.0229);
  EXPECT_DOUBLE_EQ(*p->validation_loss, 4.9617);
  EXPECT_DOUBLE_EQ(*p->learning_rate, 0.001);
  EXPECT_DOUBLE_EQ(*p->samples_per_second, 224);
  EXPECT_DOUBLE_EQ(*p->elapsed_seconds, 1);
  EXPECT_DOUBLE_EQ(*p->eta_seconds, 3662);
  nlohmann::json j = ToJson(*p);
  EXPECT_EQ(j["Epoch"], 3);
  EXPECT_EQ(j["EtaSeconds"], 3662);
}

TEST(ProgressTest, MissingAndUnknownFields) {
  auto p = ParseProgressLine("epoch 1/20 loss=7.5 val_loss=- lr=1e-3 colour=blue samples/s=12\r");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->validation_loss);
  EXPECT_FALSE(p->eta_seconds);
  EXPECT_DOUBLE_EQ(*p->samples_per_second, 12);
  EXPECT_FALSE(ToJson(*p).contains("ValidationLoss"));
}

TEST(ProgressTest, OtherLinesAreNotProgress) {
  for (const char* line :
       {"", "trained 5 epochs in 1.0s", "#metric test:RMSE=1.2", "epoch", "epoch x/5 loss=1",
        "epoch 3 loss=1", "tributary train: epochs: must be >= 1", "epochs 1/2"}) {
    EXPECT_FALSE(ParseProgressLine(line)) << line;
  }
}

}  // namespace
}  // namespace tributary::training
