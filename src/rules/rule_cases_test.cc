// Runs the data-driven rule cases in tests/rules/*.rtest (format in
// tests/rules/README.md): each file is one rule and the messages sent through it,
// each with the output expected.
//
//   rule_cases_test                   every file in the compiled-in directory
//   RULE_CASES=path/x.rtest rule_cases_test   one file (or a directory)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mqtt/packet.h"
#include "rules/compiled_rule.h"
#include "rules/rule_definition.h"

namespace tributary::rules {
namespace {

namespace fs = std::filesystem;

struct Line {
  int number;
  std::string key;
  std::string value;
};

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<Line> ReadLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<Line> out;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (Trim(text).empty() || Trim(text)[0] == '#') continue;
    size_t colon = text.find(':');
    if (colon == std::string::npos) {
      out.push_back({n, "?", text});
      continue;
    }
    std::string value = text.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    out.push_back({n, Trim(text.substr(0, colon)), value});
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Compact JSON with key order kept, so expected text may be spaced freely.
std::string Canonical(const std::string& json) {
  auto j = nlohmann::ordered_json::parse(json, nullptr, false);
  return j.is_discarded() ? "<not JSON> " + json : j.dump();
}

struct Msg {
  int line = 0;
  std::string topic, client, principal, trace, ip, payload;
  int64_t ts = 0;
  bool has_properties = false;
  mqtt::Properties properties;
  std::vector<Line> expects;
};

// Runs one file; returns how many expectations it checked.
int RunFile(const fs::path& path) {
  std::vector<Line> lines = ReadLines(path);
  std::string where = path.filename().string();
  std::string sql, republish, compile_error;
  std::vector<Msg> msgs;
  for (const Line& l : lines) {
    std::string at = where + ":" + std::to_string(l.number);
    if (l.key == "sql") {
      sql = l.value;
    } else if (l.key == "republish") {
      republish = l.value;
    } else if (l.key == "compile-error") {
      compile_error = l.value;
    } else if (l.key == "message") {
      Msg m;
      m.line = l.number;
      std::istringstream fields(l.value);
      std::string kv;
      while (fields >> kv) {
        size_t eq = kv.find('=');
        std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
        if (k == "topic") m.topic = v;
        else if (k == "client") m.client = v;
        else if (k == "ts") m.ts = std::stoll(v);
        else if (k == "principal") m.principal = v;
        else if (k == "trace") m.trace = v;
        else if (k == "ip") m.ip = v;
        else ADD_FAILURE() << at << ": unknown message field '" << k << "'";
      }
      msgs.push_back(std::move(m));
    } else if (l.key == "payload" || l.key == "payload-hex") {
      if (msgs.empty()) {
        ADD_FAILURE() << at << ": payload before any message line";
        continue;
      }
      msgs.back().payload = l.key == "payload" ? l.value : Unhex(l.value);
    } else if (l.key == "user-property" || l.key == "mqtt-property") {
      if (msgs.empty()) {
        ADD_FAILURE() << at << ": " << l.key << " before any message line";
        continue;
      }
      size_t eq = l.value.find('=');
      std::string k = l.value.substr(0, eq), v = eq == std::string::npos ? "" : l.value.substr(eq + 1);
      mqtt::Properties& p = msgs.back().properties;
      msgs.back().has_properties = true;
      if (l.key == "user-property") p.user_properties.emplace_back(k, v);
      else if (k == "content_type") p.content_type = v;
      else if (k == "response_topic") p.response_topic = v;
      else if (k == "correlation_data") p.correlation_data = v;
      else if (k == "format_indicator") p.payload_format_indicator = static_cast<uint8_t>(std::stoi(v));
      else ADD_FAILURE() << at << ": unknown MQTT property '" << k << "'";
    } else if (l.key == "expect" || l.key == "expect-topic") {
      if (msgs.empty()) {
        ADD_FAILURE() << at << ": expect before any message line";
        continue;
      }
      msgs.back().expects.push_back(l);
    } else {
      ADD_FAILURE() << at << ": unknown line '" << l.key << "'";
    }
  }
  if (sql.empty()) {
    ADD_FAILURE() << where << ": no 'sql:' line";
    return 0;
  }
  RuleDefinition def;
  def.name = path.stem().string();
  def.sql = sql;
  if (!republish.empty()) def.actions.push_back(RepublishAction{.topic = republish, .qos = 0, .headers = {}});
  auto rule = CompiledRule::Compile(def);
  if (!compile_error.empty()) {
    EXPECT_FALSE(rule.ok()) << where << ": expected the compile error '" << compile_error << "'";
    if (!rule.ok()) {
      EXPECT_NE(rule.status().message().find(compile_error), std::string::npos)
          << where << ": compile error was '" << rule.status().message() << "', expected it to "
          << "contain '" << compile_error << "'";
    }
    return 1;
  }
  if (!rule.ok()) {
    ADD_FAILURE() << where << ": " << rule.status().message();
    return 0;
  }
  int checked = 0;
  for (const Msg& msg : msgs) {
    expr::Message m(msg.topic, msg.payload);
    m.client_id = msg.client;
    m.received_at_ms = msg.ts;
    m.principal = msg.principal;
    m.trace_id = msg.trace;
    m.source_ip = msg.ip;
    if (msg.has_properties) m.properties = &msg.properties;
    for (const Line& e : msg.expects) {
      ++checked;
      std::string at = where + ":" + std::to_string(e.number) + " (message at line " +
                       std::to_string(msg.line) + ")";
      if (e.key == "expect-topic") {
        auto t = (*rule)->RepublishTopic(0, m);
        std::string got = t.ok() ? *t : "error: " + t.status().message();
        EXPECT_EQ(got, e.value) << at;
        continue;
      }
      const std::string& want = e.value;
      if (want == "no match") {
        EXPECT_FALSE((*rule)->Matches(m.topic)) << at << ": the filter matched";
        continue;
      }
      EXPECT_TRUE((*rule)->Matches(m.topic)) << at << ": filter '" << (*rule)->topic_filter()
                                             << "' does not match topic '" << msg.topic << "'";
      auto out = (*rule)->Evaluate(m);
      if (want.rfind("error:", 0) == 0) {
        std::string part = Trim(want.substr(6));
        EXPECT_FALSE(out.ok()) << at << ": expected an error, got output";
        if (!out.ok()) {
          EXPECT_NE(out.status().message().find(part), std::string::npos)
              << at << ": error was '" << out.status().message() << "'";
        }
        continue;
      }
      if (!out.ok()) {
        ADD_FAILURE() << at << ": " << out.status().ToString();
        continue;
      }
      if (want == "no output") {
        EXPECT_FALSE(out->has_value()) << at << ": got " << (*out)->payload;
        continue;
      }
      if (!out->has_value()) {
        ADD_FAILURE() << at << ": no output (WHERE was not true)";
        continue;
      }
      if (want.rfind("raw ", 0) == 0) {
        EXPECT_FALSE((*out)->is_json) << at;
        EXPECT_EQ((*out)->payload, want.substr(4)) << at;
      } else if (want.rfind("raw-hex ", 0) == 0) {
        EXPECT_FALSE((*out)->is_json) << at;
        EXPECT_EQ((*out)->payload, Unhex(want.substr(8))) << at;
      } else {
        EXPECT_TRUE((*out)->is_json) << at;
        // Exact text first (our output is compact), then canonical for a clearer diff.
        if ((*out)->payload != want) {
          EXPECT_EQ(Canonical((*out)->payload), Canonical(want)) << at;
        }
      }
    }
  }
  EXPECT_GT(checked, 0) << where << ": no expectations";
  return checked;
}

TEST(RuleCasesTest, AllFiles) {
  const char* env = std::getenv("RULE_CASES");
  fs::path dir = env ? fs::path(env) : fs::path(RULE_CASES_DIR);
  std::vector<fs::path> files;
  if (fs::is_regular_file(dir)) {
    files.push_back(dir);
  } else {
    ASSERT_TRUE(fs::is_directory(dir)) << "no rule cases at " << dir;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".rtest") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (!env) {
    EXPECT_GE(files.size(), 25u) << "expected at least 25 .rtest files in " << dir;
  }
  int total = 0;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    total += RunFile(f);
  }
  std::cout << files.size() << " rule case files, " << total << " expectations\n";
}

}  // namespace
}  // namespace tributary::rules
