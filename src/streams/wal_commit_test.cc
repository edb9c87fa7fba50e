// The write-ahead log's tests: Group commit: acknowledgements in order, batching, the commit delay, what a commit reports.
#include "streams/wal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/completion_batch.h"
#include "base/files.h"
#include "base/testing/temp_dir.h"
#include "base/thread_name.h"
#include "streams/testing/wal_test_support.h"
#include "streams/wal_format.h"

namespace tributary::streams {
namespace {

namespace fs = std::filesystem;
using namespace testing;  // streams::testing: the WAL's test helpers
using testing_support::TempDir;

TEST(WalTest, GroupCommitAcknowledgesEveryCallerInAppendOrder) {
  TempDir dir;
  Harness h(dir.path());
  constexpr int kThreads = 8, kPerThread = 200;
  std::mutex mu;
  std::vector<uint64_t> acked;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        h.wal->Append(std::to_string(t) + ":" + std::to_string(i), 1,
                      [&](const Status& s, uint64_t seq) {
                        if (s.ok()) ok++;
                        std::lock_guard<std::mutex> lock(mu);
                        acked.push_back(seq);
                      });
      }
    });
  }
  for (auto& t : threads) t.join();
  h.wal.reset();  // drains the queue
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  ASSERT_EQ(acked.size(), size_t(kThreads * kPerThread));
  for (size_t i = 0; i < acked.size(); ++i) EXPECT_EQ(acked[i], i + 1) << "callback order";
  // Records hit the hook in sequence order, each thread's own in its order.
  ASSERT_EQ(h.durable.size(), acked.size());
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < h.durable.size(); ++i) {
    EXPECT_EQ(h.durable[i].seq, i + 1);
    int t = std::stoi(h.durable[i].data);
    EXPECT_EQ(h.durable[i].data, std::to_string(t) + ":" + std::to_string(next[t]++));
  }
  Harness again(dir.path());
  EXPECT_EQ(again.recovered.size(), acked.size());
}

// A batch from AppendAll takes consecutive sequence numbers, in its order, even while other
// threads append one record at a time; each record is its own slice of the shared buffer.
TEST(WalTest, AppendAllQueuesItsRecordsTogetherInOrder) {
  TempDir dir;
  Harness h(dir.path());
  constexpr int kBatches = 100, kPerBatch = 7;
  std::atomic<bool> stop{false};
  std::thread single([&] {
    while (!stop.load()) h.wal->Append("single", 1, [](const Status&, uint64_t) {});
  });
  std::mutex mu;
  std::map<std::string, uint64_t> seq_of;  // "<batch>:<i>" -> its sequence number
  for (int b = 0; b < kBatches; ++b) {
    std::string data;
    std::vector<Wal::Entry> entries;
    for (int i = 0; i < kPerBatch; ++i) {
      std::string rec = std::to_string(b) + ":" + std::to_string(i);
      entries.push_back({data.size(), rec.size(), 100 + i, [&, rec](const Status& s, uint64_t seq) {
                           EXPECT_TRUE(s.ok()) << s.ToString();
                           std::lock_guard<std::mutex> lock(mu);
                           seq_of[rec] = seq;
                         }});
      data += rec;
      data += "junk between the records";
    }
    h.wal->AppendAll(data, entries);
  }
  stop = true;
  single.join();
  h.wal.reset();  // drains the queue
  ASSERT_EQ(seq_of.size(), size_t(kBatches * kPerBatch));
  std::map<uint64_t, WalRecord> durable;
  for (const WalRecord& r : h.durable) durable[r.seq] = r;
  for (int b = 0; b < kBatches; ++b) {
    uint64_t first = seq_of[std::to_string(b) + ":0"];
    for (int i = 0; i < kPerBatch; ++i) {
      std::string rec = std::to_string(b) + ":" + std::to_string(i);
      EXPECT_EQ(seq_of[rec], first + i) << rec << ": not consecutive";
      ASSERT_EQ(durable.count(first + i), 1u);
      EXPECT_EQ(durable[first + i].data, rec);
      EXPECT_EQ(durable[first + i].arrival_ms, 100 + i);
    }
  }
  Harness again(dir.path());
  EXPECT_EQ(again.recovered.size(), h.durable.size());
}

