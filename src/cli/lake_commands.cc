// tributary lake buckets|ls|cat (and lifecycle: lake_lifecycle_commands.cc): the lake as the server
// sees it (/v1/lake), local or S3, without an S3 client of one's own.
#include <strings.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/lake_uri.h"
#include "cli/output.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

// "s3://bucket/rest" or "bucket/rest".
Result<LakeUri> ParseLakeUri(std::string text) {
  if (text.rfind("s3://", 0) == 0) text = text.substr(5);
  size_t slash = text.find('/');
  LakeUri u{text.substr(0, slash), slash == std::string::npos ? "" : text.substr(slash + 1)};
  if (u.bucket.empty()) return InvalidArgument("'" + text + "' names no bucket: give s3://BUCKET/PREFIX");
  return u;
}

namespace {

using nlohmann::json;

// The value of the answer's header `name` (the client keeps names as sent), or "".
std::string HeaderValue(const net::HttpResponse& r, const char* name) {
  for (const auto& [k, v] : r.headers)
    if (strcasecmp(k.c_str(), name) == 0) return v;
  return "";
}

// One piece of a `lake cat` read, GET `path`: the first piece's ETag (its header) goes into
// `*etag`, and later pieces ask for that object by If-Match. A 412 to one of them is the
// object replaced while it was being read: FailedPrecondition, rather than bytes of
// another version after those already printed.
Result<net::HttpResponse> ReadPiece(const ApiClient& client, const std::string& uri,
                                    const std::string& path, std::string* etag) {
  std::map<std::string, std::string> headers;
  if (!etag->empty()) headers["If-Match"] = *etag;
  TRY_ASSIGN(net::HttpResponse r, client.Send("GET", path, "", headers));
  if (r.status == 412 && !etag->empty()) {
    return FailedPrecondition("object changed while reading: " + uri +
                              " was replaced after the first bytes printed (ETag " + *etag +
                              "); what was printed is of the first version only and incomplete: "
                              "run the command again");
  }
  if (etag->empty() && r.status == 200) *etag = HeaderValue(r, "ETag");
  return r;
}

int Buckets(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/lake/buckets");
  if (!r.ok()) return Fail("lake buckets", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : (*r)["buckets"]) {
    std::string lifecycle = "-";
    if (b.contains("lifecycle")) {
      lifecycle =
          Cell(b["lifecycle"]["rules"]) + " rules, " + Cell(b["lifecycle"]["enabled"]) + " enabled";
    }
    rows.push_back({Cell(b["uri"]), lifecycle});
  }
  PrintTable({"BUCKET (" + Cell((*r)["backend"]) + ")", "LIFECYCLE"}, rows);
  return 0;
}

// Every page of the listing (or the first `max_keys` entries), folders first when not
// recursive, as `aws s3 ls` shows them.
int List(const ClientOptions& opts, const std::string& uri, bool recursive, int max_keys) {
  auto u = ParseLakeUri(uri);
  if (!u.ok()) return Fail("lake ls", u.status());
  ApiClient client(opts);
  json all_objects = json::array(), all_prefixes = json::array();
  std::string after;
  int left = max_keys > 0 ? max_keys : -1;
  for (;;) {
    std::string path = "/v1/lake/buckets/" + net::UrlEncode(u->bucket) + "/objects?prefix=" + net::UrlEncode(u->key) +
                       (recursive ? "" : "&delimiter=%2F") + "&max_keys=" + std::to_string(left > 0 && left < 1000 ? left : 1000);
    if (!after.empty()) path += "&start_after=" + net::UrlEncode(after);
    auto r = client.Call("GET", path);
    if (!r.ok()) return Fail("lake ls", r.status());
    for (const auto& p : (*r)["common_prefixes"]) all_prefixes.push_back(p);
    for (const auto& o : (*r)["objects"]) all_objects.push_back(o);
    if (left > 0) left -= static_cast<int>((*r)["common_prefixes"].size() + (*r)["objects"].size());
    if (!(*r).value("truncated", false) || left == 0) break;
    after = (*r)["next_start_after"].get<std::string>();
  }
  if (opts.json) return PrintJson(json{{"common_prefixes", all_prefixes}, {"objects", all_objects}}), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : all_prefixes) rows.push_back({"", "PRE", Cell(p)});
  for (const auto& o : all_objects) rows.push_back({Cell(o["modified"]), Cell(o["size"]), Cell(o["key"])});
  PrintTable({"MODIFIED", "SIZE", "KEY"}, rows);
  return 0;
}

