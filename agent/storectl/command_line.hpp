// SPDX-License-Identifier: Apache-2.0
// What storectl's command groups share: the options that say how to reach
// the agent, the shape of a group, and the parse, which names a mistyped
// command with the nearest one:
//   storectl: unknown command 'sael' (did you mean 'sale'?)
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "agent_commands.hpp"

namespace CLI {
class App;
}

namespace sa::storectl {

// A group of subcommands (`sale open|scan|...`, `order ...`): its
// constructor adds each with AddCommand, which says what it runs, and binds
// their arguments to the group's members.
class CommandGroup {
 public:
  CommandGroup() = default;
  // The parser holds the addresses of the members: a group stays put.
  CommandGroup(const CommandGroup&) = delete;
  CommandGroup& operator=(const CommandGroup&) = delete;

  // The exit code of the command given, or -1 when it is not one of these.
  int Run() const;

 protected:
  ~CommandGroup() = default;
  // Adds `name` under `parent`; `run` is what it does when it is the
  // command given. Its arguments are the caller's to add.
  CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& what,
                       std::function<int()> run);

 private:
  std::vector<std::pair<const CLI::App*, std::function<int()>>> commands_;
};

// --json (with `json_help`), --data-dir, --url and --token-file: where the
// agent is and how to speak to it.
void AddConnectionOptions(CLI::App* app, Options& options, const std::string& json_help);
// The same on a command that talks to the agent, with its exit codes below
// its help.
void AddAgentOptions(CLI::App* sub, Options& options);
// --locale: the language of the human output (texts.hpp). The options
// below add it.
void AddLocaleOption(CLI::App* app, Options& options);
// --json (with `json_help`) and --data-dir, for a command that needs no agent.
void AddOfflineOptions(CLI::App* sub, Options& options, const std::string& json_help);

// Parses the command line into `app`: -1 when a command is to run, else the
// exit code (0 after --help or --version, kExitUsage on a usage error).
int ParseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace sa::storectl
