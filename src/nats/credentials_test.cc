// Credentials files, and proving an identity to the real nats-server with them: a bare
// NKey user (`authorization { users = [ {nkey: ...} ] }`) and a user JWT of an
// operator-mode server (operator, account and user keys made here, JWTs signed with them,
// the account preloaded into the server's memory resolver), with JetStream.
#include "nats/credentials.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <string>

#include "base/testing/temp_dir.h"
#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/testing/inbox.h"
#include "nats/testing/jwt.h"
#include "nats/testing/nats_server.h"

namespace tributary::nats {
namespace {

using testing::Inbox;
using testing::NatsServer;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CredentialsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  testing_support::TempDir dir_;
};

TEST_F(CredentialsTest, ReadsTheJwtAndSeedOfACredsFile) {
  NKeyPair user = NKeyPair::Generate(NKeyType::kUser);
  auto creds = LoadCredsFile(Write("u.creds", testing::CredsFileText("aaa.bbb.ccc", user.Seed())));
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->jwt, "aaa.bbb.ccc");
  EXPECT_EQ(creds->key.PublicKey(), user.PublicKey());

  // A JWT proves the identity: CONNECT carries it and the signature, not the public key.
  SignedNonce s = SignNonce(*creds, "nonce-1");
  EXPECT_EQ(s.jwt, "aaa.bbb.ccc");
  EXPECT_EQ(s.nkey, "");
  EXPECT_EQ(s.sig, Base64UrlEncode(user.Sign("nonce-1")));
  EXPECT_EQ(s.sig.size(), 86u);
}

TEST_F(CredentialsTest, ReadsASeedFileAndSignsWithThePublicKey) {
  NKeyPair user = NKeyPair::Generate(NKeyType::kUser);
  auto creds = LoadNKeySeedFile(Write("u.nk", "\n" + user.Seed() + "\n"));
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  SignedNonce s = SignNonce(*creds, "abc");
  EXPECT_EQ(s.jwt, "");
  EXPECT_EQ(s.nkey, user.PublicKey());
  EXPECT_EQ(s.sig, Base64UrlEncode(user.Sign("abc")));
}

TEST_F(CredentialsTest, BadFilesAreNamedWithWhatIsMissing) {
  NKeyPair user = NKeyPair::Generate(NKeyType::kUser);
  NKeyPair account = NKeyPair::Generate(NKeyType::kAccount);
  std::string full = testing::CredsFileText("aaa.bbb.ccc", user.Seed());
  std::string no_seed = full.substr(0, full.find("-----BEGIN USER NKEY SEED"));
  std::string no_jwt = full.substr(full.find("*****"));
  // One character changed inside the seed (the last one also holds padding bits).
  std::string typo = user.Seed();
  typo[20] = typo[20] == 'A' ? 'B' : 'A';
  struct Case {
    std::string name, text;
    bool creds;  // a .creds file, else a seed file
    const char* says;
  } cases[] = {
      {"no-seed.creds", no_seed, true, "has no '-----BEGIN USER NKEY SEED-----' block"},
      {"no-jwt.creds", no_jwt, true, "has no '-----BEGIN NATS USER JWT-----' block"},
      {"bad-jwt.creds", testing::CredsFileText("not-a-jwt", user.Seed()), true,
       "not three dot-separated parts"},
      {"typo.creds", testing::CredsFileText("a.b.c", typo), true, "fails its checksum"},
      {"account.nk", account.Seed(), false, "the NKey seed is not a user's"},
      {"empty.nk", "\n\n", false, "is empty"},
  };
  for (const Case& c : cases) {
    std::string path = Write(c.name, c.text);
    auto got = c.creds ? LoadCredsFile(path) : LoadNKeySeedFile(path);
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(Has(got.status().message(), path)) << got.status().message();
    EXPECT_TRUE(Has(got.status().message(), c.says)) << got.status().message();
    EXPECT_FALSE(Has(got.status().message(), user.Seed().substr(2, 20))) << "quotes the seed";
  }
  auto missing = LoadCredsFile(dir_.path() + "/none.creds");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Has(missing.status().message(), "none.creds")) << missing.status().message();
}

TEST_F(CredentialsTest, OneIdentityAtATime) {
  ConnectOptions o;
  EXPECT_FALSE(LoadIdentity(o)->has_value());
  o.creds_file = "a.creds";
  o.nkey_seed_file = "a.nk";
  EXPECT_TRUE(Has(LoadIdentity(o).status().message(), "not both"));
  o.nkey_seed_file.clear();
  o.token = "t";
  EXPECT_TRUE(Has(LoadIdentity(o).status().message(), "exclude each other"));
  // Connect checks before it dials.
  EXPECT_EQ(Connection::Connect(o).status().code(), ErrorCode::kInvalidArgument);
}