// The object's bytes (or a range of them) on stdout, in pieces the API allows. The API
// answers an offset past the object's end with 416 and the object's size, which an
// --offset past the end is refused with here, naming the flag. `length` 0: to the end.
int Cat(const ClientOptions& opts, const std::string& uri, uint64_t offset, uint64_t length) {
  auto u = ParseLakeUri(uri);
  if (!u.ok()) return Fail("lake cat", u.status());
  if (u->key.empty() || u->key.back() == '/') return Fail("lake cat", InvalidArgument("'" + uri + "' names no object"));
  ApiClient client(opts);
  std::string etag;  // the first piece's: the others are read from the same object
  constexpr uint64_t kPiece = 4ull << 20;
  // The flags' ranges keep offset + length below 2^64; saturated all the same.
  uint64_t end = length > 0 && length <= UINT64_MAX - offset ? offset + length : UINT64_MAX;
  for (uint64_t at = offset; at < end;) {
    uint64_t n = std::min(kPiece, end - at);
    std::string path = "/v1/lake/buckets/" + net::UrlEncode(u->bucket) + "/object?key=" + net::UrlEncode(u->key) +
                       "&offset=" + std::to_string(at) + "&length=" + std::to_string(n);
    auto r = ReadPiece(client, uri, path, &etag);
    if (!r.ok()) return Fail("lake cat", r.status());
    const std::string size_text = HeaderValue(*r, "X-Object-Size");
    uint64_t size = size_text.empty() ? 0 : std::stoull(size_text);
    if (r->status == 416 && at == offset && !size_text.empty()) {
      return Fail("lake cat", InvalidArgument("--offset: " + std::to_string(offset) +
                                              " is not in 0.." + std::to_string(size) + " (" + uri +
                                              " holds " + std::to_string(size) + " bytes)"));
    }
    if (r->status != 200) {
      json j = json::parse(r->body, nullptr, false);
      std::string message =
          j.is_object() && j.contains("error") ? Cell(j["error"]["message"]) : r->body;
      std::fprintf(stderr, "tributary lake cat: %s\n", message.c_str());
      return 1;
    }
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    at += r->body.size();
    if (r->body.empty() || at >= size) break;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

void AddLakeCommands(CLI::App* parent, CommandContext* ctx) {
  auto* lake = parent->add_subcommand("lake", "Look into the lake (the server's buckets, local or S3)");
  lake->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto uri = std::make_shared<std::string>();
  auto recursive = std::make_shared<bool>(false);
  auto max_keys = std::make_shared<int>(0);
  auto offset = std::make_shared<uint64_t>(0);
  auto length = std::make_shared<uint64_t>(0);

  auto* buckets = lake->add_subcommand("buckets", "List the buckets the server knows");
  AddClientFlags(buckets, opts.get());
  buckets->callback([=] { ctx->run = [=] { return Buckets(*opts); }; });

  auto* ls = lake->add_subcommand("ls", "List objects and folders under s3://BUCKET/PREFIX");
  ls->add_option("uri", *uri, "s3://BUCKET/PREFIX")->required();
  ls->add_flag("--recursive", *recursive, "every object under the prefix, not only this level");
  WholeNumberIn(ls->add_option("--max-keys", *max_keys, "at most this many entries (default: all)"),
                1, INT32_MAX);
  AddClientFlags(ls, opts.get());
  ls->callback([=] { ctx->run = [=] { return List(*opts, *uri, *recursive, *max_keys); }; });

  auto* cat = lake->add_subcommand("cat", "Write an object's bytes to stdout");
  cat->add_option("uri", *uri, "s3://BUCKET/KEY")->required();
  WholeNumberIn(cat->add_option("--offset", *offset, "from this byte, at most the object's size"),
                0, INT64_MAX);
  WholeNumberIn(
      cat->add_option("--length", *length, "at most this many bytes (default: to the end)"), 1,
      INT64_MAX);
  AddClientFlags(cat, opts.get());
  cat->callback([=] { ctx->run = [=] { return Cat(*opts, *uri, *offset, *length); }; });

  AddLakeLifecycleCommands(lake, ctx);
}

}  // namespace tributary::cli
