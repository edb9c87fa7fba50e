#include "app/console.h"

#include <gtest/gtest.h>

#include "app/console_assets.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"

namespace tributary::app {
namespace {

net::HttpRequest Get(const std::string& path) {
  net::HttpRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

TEST(ConsoleTest, BuiltInFilesIncludeThePageAndItsScripts) {
  bool index = false, main = false, css = false;
  for (const EmbeddedFile& f : ConsoleAssets()) {
    index |= f.path == "index.html";
    main |= f.path == "js/main.js";
    css |= f.path == "console.css";
  }
  EXPECT_TRUE(index && main && css);
}

TEST(ConsoleTest, ServesTheIndexWithSecurityHeaders) {
  Console console;
  auto r = console.Serve(Get("/console/"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("js/main.js"), std::string::npos);
  EXPECT_NE(r->headers["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_NE(r->headers["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r->headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(r->headers["X-Frame-Options"], "DENY");
  EXPECT_FALSE(r->headers["ETag"].empty());

  auto js = console.Serve(Get("/console/js/main.js"));
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
}

TEST(ConsoleTest, RevalidationWithTheSameEtagIsNotModified) {
  Console console;
  auto first = console.Serve(Get("/console/console.css"));
  ASSERT_TRUE(first.has_value());
  net::HttpRequest again = Get("/console/console.css");
  again.headers["if-none-match"] = first->headers["ETag"];
  auto r = console.Serve(again);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  again.headers["if-none-match"] = "\"0000000000000000\"";
  EXPECT_EQ(console.Serve(again)->status, 200);
}

TEST(ConsoleTest, RootRedirectsAndOtherPathsAreNotTheConsoles) {
  Console console;
  for (const char* p : {"/", "/console"}) {
    auto r = console.Serve(Get(p));
    ASSERT_TRUE(r.has_value()) << p;
    EXPECT_EQ(r->status, 302) << p;
    EXPECT_EQ(r->headers["Location"], "/console/") << p;
  }
  EXPECT_FALSE(console.Serve(Get("/v1/things")).has_value());
  EXPECT_FALSE(console.Serve(Get("/consoles")).has_value());
  EXPECT_FALSE(console.Serve(Get("/metrics")).has_value());
}

TEST(ConsoleTest, UnknownOrEscapingPathsAre404AndWritesAre405) {
  Console console;
  for (const char* p : {"/console/nope.js", "/console/../admin.token", "/console/js/../../x", "/console/js//main.js",
                        "/console/.hidden", "/console/a b.js"}) {
    auto r = console.Serve(Get(p));
    ASSERT_TRUE(r.has_value()) << p;
    EXPECT_EQ(r->status, 404) << p;
  }
  net::HttpRequest post = Get("/console/index.html");
  post.method = "POST";
  EXPECT_EQ(console.Serve(post)->status, 405);
}

TEST(ConsoleTest, ADirectoryIsServedInsteadOfTheBuiltInFiles) {
  testing_support::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/index.html", "<p>working copy</p>", 0644).ok());
  Console console(dir.path());
  auto r = console.Serve(Get("/console/"));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<p>working copy</p>");
  EXPECT_EQ(console.Serve(Get("/console/js/main.js"))->status, 404);  // not in that directory
}

}  // namespace
}  // namespace tributary::app
