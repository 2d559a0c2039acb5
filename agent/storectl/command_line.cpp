// SPDX-License-Identifier: Apache-2.0
#include "command_line.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

namespace sa::storectl {
namespace {

// The name nearest to `word`, or empty when none is near enough to be what
// was meant (more than two slips, or as many slips as letters).
std::string NearestName(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 0;
  for (const std::string& name : names) {
    const std::size_t distance = TypingDistance(word, name);
    if (best.empty() || distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  if (best_distance > 2 || best_distance >= word.size()) return {};
  return best;
}

// The command the parse got deepest into: storectl itself, `sale`, ...
const CLI::App* DeepestCommand(const CLI::App& app) {
  const CLI::App* at = &app;
  for (auto given = at->get_subcommands(); !given.empty(); given = at->get_subcommands()) {
    at = given.front();
  }
  return at;
}

// "storectl: unknown command 'sael' (did you mean 'sale'?)" when the parse
// stopped at a command group whose next word names none of its commands
// (CLI11 would only say that a subcommand is required); else empty.
std::string UnknownCommand(const CLI::App& app) {
  const CLI::App* group = DeepestCommand(app);
  std::vector<std::string> names;
  for (const CLI::App* sub : group->get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) names.push_back(sub->get_name());  // not an option group
  }
  const std::vector<std::string> rest = group->remaining();
  const auto word = std::find_if(rest.begin(), rest.end(), [](const std::string& w) {
    return !w.empty() && w.front() != '-';
  });
  if (names.empty() || word == rest.end()) return {};
  if (std::find(names.begin(), names.end(), *word) != names.end()) return {};
  std::string message = "storectl: unknown command '" + *word + "'";
  if (const std::string near = NearestName(*word, names); !near.empty()) {
    return message + " (did you mean '" + near + "'?)";
  }
  std::string path;
  for (const CLI::App* at = group; at->get_parent() != nullptr; at = at->get_parent()) {
    path = " " + at->get_name() + path;
  }
  return message + " (see storectl" + path + " --help)";
}

}  // namespace

int CommandGroup::Run() const {
  for (const auto& [sub, run] : commands_) {
    // `provision verify` parses `provision` too: the command given is the
    // last one on the line.
    if (sub->parsed() && sub->get_subcommands().empty()) return run();
  }
  return -1;
}

CLI::App* CommandGroup::AddCommand(CLI::App* parent, const std::string& name,
                                   const std::string& what, std::function<int()> run) {
  CLI::App* sub = parent->add_subcommand(name, what);
  commands_.emplace_back(sub, std::move(run));
  return sub;
}

void AddLocaleOption(CLI::App* app, Options& options) {
  app->add_option("--locale", options.locale,
                  "The language of the human output: en or zh-CN (default: "
                  "$STORE_AGENT_LOCALE, else the store's store.locale as the agent says it, "
                  "else en)");
}

void AddConnectionOptions(CLI::App* app, Options& options, const std::string& json_help) {
  app->add_flag("--json", options.json, json_help);
  app->add_option("--data-dir", options.data_dir,
                  "The agent's data directory (default: $STORE_AGENT_DATA, else "
                  "/var/lib/store-agent)");
  app->add_option("--url", options.url,
                  "The agent's base URL (default: $STORE_AGENT_URL, else {data-dir}/api-url, "
                  "else http://127.0.0.1:8787)");
  app->add_option("--token-file", options.token_file,
                  "The file holding the API token (default: {data-dir}/api-token)");
  AddLocaleOption(app, options);
}

void AddAgentOptions(CLI::App* sub, Options& options) {
  // Each agent command takes these after its own name too.
  AddConnectionOptions(sub, options, "Print the agent's JSON answer as-is to stdout");
  sub->footer(
      "Exit codes: 0 ok, 1 usage, 2 cannot reach the agent (no answer, token refused, "
      "or an agent fault), 3 the agent refused the input.");
}

void AddOfflineOptions(CLI::App* sub, Options& options, const std::string& json_help) {
  sub->add_flag("--json", options.json, json_help);
  sub->add_option("--data-dir", options.data_dir, "The agent's data directory");
  AddLocaleOption(sub, options);
}

int ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const std::string unknown = UnknownCommand(app); !unknown.empty()) {
      std::cerr << unknown << "\n";
      return kExitUsage;
    }
    app.exit(e);
    return kExitUsage;
  }
  return -1;
}

}  // namespace sa::storectl
