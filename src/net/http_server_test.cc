#include "net/http_server.h"

#include <gtest/gtest.h>

#include "net/http_client.h"

namespace tributary::net {
namespace {

TEST(HttpServerTest, RoutesParamsQueryAndErrors) {
  Runtime runtime(2);
  Router router;
  router.Add("GET", "/things/{name}", [](HttpRequest& r) {
    HttpResponse res;
    res.body = r.params["name"] + "|" + r.query["x"] + "|" + r.Header("x-test");
    return res;
  });
  router.Add("POST", "/echo", [](HttpRequest& r) {
    HttpResponse res;
    res.status = 201;
    res.body = r.body;
    return res;
  });
  HttpServerOptions opts;
  opts.bind_address = "127.0.0.1";
  opts.port = 0;
  opts.max_body_bytes = 1000;
  HttpServer server(opts, &runtime, [&](HttpRequest& r) { return router.Route(r); });
  runtime.Start();
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  auto r = HttpCall(base, "GET", "/things/a%20b?x=1+2", "", {{"X-Test", "yes"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a b|1 2|yes");

  r = HttpCall(base, "POST", "/echo", "{\"k\":1}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{\"k\":1}");

  r = HttpCall(base, "GET", "/nope");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("/nope"), std::string::npos);

  r = HttpCall(base, "DELETE", "/echo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);

  r = HttpCall(base, "POST", "/echo", std::string(5000, 'x'));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 413);

  server.Stop();
  runtime.Stop();
  runtime.Join();
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  auto r = HttpCall("http://127.0.0.1:1", "GET", "/healthz", "", {}, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST(UrlTest, ParsesAndRejects) {
  auto u = ParseUrl("http://localhost:9000/api/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->base_path, "/api");
  EXPECT_FALSE(ParseUrl("ftp://x").ok());
}

}  // namespace
}  // namespace tributary::net
