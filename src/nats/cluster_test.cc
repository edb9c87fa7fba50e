// Clusters: a URL list tried in turn, the cluster's servers learned from INFO's
// connect_urls, failover to them when the server in use dies, and a replicated
// JetStream stream that keeps every acknowledged message through that failover. Against
// three real nats-servers routed into one cluster (testing::NatsCluster).
#include <gtest/gtest.h>

#include <future>
#include <set>
#include <string>

#include "nats/connection.h"
#include "nats/jetstream.h"
#include "nats/testing/inbox.h"
#include "nats/testing/nats_server.h"
#include "nats/url.h"

namespace tributary::nats {
namespace {

using testing::WaitUntil;

ConnectOptions QuickOptions(ConnectOptions o) {
  o.reconnect_wait_ms = 100;
  o.connect_timeout_ms = 2000;
  return o;
}

// Connected to cluster member `i` only; the others it must learn.
std::unique_ptr<Connection> ConnectTo(testing::NatsCluster& cluster, size_t i) {
  auto c = Connection::Connect(cluster.at(i).options());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(NatsClusterTest, AUrlListSkipsAServerThatIsDown) {
  testing::NatsServer live;
  ASSERT_TRUE(live.Start().ok());
  const uint16_t dead = testing::FreeLoopbackPort();  // nobody listens there
  auto options = ParseNatsUrl("nats://127.0.0.1:" + std::to_string(dead) + "," + live.url());
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  auto nc = Connection::Connect(QuickOptions(*options));
  ASSERT_TRUE(nc.ok()) << nc.status().ToString();
  EXPECT_EQ((*nc)->server(), live.host_port());
  EXPECT_TRUE((*nc)->Flush(2000).ok());

  // With every server down, the error names each.
  live.Kill();
  auto none = Connection::Connect(QuickOptions(*options));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kUnavailable);
  const std::string& why = none.status().message();
  EXPECT_NE(why.find("none of the 2 NATS servers could be reached"), std::string::npos) << why;
  EXPECT_NE(why.find("127.0.0.1:" + std::to_string(dead)), std::string::npos) << why;
  EXPECT_NE(why.find(live.host_port()), std::string::npos) << why;
}

TEST(NatsClusterTest, LearnsTheClusterAndFailsOverWhenItsServerDies) {
  testing::NatsCluster cluster;
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto requester = ConnectTo(cluster, 0);
  auto responder = ConnectTo(cluster, 2);
  ASSERT_TRUE(requester && responder);
  // INFO's connect_urls name the other members once the routes are up.
  ASSERT_TRUE(WaitUntil([&] { return requester->known_servers().size() >= 3; }, 10000))
      << "known: " << requester->known_servers().size() << "\n"
      << cluster.LogTails();
  for (size_t i = 0; i < cluster.size(); ++i) {
    std::string member = cluster.at(i).host_port();
    auto known = requester->known_servers();
    EXPECT_NE(std::find(known.begin(), known.end(), member), known.end()) << member;
  }

  Connection* r = responder.get();
  ASSERT_TRUE(r->Subscribe("svc.where", [r](Message& m) { (void)r->Publish(m.reply, "here"); })
                  .ok());
  ASSERT_TRUE(r->Flush(2000).ok());
  ASSERT_TRUE(WaitUntil([&] { return requester->RequestSync("svc.where", "", 500).ok(); }, 5000));

  // The server in use dies without a goodbye: the client moves to another member, and
  // the subscription on the third still answers through the cluster.
  const std::string first = requester->server();
  ASSERT_EQ(first, cluster.at(0).host_port());
  cluster.at(0).Kill();
  ASSERT_TRUE(WaitUntil([&] { return requester->connected() && requester->server() != first; },
                        10000))
      << "still on " << requester->server() << ", connected " << requester->connected();
  EXPECT_EQ(requester->reconnects(), 1u);
  EXPECT_NE(cluster.Find(requester->server()), nullptr) << requester->server();
  auto reply = requester->RequestSync("svc.where", "", 2000);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->data, "here");
}

// A member that leaves the cluster drops out of the INFO the others send: the client
// forgets it, so that a failover does not spend a connect timeout on it.
TEST(NatsClusterTest, ForgetsAMemberThatLeavesTheCluster) {
  testing::NatsCluster cluster;
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto nc = ConnectTo(cluster, 0);
  ASSERT_TRUE(nc);
  const std::string leaver = cluster.at(2).host_port();
  auto knows = [&](const std::string& server) {
    auto known = nc->known_servers();
    return std::find(known.begin(), known.end(), server) != known.end();
  };
  ASSERT_TRUE(WaitUntil([&] { return knows(leaver); }, 10000)) << cluster.LogTails();
  cluster.at(2).Kill();
  EXPECT_TRUE(WaitUntil([&] { return !knows(leaver); }, 10000))
      << leaver << " is still known after it left";
  // The server it was given is kept, whatever the cluster says.
  EXPECT_TRUE(knows(cluster.at(0).host_port()));
}

TEST(NatsClusterTest, AReplicatedStreamKeepsEveryAcknowledgedMessageThroughFailover) {
  testing::NatsCluster cluster;
  Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto nc = ConnectTo(cluster, 1);
  ASSERT_TRUE(nc);
  JetStream js(nc.get(), 2000);
  // The members elect a metadata leader first; until then JetStream does not answer.
  Result<StreamState> created = Unavailable("not tried");
  ASSERT_TRUE(WaitUntil(
      [&] {
        created = js.EnsureStream({.name = "R3", .subjects = {"r3.>"}, .replicas = 3});
        return created.ok();
      },
      30000))
      << created.status().ToString() << "\n"
      << cluster.LogTails();
  Status consumer = Unavailable("not tried");
  ASSERT_TRUE(WaitUntil(
      [&] {
        consumer = js.EnsureConsumer("R3", {.durable = "c"});
        return consumer.ok();
      },
      10000))
      << consumer.ToString();

  // Publishes until acknowledged (a publish in flight when the server died may fail;
  // the producer sends it again), within a deadline.
  std::set<std::string> acknowledged;
  auto publish = [&](const std::string& data) {
    return WaitUntil(
        [&] {
          std::promise<Status> p;
          js.Publish("r3.m", data, nullptr, 2000,
                     [&](const Status& st, uint64_t) { p.set_value(st); });
          if (!p.get_future().get().ok()) return false;
          acknowledged.insert(data);
          return true;
        },
        30000);
  };
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(publish("before-" + std::to_string(i)));

  const std::string first = nc->server();
  testing::NatsServer* in_use = cluster.Find(first);
  ASSERT_NE(in_use, nullptr) << first;
  in_use->Kill();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(publish("after-" + std::to_string(i))) << "message " << i << "\n"
                                                       << cluster.LogTails();
  }
  EXPECT_NE(nc->server(), first);

  // Every acknowledged message is in the stream, on the two members left.
  std::set<std::string> fetched;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::promise<void> done;
        js.Fetch(
            "R3", "c", 500, 1000,
            [&](Delivered& d) {
              fetched.insert(d.msg.data);
              (void)js.Ack(d.ack_subject);
            },
            [&](const Status&) { done.set_value(); });
        done.get_future().wait();
        return fetched.size() >= acknowledged.size();
      },
      30000))
      << fetched.size() << " of " << acknowledged.size() << " fetched";
  for (const std::string& m : acknowledged) EXPECT_TRUE(fetched.count(m)) << m << " is missing";
}

}  // namespace
}  // namespace tributary::nats