// What the callers' `done` post to another thread (a connection's PUBACKs to its I/O
// thread) leaves the writer in one post per destination and commit, not one per record.
TEST(WalTest, WhatTheCallersPostGoesOncePerCommit) {
  TempDir dir;
  std::atomic<int> batches{0};
  WalOptions o;
  o.dir = dir.path();
  o.fsync = *FsyncPolicy::Parse("always");
  o.on_batch_done = [&](const Status&, const WalBatchDone&) { ++batches; };
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  struct Destination {
    std::mutex mu;
    int posts = 0;
    int tasks = 0;
  } destination;
  auto post = [](void* key, CompletionBatch::Task run) {
    auto* d = static_cast<Destination*>(key);
    {
      std::lock_guard<std::mutex> lock(d->mu);
      ++d->posts;
    }
    run();  // a real destination runs it later, on its own thread
  };
  constexpr int kRecords = 2000;
  for (int i = 0; i < kRecords; ++i) {
    (*wal)->Append("record " + std::to_string(i), 1, [&](const Status&, uint64_t) {
      CompletionBatch::Post(&destination, post, [&] {
        std::lock_guard<std::mutex> lock(destination.mu);
        ++destination.tasks;
      });
    });
  }
  wal->reset();  // drains the queue
  EXPECT_EQ(destination.tasks, kRecords);
  EXPECT_LT(batches.load(), kRecords) << "every record committed alone: nothing to batch";
  EXPECT_EQ(destination.posts, batches.load());
}

TEST(WalTest, ItsThreadsAreNamedAfterTheStream) {
  TempDir dir;
  std::string stream_dir = dir.path() + "/telemetry";
  Harness h(stream_dir);
  std::string seen;
  h.wal->Append("x", 1, [&](const Status&, uint64_t) { seen = ThreadName(); });
  h.wal.reset();  // completes what was queued, then stops the writer
  EXPECT_EQ(seen, "wal:telemetry");
}

// on_batch_done learns each commit's records, their bytes and how long writing and
// syncing took.
TEST(WalTest, EachCommitReportsItsRecordsBytesAndDuration) {
  TempDir dir;
  std::mutex mu;
  std::vector<WalBatchDone> done;
  WalOptions o;
  o.dir = dir.path();
  o.fsync = *FsyncPolicy::Parse("always");
  o.on_batch_done = [&](const Status& s, const WalBatchDone& b) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(b);
  };
  std::vector<WalRecord> recovered;
  auto opened = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Wal> wal = std::move(opened).value();
  std::atomic<int> acked{0};
  std::string data(30, 'r');
  std::vector<Wal::Entry> entries;
  for (size_t i = 0; i < 10; ++i) {
    entries.push_back({i * 3, 3, 1, [&](const Status&, uint64_t) { ++acked; }});
  }
  wal->AppendAll(data, entries);
  ASSERT_TRUE(WaitUntil([&] { return acked.load() == 10; }, 5000));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].records, 10u);
  EXPECT_EQ(done[0].bytes, 30u);
  EXPECT_GT(done[0].commit_ns, 0);
  EXPECT_LT(done[0].commit_ns, 5'000'000'000);
}

// A lone caller appending one record at a time is never held by the commit delay: three
// appends in a row, each waiting for its acknowledgement, with a 2 s delay, take far
// less than one delay.
TEST(WalTest, TheCommitDelayDoesNotHoldALoneCaller) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.commit_delay_us = 2'000'000;
  std::vector<WalRecord> recovered;
  auto wal = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    std::promise<Status> p;
    (*wal)->Append("one at a time", 1, [&](const Status& s, uint64_t) { p.set_value(s); });
    EXPECT_TRUE(p.get_future().get().ok());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// A WAL whose commits are timed by its on_durable hook, which also sleeps `sleep_ms`
// after a commit of more than one record (a costly commit); the callers'
// acknowledgements are counted.
struct TimedCommits {
  std::mutex mu;
  std::vector<std::pair<std::chrono::steady_clock::time_point, size_t>> commits;
  std::atomic<size_t> acked{0};
  size_t appended = 0;
  std::unique_ptr<Wal> wal;

