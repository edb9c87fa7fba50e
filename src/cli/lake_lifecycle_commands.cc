// tributary lake lifecycle get|put|delete|run BUCKET: a bucket's expiry rules
// (/v1/lake/buckets/{bucket}/lifecycle; S3's lifecycle configuration, lake/lifecycle.h).
#include <cstdio>
#include <functional>
#include <memory>

#include "base/files.h"
#include "base/json_text.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/lake_uri.h"
#include "cli/output.h"
#include "flags/flag_checks.h"
#include "lake/lifecycle.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

struct LifecycleArgs {
  std::string bucket;
  std::string file;
  std::string prefix;
  std::string id = "expire";
  int days = 0;
};

// Runs `fn` once the bucket argument (BUCKET or s3://BUCKET) has become the bucket's name.
std::function<int()> OnBucket(std::shared_ptr<LifecycleArgs> a, std::string command,
                              std::function<int()> fn) {
  return [=] {
    Result<LakeUri> uri = ParseLakeUri(a->bucket);
    if (!uri.ok()) return Fail(command, uri.status());
    a->bucket = uri->bucket;
    return fn();
  };
}

std::string PathOf(const LifecycleArgs& a) {
  return "/v1/lake/buckets/" + net::UrlEncode(a.bucket) + "/lifecycle";
}

void PrintRules(const json& config) {
  std::vector<std::vector<std::string>> rows;
  for (const json& r : config["Rules"]) {
    rows.push_back({Cell(r["ID"]), Cell(r["Status"]), Cell(r["Filter"]["Prefix"]),
                    Cell(r["Expiration"]["Days"])});
  }
  PrintTable({"ID", "STATUS", "PREFIX", "DAYS"}, rows);
}

int Get(const ClientOptions& opts, const LifecycleArgs& a) {
  auto r = ApiClient(opts).Call("GET", PathOf(a));
  if (!r.ok()) return Fail("lake lifecycle get", r.status());
  if (opts.json) return PrintJson(*r), 0;
  if ((*r)["Rules"].empty()) {
    std::printf("%s has no lifecycle rules: its objects are kept until deleted\n",
                a.bucket.c_str());
    return 0;
  }
  PrintRules(*r);
  if (r->contains("LastSweep")) {
    const json& s = (*r)["LastSweep"];
    std::printf("last applied %s: expired %s of %s objects (%s bytes)%s\n",
                Cell(s["finished"]).c_str(), Cell(s["expired"]).c_str(),
                Cell(s["examined"]).c_str(), Cell(s["bytes"]).c_str(),
                s.value("failed", 0) > 0
                    ? ("; " + Cell(s["failed"]) + " not deleted: " + Cell(s["first_error"])).c_str()
                    : "");
  }
  return 0;
}

// The rules of --file (the AWS CLI's JSON form), or the one --days makes.
int Put(const ClientOptions& opts, const LifecycleArgs& a) {
  const std::string command = "lake lifecycle put";
  json body;
  if (!a.file.empty()) {
    if (a.days != 0 || !a.prefix.empty()) {
      return Fail(command, InvalidArgument("give --file, or --days with --prefix, not both"));
    }
    Result<std::string> text = ReadFile(a.file);
    if (!text.ok()) return Fail(command, text.status());
    Result<json> doc = ParseJsonText(*text, "'" + a.file + "'");
    if (!doc.ok()) return Fail(command, doc.status());
    body = std::move(*doc);
  } else if (a.days > 0) {
    body = {{"Rules",
             {{{"ID", a.id},
               {"Status", "Enabled"},
               {"Filter", {{"Prefix", a.prefix}}},
               {"Expiration", {{"Days", a.days}}}}}}};
  } else {
    return Fail(command, InvalidArgument(
                             "give --days N (objects under --prefix expire N days after they were "
                             "written) or --file with the rules"));
  }
  auto r = ApiClient(opts).Call("PUT", PathOf(a), &body);
  if (!r.ok()) return Fail(command, r.status());
  if (opts.json) return PrintJson(*r), 0;
  PrintRules(*r);
  return 0;
}

int Run(const ClientOptions& opts, const LifecycleArgs& a) {
  auto r = ApiClient(opts).Call("POST", PathOf(a) + "/run");
  if (!r.ok()) return Fail("lake lifecycle run", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("expired %s of %s objects (%s bytes) in %s\n", Cell((*r)["expired"]).c_str(),
              Cell((*r)["examined"]).c_str(), Cell((*r)["bytes"]).c_str(), a.bucket.c_str());
  if ((*r).value("changed", 0) > 0) {
    std::printf("%s expired when listed but replaced or deleted since: left as they are\n",
                Cell((*r)["changed"]).c_str());
  }
  if ((*r).value("failed", 0) > 0) {
    std::fprintf(stderr, "tributary lake lifecycle run: %s not deleted: %s\n",
                 Cell((*r)["failed"]).c_str(), Cell((*r)["first_error"]).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddLakeLifecycleCommands(CLI::App* lake, CommandContext* ctx) {
  auto* lifecycle = lake->add_subcommand(
      "lifecycle",
      "A bucket's expiry rules (S3's lifecycle configuration): objects under a prefix are deleted "
      "at the first midnight UTC a number of days after they were written");
  lifecycle->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto a = std::make_shared<LifecycleArgs>();

  auto* get = lifecycle->add_subcommand("get", "Show the bucket's rules");
  get->add_option("bucket", a->bucket, "BUCKET or s3://BUCKET")->required();
  AddClientFlags(get, opts.get());
  get->callback(
      [=] { ctx->run = OnBucket(a, "lake lifecycle get", [=] { return Get(*opts, *a); }); });

  auto* put = lifecycle->add_subcommand(
      "put", "Set the bucket's rules (replacing those it had) and apply them now");
  put->add_option("bucket", a->bucket, "BUCKET or s3://BUCKET")->required();
  WholeNumberIn(put->add_option("--days", a->days,
                                "one rule: objects expire this many days after they were written"),
                1, lake::LifecycleRule::kMaxDays);
  put->add_option("--prefix", a->prefix,
                  "with --days: only objects under this key prefix (default: all)");
  put->add_option("--id", a->id, "with --days: the rule's ID")->capture_default_str();
  put->add_option(
      "--file", a->file,
      "the rules in the AWS CLI's JSON form: {\"Rules\": [{\"ID\", \"Status\", \"Filter\": "
      "{\"Prefix\"}, \"Expiration\": {\"Days\"}}]}");
  AddClientFlags(put, opts.get());
  put->callback(
      [=] { ctx->run = OnBucket(a, "lake lifecycle put", [=] { return Put(*opts, *a); }); });

  auto* del =
      lifecycle->add_subcommand("delete", "Remove the bucket's rules (nothing expires any more)");
  del->add_option("bucket", a->bucket, "BUCKET or s3://BUCKET")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = OnBucket(a, "lake lifecycle delete", [=] {
      return CallAndReport(*opts, "lake lifecycle delete", "DELETE", PathOf(*a), nullptr,
                           "removed the lifecycle rules of " + a->bucket);
    });
  });

  auto* run = lifecycle->add_subcommand(
      "run", "Apply the bucket's rules now (the server also does every hour)");
  run->add_option("bucket", a->bucket, "BUCKET or s3://BUCKET")->required();
  AddClientFlags(run, opts.get());
  run->callback(
      [=] { ctx->run = OnBucket(a, "lake lifecycle run", [=] { return Run(*opts, *a); }); });
}

}  // namespace tributary::cli
