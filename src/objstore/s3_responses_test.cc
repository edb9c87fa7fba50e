#include "objstore/s3_responses.h"

#include <gtest/gtest.h>

#include "objstore/xml.h"

namespace tributary::objstore::s3 {
namespace {

// Shaped like AWS's documented ListObjectsV2 response, with a namespace, entities and a
// key that only numeric character references can carry.
constexpr char kListPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>iot-data</Name>
  <Prefix>2026/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>2</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>2026/a&amp;b &lt;1&gt;.json</Key>
    <LastModified>2026-11-30T14:02:11.123Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>142863</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key><![CDATA[2026/<raw>]]>&#x1F600;&#233;</Key>
    <LastModified>2026-11-30T14:02:12Z</LastModified>
    <ETag>"abc-2"</ETag>
    <Size>0</Size>
  </Contents>
  <CommonPrefixes><Prefix>2026/11/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>2026/12/</Prefix></CommonPrefixes>
</ListBucketResult>)";

TEST(ListObjectsV2, ParsesObjectsPrefixesAndToken) {
  auto page = ParseListObjectsV2(kListPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "2026/a&b <1>.json");
  EXPECT_EQ(page->objects[0].size, 142863u);
  EXPECT_EQ(page->objects[0].etag, "599bab3ed2c697f1d26842727561fd94");
  EXPECT_EQ(page->objects[0].modified_ms, 1796047331123);  // 2026-11-30T14:02:11.123Z
  EXPECT_EQ(page->objects[1].key, "2026/<raw>\xF0\x9F\x98\x80\xC3\xA9");
  EXPECT_EQ(page->objects[1].etag, "abc-2");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"2026/11/", "2026/12/"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ListObjectsV2, EmptyLastPage) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(ListObjectsV2, RejectsBrokenDocuments) {
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key>").status().code(),
            ErrorCode::kProtocolError);
  EXPECT_EQ(ParseListObjectsV2("<Error><Code>x</Code></Error>").status().code(),
            ErrorCode::kProtocolError);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
                               "</Contents></ListBucketResult>")
                .status()
                .code(),
            ErrorCode::kProtocolError);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                               "</ListBucketResult>")
                .status()
                .code(),
            ErrorCode::kProtocolError);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a&bogus;</Key></Contents>"
                               "</ListBucketResult>")
                .status()
                .code(),
            ErrorCode::kProtocolError);
}

TEST(ErrorBodies, CodeAndMessage) {
  auto err = ParseErrorBody(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>
<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, "NoSuchKey");
  EXPECT_EQ(err->message, "The resource you requested does not exist");
  EXPECT_FALSE(ParseErrorBody("").has_value());
  EXPECT_FALSE(ParseErrorBody("<html>Bad Gateway</html>").has_value());
  EXPECT_FALSE(ParseErrorBody("Service Unavailable").has_value());
}

TEST(Multipart, UploadIdAndCompletionDocument) {
  auto id = ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());
  EXPECT_EQ(CompleteMultipartUploadXml({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(Dates, Iso8601AndHttpDate) {
  EXPECT_EQ(*ParseIso8601Millis("1970-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(*ParseIso8601Millis("2009-10-12T17:50:30.5Z"), 1255369830500);
  EXPECT_EQ(*ParseHttpDateMillis("Mon, 12 Oct 2009 17:50:30 GMT"), 1255369830000);
  EXPECT_FALSE(ParseHttpDateMillis("yesterday").ok());
  EXPECT_FALSE(ParseIso8601Millis("2009/10/12").ok());
}

TEST(Xml, Structure) {
  auto root = ParseXml("<?xml version='1.0'?><!-- c --><a x=\"1>2\"><b>t</b><s3:c/><b>u</b></a>");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "a");
  EXPECT_EQ(root->ChildrenNamed("b").size(), 2u);
  EXPECT_NE(root->Child("c"), nullptr);
  EXPECT_EQ(root->ChildText("b"), "t");
  EXPECT_FALSE(ParseXml("<a><b></a></b>").ok());
  EXPECT_FALSE(ParseXml("<a>").ok());
  EXPECT_FALSE(ParseXml("<a/><b/>").ok());
  EXPECT_FALSE(ParseXml("").ok());
  EXPECT_EQ(XmlEscape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
  EXPECT_FALSE(DecodeXmlEntities("&#xD800;").ok());
  EXPECT_EQ(*DecodeXmlEntities("&#65;&#x42;"), "AB");
}

// An XML reader turns a literal "\r" or "\r\n" into "\n" and may fold tabs and line ends
// in attributes into spaces, so a key like "a\rb" written as is would come back as "a\nb".
// As AWS does, control characters go as numeric character references, which every reader
// (this one too) gives back as the byte they name.
TEST(Xml, ControlCharactersGoAsCharacterReferences) {
  EXPECT_EQ(XmlEscape("a\rb\nc\td"), "a&#13;b&#10;c&#9;d");
  EXPECT_EQ(XmlEscape(std::string("\x01\x1F\x7F\xC3\xA9 ~", 7)), "&#1;&#31;\x7F\xC3\xA9 ~");
  std::string every_control;
  for (char c = 1; c < 0x20; ++c) every_control += c;
  const std::string key = "2026/line\r\nend" + every_control + "<&>";
  auto root = ParseXml("<Contents><Key>" + XmlEscape(key) + "</Key></Contents>");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->ChildText("Key"), key);
  EXPECT_EQ(XmlEscape(key).find_first_of(every_control), std::string::npos);
  // NUL has no character reference: it stays, and reads back (a lifecycle rule's ID with
  // one read back unlike it was written once "&#0;" was).
  const std::string with_nul("a\x01\0l", 4);
  EXPECT_EQ(XmlEscape(with_nul), std::string("a&#1;\0l", 7));
  auto nul_root = ParseXml("<ID>" + XmlEscape(with_nul) + "</ID>");
  ASSERT_TRUE(nul_root.ok()) << nul_root.status().ToString();
  EXPECT_EQ(nul_root->text, with_nul);
}

}  // namespace
}  // namespace tributary::objstore::s3