// A connection to `server` with `file` as its creds (or seed) file.
Result<std::unique_ptr<Connection>> ConnectWith(const NatsServer& server, const std::string& file,
                                                bool creds) {
  ConnectOptions o = server.options();
  (creds ? o.creds_file : o.nkey_seed_file) = file;
  return Connection::Connect(o);
}

// Publishes on one connection and receives on the other.
void ExpectRoundTrip(Connection& a, Connection& b) {
  Inbox inbox;
  ASSERT_TRUE(a.Subscribe("auth.>", inbox.Fn()).ok());
  ASSERT_TRUE(a.Flush(2000).ok());
  ASSERT_TRUE(b.Publish("auth.test", "hello").ok());
  ASSERT_TRUE(inbox.WaitFor(1));
  EXPECT_EQ(inbox.Take().at(0).data, "hello");
}

TEST_F(CredentialsTest, AnNKeyUserSignsTheServersNonce) {
  // The documented pair (nkeys_test.cc) as the server's user, and a stranger's key.
  const std::string seed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
  std::string conf = Write("nkey.conf",
                           "authorization { users = [ { nkey: "
                           "\"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\" } ] }\n");
  NatsServer server({.config_file = conf});
  ASSERT_TRUE(server.Start().ok());

  auto a = ConnectWith(server, Write("user.nk", seed + "\n"), false);
  auto b = ConnectWith(server, Write("user.nk", seed + "\n"), false);
  ASSERT_TRUE(a.ok()) << a.status().ToString() << "\n" << server.LogTail();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ExpectRoundTrip(**a, **b);

  auto stranger = ConnectWith(
      server, Write("stranger.nk", NKeyPair::Generate(NKeyType::kUser).Seed()), false);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(Has(stranger.status().message(), "Authorization Violation"))
      << stranger.status().message();
  auto nothing = Connection::Connect(server.options());
  EXPECT_EQ(nothing.status().code(), ErrorCode::kUnauthenticated) << nothing.status().ToString();
}

// An operator-mode server (testing/jwt.h).
class OperatorModeTest : public CredentialsTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<NatsServer>(NatsServer::Options{.config_file = op_.ConfigFile()});
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  std::string UserCreds(const std::string& name, const NKeyPair* issuer = nullptr) {
    return op_.UserCreds(name, issuer);
  }

  testing::OperatorMode op_{dir_.path()};
  std::unique_ptr<NatsServer> server_;
};

TEST_F(OperatorModeTest, AUserJwtConnectsAndUsesJetStream) {
  auto a = ConnectWith(*server_, UserCreds("alice"), true);
  auto b = ConnectWith(*server_, UserCreds("bob"), true);
  ASSERT_TRUE(a.ok()) << a.status().ToString() << "\n" << server_->LogTail();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ExpectRoundTrip(**a, **b);

  ASSERT_TRUE((*a)->jetstream());
  JetStream js(a->get());
  auto stream = js.EnsureStream({.name = "WORK", .subjects = {"work.>"}});
  ASSERT_TRUE(stream.ok()) << stream.status().ToString() << "\n" << server_->LogTail();
  std::promise<Status> acked;
  js.Publish("work.1", "item", nullptr, 2000,
             [&](const Status& st, uint64_t) { acked.set_value(st); });
  Status st = acked.get_future().get();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(OperatorModeTest, AUserSignedByAnotherAccountIsRefused) {
  NKeyPair stranger_account = NKeyPair::Generate(NKeyType::kAccount);
  auto c = ConnectWith(*server_, UserCreds("mallory", &stranger_account), true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnauthenticated) << c.status().ToString();
  EXPECT_TRUE(Has(c.status().message(), "Authorization Violation")) << c.status().message();

  // The right JWT with another user's seed: the nonce's signature does not match.
  NKeyPair other = NKeyPair::Generate(NKeyType::kUser);
  auto good = LoadCredsFile(UserCreds("carol"));
  ASSERT_TRUE(good.ok());
  auto forged = ConnectWith(
      *server_, Write("forged.creds", testing::CredsFileText(good->jwt, other.Seed())), true);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().code(), ErrorCode::kUnauthenticated) << forged.status().ToString();
}

}  // namespace
}  // namespace tributary::nats
