#include "app/s3_conditions.h"

#include <string>
#include <string_view>
#include <vector>

#include "app/s3_api_util.h"
#include "objstore/s3_responses.h"

namespace tributary::app {
namespace {

using net::HttpRequest;
using net::HttpResponse;

// One entity tag of a header's list.
struct Tag {
  bool weak = false;
  std::string text;  // without W/ and quotes; "*" for the wildcard
};

// `"a", W/"b", *` -> its tags; a tag sent without quotes (as some clients do) is taken
// as it is.
std::vector<Tag> TagsOf(std::string_view header) {
  std::vector<Tag> tags;
  size_t at = 0;
  while (at < header.size()) {
    while (at < header.size() && (header[at] == ' ' || header[at] == '\t' || header[at] == ','))
      ++at;
    if (at >= header.size()) break;
    Tag tag;
    if (header.compare(at, 2, "W/") == 0) {
      tag.weak = true;
      at += 2;
    }
    size_t end;
    if (at < header.size() && header[at] == '"') {
      end = header.find('"', at + 1);
      if (end == std::string_view::npos) end = header.size();
      tag.text = std::string(header.substr(at + 1, end - at - 1));
      at = end + 1;
    } else {
      end = header.find(',', at);
      if (end == std::string_view::npos) end = header.size();
      std::string_view bare = header.substr(at, end - at);
      while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
      tag.text = std::string(bare);
      at = end;
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

// Whether any of `header`'s tags is the object's ETag: strong comparison (If-Match: a
// weak tag matches nothing) or weak (If-None-Match).
bool AnyMatches(std::string_view header, const std::string& etag, bool strong) {
  for (const Tag& tag : TagsOf(header)) {
    if (tag.text == "*") return true;
    if (strong && tag.weak) continue;
    if (tag.text == etag) return true;
  }
  return false;
}

// The header's HTTP date in Unix seconds, or nullopt (absent, or not a date: ignored).
std::optional<int64_t> DateSeconds(const std::string& header) {
  if (header.empty()) return std::nullopt;
  auto ms = objstore::s3::ParseHttpDateMillis(header);
  if (!ms.ok()) return std::nullopt;
  return *ms / 1000;
}

HttpResponse PreconditionFailed(const std::string& condition, const std::string& why) {
  return S3Error(412, "PreconditionFailed",
                 "At least one of the pre-conditions you specified did not hold: " + condition +
                     " (" + why + ")");
}

}  // namespace

bool IfMatchHolds(std::string_view header, const std::string& etag) {
  return AnyMatches(header, etag, /*strong=*/true);
}

namespace {

// A read's conditions weighed in RFC 9110's order, the headers named `prefix` + "if-match"
// ...: `failed` (412) when If-Match (else If-Unmodified-Since) does not hold, else
// `not_modified` (naming the condition) when If-None-Match (else If-Modified-Since) does not.
struct Verdict {
  std::optional<HttpResponse> failed;
  std::string not_modified;  // "" when the object is to be served
};
Verdict Weigh(const HttpRequest& req, const objstore::ObjectInfo& object,
              const std::string& prefix) {
  const std::string etag = UnquotedEtag(object.etag);
  const int64_t modified_s = object.modified_ms / 1000;  // Last-Modified's precision
  const std::string& if_match = req.Header(prefix + "if-match");
  Verdict v;
  if (!if_match.empty()) {
    if (!AnyMatches(if_match, etag, true)) {
      v.failed = PreconditionFailed(prefix + "If-Match",
                                    "the object's ETag is \"" + etag + "\", not " + if_match);
      return v;
    }
  } else if (auto since = DateSeconds(req.Header(prefix + "if-unmodified-since"));
             since && modified_s > *since) {
    v.failed = PreconditionFailed(prefix + "If-Unmodified-Since",
                                  "the object was modified " + HttpDate(object.modified_ms));
    return v;
  }
  const std::string& if_none_match = req.Header(prefix + "if-none-match");
  if (!if_none_match.empty()) {
    if (AnyMatches(if_none_match, etag, false)) v.not_modified = prefix + "If-None-Match";
  } else if (auto since = DateSeconds(req.Header(prefix + "if-modified-since"));
             since && modified_s <= *since) {
    v.not_modified = prefix + "If-Modified-Since";
  }
  return v;
}

}  // namespace

std::optional<HttpResponse> AnswerToReadConditions(const HttpRequest& req,
                                                   const objstore::ObjectInfo& object) {
  Verdict v = Weigh(req, object, "");
  if (v.failed) return std::move(v.failed);
  if (v.not_modified.empty()) return std::nullopt;
  HttpResponse r;
  r.status = 304;
  r.headers["ETag"] = QuotedEtag(object.etag);
  r.headers["Last-Modified"] = HttpDate(object.modified_ms);
  return r;
}

std::optional<HttpResponse> RefuseCopySourceConditions(const HttpRequest& req,
                                                       const objstore::ObjectInfo& source) {
  Verdict v = Weigh(req, source, "x-amz-copy-source-");
  if (v.failed) return std::move(v.failed);
  if (v.not_modified.empty()) return std::nullopt;
  return PreconditionFailed(v.not_modified, "the source's ETag is \"" + UnquotedEtag(source.etag) +
                                                "\", modified " + HttpDate(source.modified_ms));
}

std::optional<HttpResponse> RefuseWriteConditions(const HttpRequest& req,
                                                  objstore::WriteCondition* out) {
  const std::string& if_none_match = req.Header("if-none-match");
  const std::string& if_match = req.Header("if-match");
  if (!if_none_match.empty()) {
    if (if_none_match != "*") {
      return S3Error(501, "NotImplemented",
                     "If-None-Match '" + if_none_match +
                         "' on a write: only '*' (create the object only if "
                         "the key has none) is served");
    }
    out->if_absent = true;
  }
  if (!if_match.empty()) {
    if (out->if_absent) {
      return S3Error(400, "InvalidArgument",
                     "If-None-Match: * and If-Match together can never both hold");
    }
    std::vector<Tag> tags = TagsOf(if_match);
    if (tags.size() != 1 || tags[0].weak) {
      return S3Error(400, "InvalidArgument",
                     "If-Match '" + if_match + "' on a write must name one ETag (or '*')");
    }
    out->if_match = tags[0].text;
  }
  return std::nullopt;
}

std::optional<HttpResponse> ConditionFailure(const Status& status,
                                             const objstore::WriteCondition& condition) {
  if (!condition.any()) return std::nullopt;
  if (status.code() == ErrorCode::kFailedPrecondition) {
    return PreconditionFailed(condition.if_absent ? "If-None-Match" : "If-Match", status.message());
  }
  if (status.code() == ErrorCode::kNotFound && !condition.if_match.empty()) {
    return S3Error(404, "NoSuchKey", status.message());
  }
  return std::nullopt;
}

}  // namespace tributary::app
