#include "devices/device_authorizer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "devices/test_util.h"
#include "devices/thing_registry.h"
#include "metadata/testing/test_database.h"

namespace tributary::devices {
namespace {

using broker::ClientIdentity;

class DeviceAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db")).value();
    auto r = DeviceRegistry::Open(db_.get(), {.pki_dir = dir_.path() + "/pki",
                                              .admin_token = "s3cret",
                                              .metrics = &metrics_});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(r).value();
    auto t1 = registry_->CreateThing("t1");
    ASSERT_TRUE(t1.ok()) << t1.status().ToString();
    t1_fp_ = t1->certificate.fingerprint;
  }

  ClientIdentity Cert(const std::string& client_id, const std::string& fp) {
    ClientIdentity id;
    id.client_id = client_id;
    id.cert_common_name = "t1";
    id.cert_sha256 = fp;
    id.listener = "tls";
    id.remote_address = "127.0.0.1:40000";
    return id;
  }
  ClientIdentity Password(const std::string& user, const std::string& password) {
    ClientIdentity id;
    id.client_id = "console";
    id.username = user;
    id.password = password;
    id.listener = "ws";
    return id;
  }

  testing::TempDir dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<DeviceRegistry> registry_;
  std::string t1_fp_;
};

TEST_F(DeviceAuthorizerTest, ThingCertificateGetsItsPolicies) {
  auto grant = registry_->authorizer()->Authenticate(Cert("t1", t1_fp_));
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ((*grant)->thing(), "t1");
  EXPECT_TRUE((*grant)->CanPublish("devices/t1/pollution"));
  EXPECT_FALSE((*grant)->CanPublish("devices/t2/pollution"));
  EXPECT_TRUE((*grant)->CanSubscribe("devices/t1/#"));
  EXPECT_FALSE((*grant)->CanSubscribe("#"));
  EXPECT_TRUE((*grant)->CanReceive("devices/t1/cmd"));
  std::string upper;
  for (size_t i = 0; i < t1_fp_.size(); i += 2)
    upper += (i ? ":" : "") + std::string{static_cast<char>(std::toupper(t1_fp_[i])),
                                          static_cast<char>(std::toupper(t1_fp_[i + 1]))};
  EXPECT_TRUE(registry_->authorizer()->Authenticate(Cert("t1", upper)).ok()) << upper;
  EXPECT_NE(metrics_.Render().find(
                "tributary_device_auth_decisions_total{outcome=\"thing\"} 2"),
            std::string::npos)
      << metrics_.Render();
}

TEST_F(DeviceAuthorizerTest, RefusesWrongClientIdUnknownAndInactiveCertificates) {
  auto wrong_id = registry_->authorizer()->Authenticate(Cert("t2", t1_fp_));
  ASSERT_FALSE(wrong_id.ok());
  EXPECT_EQ(wrong_id.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(wrong_id.status().message().find("may not connect with client id 't2'"),
            std::string::npos)
      << wrong_id.status().message();

  std::string unknown(64, 'a');
  auto stranger = registry_->authorizer()->Authenticate(Cert("t1", unknown));
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(stranger.status().message().find(unknown), std::string::npos);

  ASSERT_TRUE(registry_->DeactivateThing("t1").ok());
  auto inactive = registry_->authorizer()->Authenticate(Cert("t1", t1_fp_));
  ASSERT_FALSE(inactive.ok());
  EXPECT_EQ(inactive.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(inactive.status().message().find("thing 't1' is deactivated"), std::string::npos)
      << inactive.status().message();
  ASSERT_TRUE(registry_->ActivateThing("t1").ok());
  EXPECT_TRUE(registry_->authorizer()->Authenticate(Cert("t1", t1_fp_)).ok());

  ASSERT_TRUE(registry_->SetCertificateStatus(t1_fp_, CertificateStatus::kRevoked).ok());
  auto revoked = registry_->authorizer()->Authenticate(Cert("t1", t1_fp_));
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.status().message().find("is revoked"), std::string::npos);

  ASSERT_TRUE(registry_->DeleteThing("t1").ok());
  EXPECT_EQ(registry_->authorizer()->Authenticate(Cert("t1", t1_fp_)).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_NE(metrics_.Render().find(
                "tributary_device_auth_decisions_total{outcome=\"denied\"} 5"),
            std::string::npos)
      << metrics_.Render();
}

TEST_F(DeviceAuthorizerTest, PolicyChangesApplyToTheNextConnection) {
  ASSERT_TRUE(registry_->CreatePolicy("any-client", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "iot:Connect", "Resource": "client/${thing}-*"},
      {"Effect": "Deny", "Action": "iot:Publish", "Resource": "topic/devices/${thing}/secret"}]})")
                  .ok());
  ASSERT_TRUE(registry_->AttachPolicy("any-client", "t1").ok());
  auto grant = registry_->authorizer()->Authenticate(Cert("t1-backup", t1_fp_));
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_TRUE((*grant)->CanPublish("devices/t1/x"));
  EXPECT_FALSE((*grant)->CanPublish("devices/t1/secret"));
}

TEST_F(DeviceAuthorizerTest, AdminPasswordAndAnonymous) {
  auto admin = registry_->authorizer()->Authenticate(Password("admin", "s3cret"));
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  EXPECT_EQ((*admin)->thing(), "");
  EXPECT_EQ((*admin)->principal(), "admin");  // the rules' principal()
  EXPECT_TRUE((*admin)->CanPublish("anything/at/all"));
  EXPECT_TRUE((*admin)->CanSubscribe("#"));

  auto wrong = registry_->authorizer()->Authenticate(Password("admin", "s3cre"));
  EXPECT_EQ(wrong.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(wrong.status().message().find("wrong password for user 'admin'"), std::string::npos);

  ClientIdentity nobody;
  nobody.client_id = "x";
  auto refused = registry_->authorizer()->Authenticate(nobody);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("no client certificate presented"), std::string::npos);
  EXPECT_EQ(registry_->authorizer()->Authenticate(Password("bob", "pw")).status().code(),
            ErrorCode::kUnauthenticated);

  DeviceAuthorizer open(registry_.get(), "", /*allow_anonymous=*/true, nullptr);
  auto anon = open.Authenticate(nobody);
  ASSERT_TRUE(anon.ok());
  EXPECT_TRUE((*anon)->CanPublish("a/b"));
  EXPECT_EQ((*anon)->principal(), "");
  // With no admin token configured the admin login is off, even when anonymous is allowed.
  EXPECT_EQ(open.Authenticate(Password("admin", "")).status().code(), ErrorCode::kUnauthenticated);
}

TEST_F(DeviceAuthorizerTest, AuthenticatesWhileTheRegistryChanges) {
  std::atomic<bool> stop{false};
  std::atomic<int> allowed{0}, refused{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto g = registry_->authorizer()->Authenticate(Cert("t1", t1_fp_));
        if (g.ok()) {
          allowed++;
          if (!(*g)->CanPublish("devices/t1/x") || (*g)->CanPublish("devices/t2/x")) wrong++;
        } else if (g.status().code() == ErrorCode::kPermissionDenied) {
          refused++;
        } else {
          wrong++;
        }
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(registry_->DeactivateThing("t1").ok());
    ASSERT_TRUE(registry_->ActivateThing("t1").ok());
    ASSERT_TRUE(registry_->CreateThing("other-" + std::to_string(i)).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(allowed.load() + refused.load(), 0);
  EXPECT_TRUE(registry_->authorizer()->Authenticate(Cert("t1", t1_fp_)).ok());
}

}  // namespace
}  // namespace tributary::devices