  // A WAL in `dir` with the commit delay's bounds (by default no batch ends the wait).
  TimedCommits(const std::string& dir, int64_t cap_us, int64_t per_record_ns, int64_t max_commits,
               int sleep_ms, size_t batch_records = 100'000) {
    WalOptions o;
    o.dir = dir;
    // Not synced: these tests time the commit delay, and a busy disk's fdatasync (another
    // test's writes) would stretch a commit past the delay it earns, after which the next
    // commit rightly starts at once.
    o.fsync.mode = FsyncPolicy::Mode::kNever;
    o.commit_delay_us = cap_us;
    o.commit_delay_per_record_ns = per_record_ns;
    o.commit_delay_max_commits = max_commits;
    o.commit_batch_records = batch_records;
    o.on_durable = [this, sleep_ms](const std::vector<WalFrame>& frames) {
      {
        std::lock_guard<std::mutex> lock(mu);
        commits.emplace_back(std::chrono::steady_clock::now(), frames.size());
      }
      if (frames.size() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    };
    std::vector<WalRecord> recovered;
    auto opened = Wal::Open(std::move(o), &recovered);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) wal = std::move(opened).value();
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return commits.size();
  }
  Wal::DoneFn Ack() {
    return [this](const Status& s, uint64_t) {
      EXPECT_TRUE(s.ok());
      ++acked;
    };
  }
  // `n` records appended together.
  void AppendMany(size_t n) {
    std::string data(n, 'r');
    std::vector<Wal::Entry> entries;
    for (size_t i = 0; i < n; ++i) entries.push_back({i, 1, 1, Ack()});
    wal->AppendAll(data, entries);
    appended += n;
  }
  // A commit of `n` records, then `then` records (one by one), which wait for the delay
  // the n earn; the time between the two commits in ms (-1 if they did not come).
  int64_t BurstThenOne(size_t n, size_t then = 1) {
    size_t before = Count();
    AppendMany(n);
    if (!WaitUntil([&] { return Count() == before + 1; }, 5000)) return -1;
    for (size_t i = 0; i < then; ++i) wal->Append("next", 1, Ack());
    if (!WaitUntil([&] { return Count() == before + 2; }, 5000)) return -1;
    appended += then;
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(commits[before].second, n);
    EXPECT_EQ(commits[before + 1].second, then);
    return std::chrono::duration_cast<std::chrono::milliseconds>(commits[before + 1].first -
                                                                 commits[before].first)
        .count();
  }
  bool AllAcked() { return WaitUntil([&] { return acked.load() == appended; }, 5000); }
};

