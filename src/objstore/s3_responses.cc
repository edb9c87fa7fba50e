#include "objstore/s3_responses.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "objstore/xml.h"

namespace tributary::objstore::s3 {
namespace {

Result<uint64_t> ParseUnsigned(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return ProtocolError(std::string("ListObjectsV2 response has a bad ") + what + " '" + text +
                         "'");
  return static_cast<uint64_t>(std::stoull(text));
}

int64_t ToMillis(int y, int mon, int d, int h, int mi, int s, int ms) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;  // timegm: UTC, unlike mktime
}

}  // namespace

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    return std::string(etag.substr(1, etag.size() - 2));
  return std::string(etag);
}

Result<int64_t> ParseIso8601Millis(std::string_view text) {
  int y, mon, d, h, mi, s, ms = 0;
  std::string t(text);
  int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mon, &d, &h, &mi, &s);
  if (n != 6) return ProtocolError("bad timestamp '" + t + "' (expected 2009-10-12T17:50:30.000Z)");
  size_t dot = t.find('.');
  if (dot != std::string::npos) {
    std::string frac;
    for (size_t i = dot + 1; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i)
      frac += t[i];
    frac = (frac + "000").substr(0, 3);
    ms = std::stoi(frac);
  }
  return ToMillis(y, mon, d, h, mi, s, ms);
}

Result<int64_t> ParseHttpDateMillis(std::string_view text) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string t(text);
  char wday[4], mon_name[4];
  int d, y, h, mi, s;
  if (std::sscanf(t.c_str(), "%3s, %d %3s %d %d:%d:%d", wday, &d, mon_name, &y, &h, &mi, &s) != 7)
    return ProtocolError("bad HTTP date '" + t + "'");
  for (int m = 0; m < 12; ++m)
    if (std::strcmp(mon_name, kMonths[m]) == 0) return ToMillis(y, m + 1, d, h, mi, s, 0);
  return ProtocolError("bad month in HTTP date '" + t + "'");
}

Result<ListPage> ParseListObjectsV2(std::string_view body) {
  TRY_ASSIGN(XmlNode root, ParseXml(body));
  if (root.name != "ListBucketResult")
    return ProtocolError("expected <ListBucketResult> from ListObjectsV2, got <" + root.name + ">");
  ListPage page;
  for (const XmlNode* c : root.ChildrenNamed("Contents")) {
    ObjectInfo info;
    info.key = c->ChildText("Key");
    if (info.key.empty())
      return ProtocolError("ListObjectsV2 response has <Contents> without <Key>");
    TRY_ASSIGN(info.size, ParseUnsigned(c->ChildText("Size"), "<Size>"));
    std::string modified = c->ChildText("LastModified");
    if (!modified.empty()) {
      TRY_ASSIGN(info.modified_ms, ParseIso8601Millis(modified));
    }
    info.etag = Unquote(c->ChildText("ETag"));
    page.objects.push_back(std::move(info));
  }
  for (const XmlNode* p : root.ChildrenNamed("CommonPrefixes"))
    page.common_prefixes.push_back(p->ChildText("Prefix"));
  page.truncated = root.ChildText("IsTruncated") == "true";
  page.next_continuation_token = root.ChildText("NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty())
    return ProtocolError("ListObjectsV2 response is truncated but has no <NextContinuationToken>");
  return page;
}

std::optional<ErrorBody> ParseErrorBody(std::string_view body) {
  auto root = ParseXml(body);
  if (!root.ok() || root->name != "Error") return std::nullopt;
  return ErrorBody{root->ChildText("Code"), root->ChildText("Message")};
}

Result<std::string> ParseUploadId(std::string_view body) {
  TRY_ASSIGN(XmlNode root, ParseXml(body));
  std::string id = root.ChildText("UploadId");
  if (root.name != "InitiateMultipartUploadResult" || id.empty())
    return ProtocolError("CreateMultipartUpload response has no <UploadId>");
  return id;
}

std::string ParseCompletedEtag(std::string_view body) {
  auto root = ParseXml(body);
  if (!root.ok() || root->name != "CompleteMultipartUploadResult") return "";
  return Unquote(root->ChildText("ETag"));
}

std::string CompleteMultipartUploadXml(const std::vector<std::string>& part_etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(part_etags[i]) + "</ETag></Part>";
  }
  return xml + "</CompleteMultipartUpload>";
}

}  // namespace tributary::objstore::s3
