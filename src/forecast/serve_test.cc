#include "forecast/serve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/testing/temp_dir.h"
#include "forecast/testing/tiny_model.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

std::string Request(int id, const std::string& body, const std::string& type = "application/json") {
  json h = {
      {"id", id}, {"content_type", type}, {"accept", "application/json"}, {"length", body.size()}};
  return h.dump() + "\n" + body;
}

std::string GoodBody(int num_samples) {
  json target = json::array(), dyn = json::array();
  for (int t = 0; t < 30; ++t) target.push_back(10 + t % 4);
  for (int t = 0; t < 36; ++t) dyn.push_back(t % 7 == 0 ? 1 : 0);
  json inst = {
      {"start", "2026-01-01 00:00:00"}, {"target", target}, {"cat", {1}}, {"dynamic_feat", {dyn}}};
  return json{
      {"instances", {inst}},
      {"configuration", {{"num_samples", num_samples}, {"output_types", {"mean", "samples"}}}}}
      .dump();
}

// Reads one answer (header line + body) from `in`.
struct Answer {
  json header;
  std::string body;
};
Answer ReadAnswer(std::istream& in) {
  Answer a;
  std::string line;
  if (!std::getline(in, line)) return a;
  a.header = json::parse(line);
  a.body.resize(a.header.value("length", 0));
  in.read(a.body.data(), static_cast<std::streamsize>(a.body.size()));
  return a;
}

void ExpectThreeAnswers(std::istream& in) {
  Answer first = ReadAnswer(in);
  EXPECT_EQ(first.header["id"], 1);
  EXPECT_EQ(first.header["status"], 200);
  EXPECT_EQ(first.header["content_type"], "application/json");
  EXPECT_EQ(json::parse(first.body)["predictions"][0]["samples"].size(), 3u);
  Answer bad = ReadAnswer(in);
  EXPECT_EQ(bad.header["id"], "two");
  EXPECT_EQ(bad.header["status"], 400);
  EXPECT_NE(bad.header["error"].get<std::string>().find("is not valid JSON: "), std::string::npos)
      << bad.header;
  Answer third = ReadAnswer(in);
  EXPECT_EQ(third.header["id"], 3);
  EXPECT_EQ(third.header["status"], 200);
  EXPECT_EQ(json::parse(third.body)["predictions"][0]["mean"].size(), 6u);
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing_support::TempDir();
    Status s = testing::TrainTinyModel(dir_->path() + "/model");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Model() { return dir_->path() + "/model"; }
  static std::string ThreeRequests() {
    json bad_header = {{"id", "two"}, {"content_type", "application/json"}, {"length", 12}};
    return Request(1, GoodBody(3)) + bad_header.dump() + "\n{\"instances\"" +
           Request(3, GoodBody(4));
  }
  static testing_support::TempDir* dir_;
};

testing_support::TempDir* ServeTest::dir_ = nullptr;

TEST_F(ServeTest, ReadyLineDescribesTheModel) {
  auto p = Predictor::Load(Model());
  ASSERT_TRUE(p.ok());
  json ready = json::parse(ReadyLine((*p)->info()));
  EXPECT_EQ(ready,
            json::parse(R"({"ready": true, "info": {"prediction_length": 6, "context_length": 12,
      "min_target_length": 1, "time_freq": "H", "likelihood": "student-T", "num_dynamic_feat": 1,
      "cardinality": [2]}})"));
}

TEST_F(ServeTest, LoopAnswersInOrderAndSurvivesBadInput) {
  auto p = Predictor::Load(Model());
  ASSERT_TRUE(p.ok());
  std::istringstream in("not json\n" + ThreeRequests());
  std::ostringstream out, log;
  EXPECT_EQ(ServeLoop(**p, 1, in, out, log), 0);
  std::istringstream answers(out.str());
  Answer garbage = ReadAnswer(answers);
  EXPECT_TRUE(garbage.header["id"].is_null());
  EXPECT_EQ(garbage.header["status"], 400);
  ExpectThreeAnswers(answers);
  EXPECT_EQ(answers.peek(), EOF);  // nothing else on the protocol stream
  EXPECT_NE(log.str().find("header is not a JSON object"), std::string::npos);

  // Input ending inside a header or a body is a broken protocol.
  std::string request = Request(1, GoodBody(3));
  for (size_t cut_at : {size_t{20}, request.find('\n') + 10}) {
    std::istringstream cut(request.substr(0, cut_at));
    EXPECT_EQ(ServeLoop(**p, 1, cut, out, log), 1) << cut_at;
  }
  EXPECT_NE(log.str().find("input ended inside a header"), std::string::npos);
  EXPECT_NE(log.str().find("input ended inside the body of request 1 (9 of"), std::string::npos)
      << log.str();
}

// Runs `argv` with pipes on stdin and stdout; stderr stays the test's.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int in[2], out[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  ~Child() {
    CloseInput();
    if (from_child_ >= 0) ::close(from_child_);
    if (pid_ > 0) Wait();
  }
  void Write(const std::string& s) {
    for (size_t done = 0; done < s.size();) {
      ssize_t n = ::write(to_child_, s.data() + done, s.size() - done);
      ASSERT_GT(n, 0) << errno;
      done += static_cast<size_t>(n);
    }
  }
  void CloseInput() {
    if (to_child_ >= 0) ::close(to_child_);
    to_child_ = -1;
  }
  // Everything the child writes until it closes stdout.
  std::string ReadAll() {
    std::string s;
    char buf[65536];
    for (ssize_t n; (n = ::read(from_child_, buf, sizeof buf)) > 0;)
      s.append(buf, static_cast<size_t>(n));
    return s;
  }
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
};

TEST_F(ServeTest, RealWorkerProcessOverPipes) {
  Child worker(
      {TRIBUTARY_FORECAST_TOOL, "serve", "--model", Model(), "--threads", "1", "--seed", "9"});
  worker.Write(ThreeRequests());
  worker.CloseInput();  // EOF: the worker answers what it read, then exits 0
  std::istringstream out(worker.ReadAll());
  std::string ready;
  ASSERT_TRUE(std::getline(out, ready));
  EXPECT_EQ(json::parse(ready)["ready"], true) << ready;
  EXPECT_EQ(json::parse(ready)["info"]["prediction_length"], 6);
  ExpectThreeAnswers(out);
  EXPECT_EQ(out.peek(), EOF);
  EXPECT_EQ(worker.Wait(), 0);
}

TEST_F(ServeTest, RealWorkerReportsALoadFailure) {
  Child worker({TRIBUTARY_FORECAST_TOOL, "serve", "--model", dir_->path() + "/no-such-model"});
  std::string out = worker.ReadAll();
  json line = json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(line["ready"], false);
  EXPECT_NE(line["error"].get<std::string>().find("no-such-model"), std::string::npos) << out;
  EXPECT_EQ(worker.Wait(), 1);
}

}  // namespace
}  // namespace tributary::forecast
