#include "cli/parse_errors.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::cli {
namespace {

// Edit distance (insertions, deletions, substitutions), for "did you mean".
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest of `names` to `word` when close enough to be a typo ("" otherwise).
std::string Closest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& n : names) {
    size_t d = Distance(word, n);
    if (d < best_distance) {
      best = n;
      best_distance = d;
    }
  }
  return best;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool IsOption(const std::string& word) {
  return word.size() > 1 && word[0] == '-' && !(word[1] >= '0' && word[1] <= '9') && word[1] != '.';
}

std::vector<std::string> Verbs(CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  return out;
}

std::vector<std::string> LongOptions(CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app->get_options()) {
    for (const std::string& name : o->get_lnames()) out.push_back("--" + name);
  }
  return out;
}

}  // namespace

int ReportParseError(CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help, --help-all, --version
  // The command the error is about: the deepest one named on the command line.
  CLI::App* command = &app;
  std::string path = "tributary";
  for (std::vector<CLI::App*> parsed = app.get_subcommands(); !parsed.empty();
       parsed = command->get_subcommands()) {
    command = parsed.front();
    path += " " + command->get_name();
  }
  const std::string help = "see " + path + " --help";
  const std::vector<std::string> words = command->remaining();
  const std::vector<std::string> verbs = Verbs(command);
  std::string message;
  auto option = std::find_if(words.begin(), words.end(), IsOption);
  if (option != words.end()) {
    std::string name = option->substr(0, option->find('='));
    std::string guess = Closest(name, LongOptions(command));
    message = "unknown option '" + name + "' (" +
              (guess.empty() ? "" : "did you mean '" + guess + "'? ") + help + ")";
  } else if (!words.empty() && !verbs.empty()) {
    std::string guess = Closest(words.front(), verbs);
    message = "unknown command '" + words.front() + "' (" +
              (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "commands: " + Join(verbs) +
              "; " + help + ")";
  } else if (!words.empty()) {
    message = "unexpected argument '" + words.front() + "' (" + help + ")";
  } else if (!verbs.empty() && command->get_require_subcommand_min() > 0 &&
             command->get_subcommands().empty()) {
    message = "name a command: " + Join(verbs) + " (" + help + ")";
  } else {
    message = error.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    while (!message.empty() && message.back() == ' ') message.pop_back();
    message += " (" + help + ")";
  }
  std::fprintf(stderr, "%s: %s\n", path.c_str(), message.c_str());
  return 2;
}

}  // namespace tributary::cli
