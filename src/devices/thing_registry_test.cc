#include "devices/thing_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include "base/ascii.h"
#include "devices/test_util.h"
#include "metadata/testing/test_database.h"

namespace tributary::devices {
namespace {

using metadata::Database;

class ThingRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    OpenRegistry();
  }
  void OpenRegistry() {
    registry_.reset();
    auto r = DeviceRegistry::Open(db_.get(), {.pki_dir = dir_.path() + "/pki", .admin_token = "s"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(r).value();
    registry_->SetDeactivationCallback([this](const std::string& t) { closed_.push_back(t); });
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<DeviceRegistry> registry_;
  std::vector<std::string> closed_;
};

TEST_F(ThingRegistryTest, CreateListDescribe) {
  auto created = registry_->CreateThing("t1", {{"room", "kitchen"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->thing.name, "t1");
  EXPECT_EQ(created->policies, std::vector<std::string>{"default"});
  EXPECT_TRUE(registry_->ca().Verify(created->certificate.cert_pem).ok());
  EXPECT_NE(created->certificate.key_pem.find("PRIVATE KEY"), std::string::npos);
  ASSERT_TRUE(registry_->CreateThing("a0").ok());

  auto things = registry_->ListThings();
  ASSERT_TRUE(things.ok());
  ASSERT_EQ(things->size(), 2u);
  EXPECT_EQ((*things)[0].name, "a0");
  EXPECT_EQ((*things)[1].name, "t1");
  EXPECT_EQ((*things)[1].attributes["room"], "kitchen");

  auto d = registry_->DescribeThing("t1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->thing.active);
  ASSERT_EQ(d->certificates.size(), 1u);
  EXPECT_EQ(d->certificates[0].fingerprint, created->certificate.fingerprint);
  EXPECT_EQ(d->certificates[0].status, CertificateStatus::kActive);
  EXPECT_EQ(d->certificates[0].pem, created->certificate.cert_pem);
  EXPECT_NEAR(static_cast<double>(d->certificates[0].expires_at_ms - d->certificates[0].created_at_ms),
              365.0 * 86400 * 1000, 600.0 * 1000);
  EXPECT_EQ(d->policies, std::vector<std::string>{"default"});

  // The private key is handed out once and never stored.
  auto keys = db_->Query("SELECT count(*) FROM thing_certificates WHERE pem LIKE '%PRIVATE KEY%'");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)[0].Int(0), 0);

  nlohmann::json j = ToJson(*d);
  EXPECT_EQ(j["name"], "t1");
  EXPECT_EQ(j["certificates"][0]["status"], "active");
  EXPECT_EQ(j["policies"][0], "default");
  EXPECT_TRUE(ToJson(*created)["certificate"]["private_key_pem"].is_string());

  auto dup = registry_->CreateThing("t1");
  EXPECT_EQ(dup.status().code(), ErrorCode::kAlreadyExists);
  auto no_policy = registry_->CreateThing("t2", nlohmann::json::object(), {"missing"});
  EXPECT_EQ(no_policy.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->DescribeThing("t2").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->CreateThing("t3", nlohmann::json::array()).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(ThingRegistryTest, AttributesAreMergedOrReplacedAndDescribedToRules) {
  ASSERT_TRUE(registry_->CreateThing("t1", {{"site", "Gracia"}, {"floor", "3"}}).ok());
  auto description = [&](const std::string& name) {
    auto d = registry_->RegistryDescription(name);
    return d ? nlohmann::json::parse(*d) : nlohmann::json();
  };
  EXPECT_EQ(description("t1"), nlohmann::json::parse(R"({"thingName": "t1", "defaultClientId": "t1",
      "thingArn": "arn:aws:iot:local:000000000000:thing/t1", "attributes": {"site": "Gracia", "floor": "3"}})"));
  EXPECT_EQ(registry_->RegistryDescription("t2"), nullptr);

  // Merged: set, replaced, and removed by null or "" (AWS's way).
  auto merged = registry_->UpdateThingAttributes(
      "t1", {{"site", "Sants"}, {"floor", nullptr}, {"room", "2"}}, true);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->attributes, nlohmann::json({{"site", "Sants"}, {"room", "2"}}));
  ASSERT_TRUE(registry_->UpdateThingAttributes("t1", {{"room", ""}}, true).ok());
  EXPECT_EQ(description("t1")["attributes"], nlohmann::json({{"site", "Sants"}}));
  // Replaced.
  ASSERT_TRUE(registry_->UpdateThingAttributes("t1", {{"zone", "north"}}, false).ok());
  EXPECT_EQ(description("t1")["attributes"], nlohmann::json({{"zone", "north"}}));
  EXPECT_EQ(registry_->DescribeThing("t1")->thing.attributes, nlohmann::json({{"zone", "north"}}));

  // Refused, nothing changed: not an object, too big once merged, no such thing.
  EXPECT_EQ(registry_->UpdateThingAttributes("t1", "zone=south", true).status().code(),
            ErrorCode::kInvalidArgument);
  auto big = registry_->UpdateThingAttributes("t1", {{"note", std::string(9000, 'x')}}, true);
  EXPECT_EQ(big.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("the limit is 8192"), std::string::npos)
      << big.status().message();
  EXPECT_EQ(registry_->UpdateThingAttributes("t9", {{"a", "1"}}, true).status().code(),
            ErrorCode::kNotFound);
  // A name AWS IoT would refuse (what `--attribute '[site=x,floor=2]'` makes).
  EXPECT_EQ(
      registry_->UpdateThingAttributes("t1", {{"[site", "x,floor=2]"}}, true).status().message(),
      "thing attribute name '[site' must be 1-128 letters, digits and _ . , @ / : # -");
  EXPECT_TRUE(registry_->UpdateThingAttributes("t1", {{"a_b.c,d@e/f:g#h-i", "1"}}, false).ok());
  EXPECT_EQ(registry_->CreateThing("t3", {{std::string(129, 'a'), "1"}}).status().code(),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(registry_->UpdateThingAttributes("t1", {{"zone", "north"}}, false).ok());
  EXPECT_EQ(description("t1")["attributes"], nlohmann::json({{"zone", "north"}}));

  // Kept across a restart, and no connection was closed by any of it.
  OpenRegistry();
  EXPECT_EQ(description("t1")["attributes"], nlohmann::json({{"zone", "north"}}));
  EXPECT_TRUE(closed_.empty());
}

TEST_F(ThingRegistryTest, ValidatesThingNames) {
  struct Case {
    std::string name;
    std::string error;  // "" when valid
  };
  const Case cases[] = {
      {"sensor-1", ""},
      {"a:b_c-D9", ""},
      {std::string(128, 'x'), ""},
      {"", "1-128 characters, got 0"},
      {std::string(129, 'x'), "1-128 characters, got 129"},
      {"a b", "character ' ' at position 1"},
      {"devices/t1", "character '/' at position 7"},
      {"t#", "character '#' at position 1"},
      {"\xc3\xa9t", "character 0xc3 at position 0"},
  };
  for (const Case& c : cases) {
    Status st = ValidateThingName(c.name);
    if (c.error.empty()) {
      EXPECT_TRUE(st.ok()) << c.name << ": " << st.ToString();
    } else {
      EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << c.name;
      EXPECT_NE(st.message().find(c.error), std::string::npos) << st.message();
    }
  }
  EXPECT_EQ(registry_->CreateThing("bad name").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ThingRegistryTest, DeactivateActivateDelete) {
  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  const std::string fp = created->certificate.fingerprint;
  auto lookup = registry_->LookupCertificate(fp);
  ASSERT_TRUE(lookup.has_value());
  EXPECT_EQ(lookup->thing, "t1");
  EXPECT_TRUE(lookup->thing_active);
  EXPECT_EQ(lookup->policies.size(), 1u);

  ASSERT_TRUE(registry_->DeactivateThing("t1").ok());
  EXPECT_EQ(closed_, std::vector<std::string>{"t1"});
  auto d = registry_->DescribeThing("t1");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->thing.active);
  EXPECT_EQ(d->certificates[0].status, CertificateStatus::kInactive);
  EXPECT_FALSE(registry_->LookupCertificate(fp)->thing_active);
  EXPECT_EQ(registry_->LookupCertificate(fp)->status, CertificateStatus::kInactive);

  ASSERT_TRUE(registry_->ActivateThing("t1").ok());
  EXPECT_TRUE(registry_->LookupCertificate(fp)->thing_active);
  EXPECT_EQ(registry_->LookupCertificate(fp)->status, CertificateStatus::kActive);
  EXPECT_EQ(registry_->DescribeThing("t1")->certificates[0].status, CertificateStatus::kActive);

  ASSERT_TRUE(registry_->DeleteThing("t1").ok());
  EXPECT_EQ(closed_, (std::vector<std::string>{"t1", "t1"}));
  EXPECT_EQ(registry_->DescribeThing("t1").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(registry_->LookupCertificate(fp).has_value());
  auto rows = db_->Query("SELECT count(*) FROM thing_certificates");
  EXPECT_EQ((*rows)[0].Int(0), 0);
  rows = db_->Query("SELECT count(*) FROM thing_policy_attachments");
  EXPECT_EQ((*rows)[0].Int(0), 0);

  Status again = registry_->DeleteThing("t1");
  EXPECT_EQ(again.code(), ErrorCode::kNotFound);
  EXPECT_NE(again.message().find("'t1'"), std::string::npos);
  EXPECT_EQ(registry_->DeactivateThing("nope").code(), ErrorCode::kNotFound);
  EXPECT_EQ(closed_.size(), 2u) << "callback fired for a failed operation";
}

TEST_F(ThingRegistryTest, MirrorSurvivesReopen) {
  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(registry_->DeactivateThing("t1").ok());
  std::string ca_fp = registry_->ca().ca_fingerprint();
  OpenRegistry();
  EXPECT_EQ(registry_->ca().ca_fingerprint(), ca_fp);
  auto lookup = registry_->LookupCertificate(created->certificate.fingerprint);
  ASSERT_TRUE(lookup.has_value());
  EXPECT_EQ(lookup->thing, "t1");
  EXPECT_FALSE(lookup->thing_active);
  EXPECT_EQ(lookup->policies.size(), 1u);
}

// A data directory made before device shadows keeps an unchanged default policy that
// grants only devices/<thing>/*: opening it gives today's, with the thing's shadows; an
// edited one is left as the administrator wrote it.
TEST_F(ThingRegistryTest, AnEarlierUnchangedDefaultPolicyGainsTheShadowTopics) {
  const std::string earlier = R"({"Version": "2012-10-17", "Statement": [
    {"Sid": "ConnectWithOwnName", "Effect": "Allow", "Action": "iot:Connect", "Resource": "client/${thing}"},
    {"Sid": "OwnTopics", "Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": "topic/devices/${thing}/*"},
    {"Sid": "OwnFilters", "Effect": "Allow", "Action": "iot:Subscribe", "Resource": "topicfilter/devices/${thing}/*"}]})";
  auto set_default = [this](const std::string& text) {
    ASSERT_TRUE(db_->Exec("UPDATE thing_policies SET document=? WHERE name='default'",
                          {metadata::Value(nlohmann::json::parse(text).dump())})
                    .ok());
  };
  set_default(earlier);
  OpenRegistry();
  auto upgraded = registry_->GetPolicy("default");
  ASSERT_TRUE(upgraded.ok());
  EXPECT_EQ(upgraded->document, nlohmann::json::parse(DefaultPolicyJson()));
  EXPECT_NE(upgraded->document.dump().find("$aws/things/${thing}/shadow/*"), std::string::npos);

  const std::string edited = R"({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iot:Connect", "Resource": "client/${thing}"}]})";
  set_default(edited);
  OpenRegistry();
  auto kept = registry_->GetPolicy("default");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->document, nlohmann::json::parse(edited));
}