// After a commit of several records the next one waits `commit_delay_per_record_ns` per
// record it held, at most `commit_delay_us`, from its start, and takes what arrived
// meanwhile. Here 1 ms a record with a cap of 400 ms: 20 records hold the next commit
// about 20 ms, 200 records about 200 ms, and 2,000 records the cap (not 2 s).
TEST(WalTest, TheWaitGrowsWithTheLastCommitUpToTheCap) {
  TempDir dir;
  // Commits here are quick: what they cost is not the limit.
  TimedCommits t(dir.path(), 400'000, 1'000'000, /*max_commits=*/1'000'000, /*sleep_ms=*/0);
  ASSERT_TRUE(t.wal);
  int64_t gap20 = t.BurstThenOne(20);
  int64_t gap200 = t.BurstThenOne(200);
  int64_t gap2000 = t.BurstThenOne(2000);
  ASSERT_TRUE(t.AllAcked());
  EXPECT_GE(gap20, 15);
  EXPECT_LT(gap20, 150);  // a fixed delay would be the cap, 400 ms
  EXPECT_GE(gap200, 190);
  EXPECT_LT(gap200, 380);
  EXPECT_GE(gap2000, 390);
  EXPECT_LT(gap2000, 1500);  // uncapped it would be 2 s
}

// A cheap commit is not followed by a long wait: no longer than
// `commit_delay_max_commits` times what it kept the writer busy. Here a commit of 500
// records would earn 500 ms (1 ms a record, cap 1 s), but it kept the writer busy about
// 20 ms (its hook sleeps), so the next one comes about 60 ms after it.
TEST(WalTest, TheWaitIsBoundedByWhatTheLastCommitCost) {
  TempDir dir;
  TimedCommits t(dir.path(), 1'000'000, 1'000'000, /*max_commits=*/3, /*sleep_ms=*/20);
  ASSERT_TRUE(t.wal);
  int64_t gap = t.BurstThenOne(500);
  ASSERT_TRUE(t.AllAcked());
  EXPECT_GE(gap, 50);
  EXPECT_LT(gap, 300) << "without the bound: 500 ms";
}

// The wait ends once `commit_batch_records` records are waiting: here a commit of 500
// records earns the next a 500 ms wait, which 63 records sit out, and 64 (the batch) do not.
TEST(WalTest, TheWaitEndsWhenAWholeBatchIsWaiting) {
  TempDir dir;
  TimedCommits t(dir.path(), 1'000'000, 1'000'000, /*max_commits=*/1'000'000, /*sleep_ms=*/0,
                 /*batch_records=*/64);
  ASSERT_TRUE(t.wal);
  int64_t short_of_a_batch = t.BurstThenOne(500, 63);
  int64_t a_batch = t.BurstThenOne(500, 64);
  ASSERT_TRUE(t.AllAcked());
  EXPECT_GE(short_of_a_batch, 450);
  EXPECT_LT(a_batch, 250) << "the whole delay: 500 ms";
  // Appended together, past the batch in one go, they do not wait either.
  size_t before = t.Count();
  t.AppendMany(500);
  ASSERT_TRUE(WaitUntil([&] { return t.Count() == before + 1; }, 5000));
  t.AppendMany(100);
  ASSERT_TRUE(WaitUntil([&] { return t.Count() == before + 2; }, 5000));
  ASSERT_TRUE(t.AllAcked());
  std::lock_guard<std::mutex> lock(t.mu);
  EXPECT_EQ(t.commits[before + 1].second, 100u);
  EXPECT_LT(t.commits[before + 1].first - t.commits[before].first, std::chrono::milliseconds(250));
}

// The delay counts from the start of the last commit: after one that took longer than
// the delay (a slow disk; here its hook sleeps), the next starts at once instead of
// leaving the disk idle for another delay.
TEST(WalTest, ACommitSlowerThanTheDelayIsFollowedAtOnce) {
  TempDir dir;
  constexpr auto kDelay = std::chrono::milliseconds(200);
  constexpr auto kCommit = std::chrono::milliseconds(300);
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> commits;
  WalOptions o;
  o.dir = dir.path();
  o.fsync.mode = FsyncPolicy::Mode::kNever;  // the hook is the slow commit, not the disk
  o.commit_delay_us = std::chrono::duration_cast<std::chrono::microseconds>(kDelay).count();
  o.commit_delay_per_record_ns = 1'000'000'000;  // ten records earn the whole delay
  o.on_durable = [&](const std::vector<WalFrame>&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      commits.push_back(std::chrono::steady_clock::now());
    }
    std::this_thread::sleep_for(kCommit);
  };
  std::vector<WalRecord> recovered;
  auto opened = Wal::Open(std::move(o), &recovered);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Wal> wal = std::move(opened).value();
  std::atomic<int> acked{0};
  auto append_ten = [&] {
    std::string data(10, 'r');
    std::vector<Wal::Entry> entries;
    for (size_t i = 0; i < 10; ++i) {
      entries.push_back({i, 1, 1, [&](const Status& s, uint64_t) {
                           EXPECT_TRUE(s.ok());
                           ++acked;
                         }});
    }
    wal->AppendAll(data, entries);
  };
  append_ten();  // one commit of ten: the next one is delayed
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !commits.empty();
  }, 5000));
  append_ten();  // queued while the first commit is still under way
  ASSERT_TRUE(WaitUntil([&] { return acked.load() == 20; }, 5000));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(commits.size(), 2u);
  auto gap = commits[1] - commits[0];
  EXPECT_GE(gap, kCommit);
  // Counted from the end of the first commit, the second would start kCommit + kDelay
  // (500 ms) after the first.
  EXPECT_LT(gap, kCommit + kDelay * 3 / 4)
      << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms";
}

}  // namespace
}  // namespace tributary::streams
