// NKeys against the vectors NATS's documentation prints (docs.nats.io, "nk" and "NKeys"):
// seeds to public keys, and a signature, which Ed25519 makes deterministic.
#include "nats/nkeys.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace tributary::nats {
namespace {

TEST(NKeys, SeedsGiveTheDocumentedPublicKeys) {
  struct Case {
    const char* seed;
    const char* public_key;
  } cases[] = {
      {"SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY",
       "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"},
      {"SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY",
       "UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT"},
  };
  for (const Case& c : cases) {
    auto key = NKeyPair::FromSeed(c.seed);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->type(), NKeyType::kUser);
    EXPECT_EQ(key->PublicKey(), c.public_key);
    EXPECT_EQ(key->Seed(), c.seed);
  }
}

TEST(NKeys, SignsAsTheDocumentedSignature) {
  // `nk -sign some.txt` of "Hello World!" typed into `cat > some.txt` (so with its newline).
  auto key = NKeyPair::FromSeed("SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Base64UrlEncode(key->Sign("Hello World!\n")),
            "0CK1XmkxNfUGfudxliWTWeoETgIo23m9qowS9yTfYFSrjR8HgAW63jQ3NxPU_jG38hZPW61IZSun37N690CkDg");
}

TEST(NKeys, GeneratedKeysRoundTripWithTheirTypesLetters) {
  struct Case {
    NKeyType type;
    char letter;
  } cases[] = {{NKeyType::kUser, 'U'},    {NKeyType::kAccount, 'A'}, {NKeyType::kOperator, 'O'},
               {NKeyType::kServer, 'N'},  {NKeyType::kCluster, 'C'}};
  for (const Case& c : cases) {
    NKeyPair key = NKeyPair::Generate(c.type);
    std::string pub = key.PublicKey(), seed = key.Seed();
    EXPECT_EQ(pub.size(), 56u);
    EXPECT_EQ(pub[0], c.letter);
    EXPECT_EQ(seed.size(), 58u);
    EXPECT_EQ(seed[0], 'S');
    EXPECT_EQ(seed[1], c.letter);
    auto back = NKeyPair::FromSeed(seed + "\n");  // as read from a file
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->type(), c.type);
    EXPECT_EQ(back->PublicKey(), pub);
    EXPECT_EQ(back->Sign("nonce"), key.Sign("nonce"));
  }
  EXPECT_NE(NKeyPair::Generate(NKeyType::kUser).PublicKey(),
            NKeyPair::Generate(NKeyType::kUser).PublicKey());
}

TEST(NKeys, BadSeedsSayWhatIsWrongWithoutQuotingThem) {
  const std::string good = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
  std::string typo = good;
  typo[20] = typo[20] == 'A' ? 'B' : 'A';
  std::string lower = good;
  lower[10] = 'x';
  struct Case {
    std::string seed;
    const char* says;
  } cases[] = {
      {"", "has 0 characters"},
      {good.substr(0, 57), "has 57 characters, not 58"},
      {"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", "has 56 characters"},
      {lower, "outside base32"},
      {typo, "fails its checksum"},
  };
  for (const Case& c : cases) {
    auto key = NKeyPair::FromSeed(c.seed);
    ASSERT_FALSE(key.ok()) << c.seed;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(key.status().message().find(c.says), std::string::npos) << key.status().message();
    if (!c.seed.empty()) {
      EXPECT_EQ(key.status().message().find(c.seed), std::string::npos) << "quotes the seed";
    }
  }
}

}  // namespace
}  // namespace tributary::nats