TEST_F(ThingRegistryTest, PolicyLifecycle) {
  const std::string doc = R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "iot:Publish", "Resource": "topic/shared/*"}]})";
  auto bad = registry_->CreatePolicy("p1", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "iot:Pub", "Resource": "*"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("policy 'p1': Statement[0].Action: unknown action"),
            std::string::npos)
      << bad.status().message();
  EXPECT_EQ(registry_->CreatePolicy("bad/name", doc).status().code(), ErrorCode::kInvalidArgument);

  auto p = registry_->CreatePolicy("p1", doc);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->document["Statement"][0]["Resource"], "topic/shared/*");
  EXPECT_EQ(registry_->CreatePolicy("p1", doc).status().code(), ErrorCode::kAlreadyExists);

  auto list = registry_->ListPolicies();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "default");
  EXPECT_EQ((*list)[1].name, "p1");

  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  const std::string fp = created->certificate.fingerprint;
  ASSERT_TRUE(registry_->AttachPolicy("p1", "t1").ok());
  EXPECT_EQ(registry_->DescribeThing("t1")->policies, (std::vector<std::string>{"default", "p1"}));
  // The list names each policy's things, a policy without any included.
  ASSERT_TRUE(registry_->CreatePolicy("a0", doc).ok());
  ASSERT_TRUE(registry_->CreateThing("t0").ok());
  auto listed = registry_->ListPolicies();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "a0");
  EXPECT_EQ((*listed)[0].things, std::vector<std::string>{});
  EXPECT_EQ((*listed)[1].things, (std::vector<std::string>{"t0", "t1"}));  // default
  EXPECT_EQ((*listed)[2].things, (std::vector<std::string>{"t1"}));
  EXPECT_EQ((*listed)[2].document["Statement"][0]["Resource"], "topic/shared/*");
  EXPECT_EQ(registry_->LookupCertificate(fp)->policies.size(), 2u);
  EXPECT_EQ(registry_->GetPolicy("p1")->things, std::vector<std::string>{"t1"});
  EXPECT_EQ(registry_->AttachPolicy("p1", "ghost").code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->AttachPolicy("ghost", "t1").code(), ErrorCode::kNotFound);

  Status attached = registry_->DeletePolicy("p1");
  EXPECT_EQ(attached.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(attached.message().find("attached to 1 thing(s) (t1)"), std::string::npos)
      << attached.message();
  EXPECT_EQ(registry_->DeletePolicy("default").code(), ErrorCode::kFailedPrecondition);

  closed_.clear();
  ASSERT_TRUE(registry_->UpdatePolicy("p1", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Deny", "Action": "iot:Publish", "Resource": "topic/*"}]})").ok());
  EXPECT_EQ(closed_, std::vector<std::string>{"t1"});
  auto lookup = registry_->LookupCertificate(fp);
  bool has_deny = false;
  for (const auto& pol : lookup->policies)
    if (pol->statements[0].effect == PolicyEffect::kDeny) has_deny = true;
  EXPECT_TRUE(has_deny) << "the mirror still holds the old document";

  ASSERT_TRUE(registry_->DetachPolicy("p1", "t1").ok());
  EXPECT_EQ(closed_, (std::vector<std::string>{"t1", "t1"}));
  EXPECT_EQ(registry_->DetachPolicy("p1", "t1").code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->LookupCertificate(fp)->policies.size(), 1u);
  ASSERT_TRUE(registry_->DeletePolicy("p1").ok());
  EXPECT_EQ(registry_->GetPolicy("p1").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ToJson(*registry_->GetPolicy("default"))["name"], "default");
}

TEST_F(ThingRegistryTest, CertificateRotationAndRevocation) {
  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  auto second = registry_->IssueCertificate("t1");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(second->fingerprint, created->certificate.fingerprint);
  EXPECT_EQ(registry_->DescribeThing("t1")->certificates.size(), 2u);
  EXPECT_EQ(registry_->LookupCertificate(second->fingerprint)->thing, "t1");

  ASSERT_TRUE(registry_->SetCertificateStatus(created->certificate.fingerprint,
                                              CertificateStatus::kRevoked).ok());
  EXPECT_EQ(closed_, std::vector<std::string>{"t1"});
  EXPECT_EQ(registry_->LookupCertificate(created->certificate.fingerprint)->status,
            CertificateStatus::kRevoked);
  EXPECT_EQ(registry_->LookupCertificate(second->fingerprint)->status, CertificateStatus::kActive);
  EXPECT_EQ(registry_->SetCertificateStatus(created->certificate.fingerprint,
                                            CertificateStatus::kActive).code(),
            ErrorCode::kFailedPrecondition);
  // Reactivating the thing leaves a revoked certificate revoked.
  ASSERT_TRUE(registry_->DeactivateThing("t1").ok());
  ASSERT_TRUE(registry_->ActivateThing("t1").ok());
  EXPECT_EQ(registry_->LookupCertificate(created->certificate.fingerprint)->status,
            CertificateStatus::kRevoked);
  EXPECT_EQ(registry_->SetCertificateStatus("00ff00ff", CertificateStatus::kInactive).code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(registry_->SetCertificateStatus("00ff", CertificateStatus::kInactive).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->IssueCertificate("ghost").status().code(), ErrorCode::kNotFound);
}

TEST_F(ThingRegistryTest, ACertificateIsNamedByAUniquePrefixOfItsFingerprint) {
  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok());
  const std::string fp = created->certificate.fingerprint;
  ASSERT_EQ(fp.size(), 64u);
  auto resolve = [&](const std::string& name) {
    auto r = registry_->ResolveFingerprint(name);
    return r.ok() ? *r : r.status().ToString();
  };
  // What `thing describe` shows: the first 16 digits, in any case.
  EXPECT_EQ(resolve(fp.substr(0, 16)), fp);
  EXPECT_EQ(resolve(AsciiUppered(fp.substr(0, 8))), fp);
  EXPECT_EQ(resolve(fp), fp);
  ASSERT_TRUE(registry_->SetCertificateStatus(fp.substr(0, 16), CertificateStatus::kInactive).ok());
  EXPECT_EQ(registry_->LookupCertificate(fp)->status, CertificateStatus::kInactive);
  EXPECT_EQ(closed_, std::vector<std::string>{"t1"});

  auto short_prefix = registry_->ResolveFingerprint(fp.substr(0, 7));
  EXPECT_EQ(short_prefix.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(short_prefix.status().message().find("at least 8 of its first hex digits"),
            std::string::npos)
      << short_prefix.status().ToString();
  EXPECT_EQ(registry_->ResolveFingerprint(fp.substr(0, 15) + "%").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->ResolveFingerprint(fp.substr(0, 15) + "_").status().code(),
            ErrorCode::kInvalidArgument);

  // Two certificates whose fingerprints begin alike (made by hand: issuing until two do is slow).
  const std::string twin = fp.substr(0, 8) + std::string(56, fp[8] == '0' ? '1' : '0');
  ASSERT_TRUE(db_->Exec("INSERT INTO thing_certificates(fingerprint, thing, pem, status, "
                        "created_at, expires_at) "
                        "VALUES(?, 't1', '', 'active', 0, 0)",
                        {metadata::Value(twin)})
                  .ok());
  auto ambiguous = registry_->ResolveFingerprint(fp.substr(0, 8));
  EXPECT_EQ(ambiguous.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(ambiguous.status().message().find("is the start of 2 fingerprints"), std::string::npos)
      << ambiguous.status().ToString();
  EXPECT_NE(ambiguous.status().message().find(fp + " (thing 't1')"), std::string::npos);
  EXPECT_NE(ambiguous.status().message().find(twin), std::string::npos);
  EXPECT_EQ(registry_->SetCertificateStatus(fp.substr(0, 8), CertificateStatus::kActive).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve(fp.substr(0, 9)), fp);  // twin differs at digit 9
}

// Two servers sharing one PostgreSQL schema (devices_test_postgres): each sees what the
// other changes, and closes the connections of a thing that lost access there.
TEST_F(ThingRegistryTest, AServerFollowsTheThingsAndPoliciesAnotherChanges) {
  const char* pg = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "runs as devices_test_postgres";
  auto other_db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  auto opened = DeviceRegistry::Open(other_db->get(), {.pki_dir = dir_.path() + "/pki"});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DeviceRegistry> other = std::move(opened).value();
  std::mutex mu;
  std::vector<std::string> closed_there;
  other->SetDeactivationCallback([&](const std::string& t) {
    std::lock_guard<std::mutex> lock(mu);
    closed_there.push_back(t);
  });
  auto closed = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return closed_there;
  };
  auto wait_until = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 200 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return cond();
  };

  auto created = registry_->CreateThing("t1");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string fp = created->certificate.fingerprint;
  ASSERT_TRUE(wait_until([&] { return other->LookupCertificate(fp).has_value(); }));
  EXPECT_EQ(other->LookupCertificate(fp)->thing, "t1");
  EXPECT_EQ(other->LookupCertificate(fp)->policy_names, std::vector<std::string>{"default"});

  // A new policy attached widens access: nobody is disconnected.
  ASSERT_TRUE(registry_->CreatePolicy("extra", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "iot:Publish", "Resource": "*"}]})").ok());
  ASSERT_TRUE(registry_->AttachPolicy("extra", "t1").ok());
  ASSERT_TRUE(wait_until([&] { return other->LookupCertificate(fp)->policies.size() == 2; }));
  EXPECT_TRUE(closed().empty());

  // Changed: the things it is attached to are disconnected.
  ASSERT_TRUE(registry_->UpdatePolicy("extra", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]})").ok());
  ASSERT_TRUE(wait_until([&] { return closed().size() == 1; }));
  EXPECT_EQ(closed()[0], "t1");
  // Detached: disconnected again.
  ASSERT_TRUE(registry_->DetachPolicy("extra", "t1").ok());
  ASSERT_TRUE(wait_until([&] { return closed().size() == 2; }));
  EXPECT_EQ(other->LookupCertificate(fp)->policy_names, std::vector<std::string>{"default"});

  // Attributes changed: the other server's rules read them, nobody is disconnected.
  ASSERT_TRUE(registry_->UpdateThingAttributes("t1", {{"site", "Sants"}}, true).ok());
  ASSERT_TRUE(wait_until([&] {
    auto d = other->RegistryDescription("t1");
    return d && d->find("Sants") != std::string::npos;
  }));
  EXPECT_EQ(closed().size(), 2u);

  // Changes go both ways: deactivated there, refused here.
  ASSERT_TRUE(other->DeactivateThing("t1").ok());
  ASSERT_TRUE(wait_until([&] { return !registry_->LookupCertificate(fp)->thing_active; }));
  EXPECT_EQ(registry_->LookupCertificate(fp)->status, CertificateStatus::kInactive);
  EXPECT_EQ(closed().size(), 3u);  // its own change closes its own connections
  ASSERT_TRUE(registry_->ActivateThing("t1").ok());
  ASSERT_TRUE(wait_until([&] { return other->LookupCertificate(fp)->thing_active; }));

  // Revoked, then deleted: disconnected each time, and gone.
  ASSERT_TRUE(registry_->SetCertificateStatus(fp, CertificateStatus::kRevoked).ok());
  ASSERT_TRUE(wait_until([&] { return closed().size() == 4; }));
  EXPECT_EQ(other->LookupCertificate(fp)->status, CertificateStatus::kRevoked);
  ASSERT_TRUE(registry_->DeleteThing("t1").ok());
  ASSERT_TRUE(wait_until([&] { return !other->LookupCertificate(fp).has_value(); }));
  // Connections close after the mirror has changed.
  EXPECT_TRUE(wait_until([&] { return closed().size() == 5; })) << closed().size();
}

}  // namespace
}  // namespace tributary::devices
