// SPDX-License-Identifier: Apache-2.0
// What storectl's command groups share: the options that say how to reach
// the agent, the shape of a group, and the parse, which names a mistyped
// command with the nearest one:
//   storectl: unknown command 'sael' (did you mean 'sale'?)
#pragma once

#include <string>

#include "agent_commands.hpp"

namespace CLI {
class App;
}

namespace sa::storectl {

// A group of subcommands (`sale open|scan|...`, `order ...`): its
// constructor adds them to the app and binds their arguments to its members.
class CommandGroup {
 public:
  virtual ~CommandGroup() = default;
  // The exit code of the command given, or -1 when it is not one of these.
  virtual int Run() const = 0;
};

// --json (with `json_help`), --data-dir, --url and --token-file: where the
// agent is and how to speak to it.
void AddConnectionOptions(CLI::App* app, Options& options, const std::string& json_help);
// The same on a command that talks to the agent, with its exit codes below
// its help.
void AddAgentOptions(CLI::App* sub, Options& options);
// --json (with `json_help`) and --data-dir, for a command that needs no agent.
void AddOfflineOptions(CLI::App* sub, Options& options, const std::string& json_help);

// Parses the command line into `app`: -1 when a command is to run, else the
// exit code (0 after --help or --version, kExitUsage on a usage error).
int ParseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace sa::storectl
