#include "app/s3_api_util.h"

#include <ctime>

#include "app/aws_api.h"
#include "base/ascii.h"
#include "objstore/xml.h"

namespace tributary::app {

net::HttpResponse S3Error(int status, std::string_view code, const std::string& message) {
  return AwsError(kS3Service, status, code, message);
}

net::HttpResponse S3Error(const Status& st, bool about_key) {
  switch (st.code()) {
    case ErrorCode::kNotFound:
      return S3Error(404, about_key ? "NoSuchKey" : "NoSuchBucket", st.message());
    case ErrorCode::kInvalidArgument:
      if (about_key) return S3Error(404, "NoSuchKey", st.message());
      return S3Error(400, "InvalidArgument", st.message());
    case ErrorCode::kUnavailable:
      return S3Error(503, "ServiceUnavailable", st.message());
    case ErrorCode::kFailedPrecondition:  // the lake cannot hold it so (a key under an object)
      return S3Error(409, "InvalidRequest", st.message());
    default:
      return S3Error(500, "InternalError", st.message());
  }
}

net::HttpResponse S3Xml(std::string body) {
  net::HttpResponse r;
  r.content_type = "application/xml";
  r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + std::move(body);
  return r;
}

std::string XmlElement(std::string_view name, std::string_view text) {
  return "<" + std::string(name) + ">" + objstore::XmlEscape(text) + "</" + std::string(name) + ">";
}

std::string HttpDate(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string QuotedEtag(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag;
  return "\"" + etag + "\"";
}

std::string UnquotedEtag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

void HoistPresignedHeaders(net::HttpRequest& req) {
  for (auto it = req.query.begin(); it != req.query.end();) {
    const std::string& name = it->first;
    if (name.size() > 6 && EqualsIgnoreCase(std::string_view(name).substr(0, 6), "x-amz-") &&
        name.rfind("X-Amz-", 0) != 0) {
      req.headers.emplace(AsciiLowered(name), it->second);
      it = req.query.erase(it);
    } else {
      ++it;
    }
  }
}

Result<objstore::PutOptions> PutOptionsOf(const net::HttpRequest& req) {
  objstore::PutOptions o;
  if (!req.Header("content-type").empty()) o.content_type = req.Header("content-type");
  // aws-chunked is how the body came (decoded on the way in), not how it is kept.
  for (std::string_view rest = req.Header("content-encoding"); !rest.empty();) {
    const size_t comma = rest.find(',');
    std::string_view coding = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding.empty() || coding == "aws-chunked") continue;
    if (!o.content_encoding.empty()) o.content_encoding += ",";
    o.content_encoding += coding;
  }
  for (const auto& [name, value] : req.headers) {
    if (name.rfind("x-amz-meta-", 0) == 0) o.metadata[name.substr(11)] = value;
  }
  return o;
}

}  // namespace tributary::app
