// SPDX-License-Identifier: Apache-2.0
// storectl's commands that need no running agent, only files:
//   storectl code inspect PAYLOAD [--keys PEM...] [--member-keys PEM...] [--brand-pattern P...]
//   storectl catalog import FILE          (into the agent's ledger file)
//   storectl demo codes N [--gtin GTIN]   (with the keys `store-agent --demo` wrote)
#pragma once

#include <string>
#include <vector>

#include "command_line.hpp"

namespace sa::storectl {

// `code inspect` and `catalog import`.
class OfflineCommands : public CommandGroup {
 public:
  OfflineCommands(CLI::App& app, Options& options);

 private:
  int CodeInspect() const;
  int CatalogImport() const;

  Options& options_;
  std::string payload_, file_;
  std::vector<std::string> keys_, member_keys_, patterns_;
};

// `demo codes`: a group of its own, as --help lists it after the agent's
// commands.
class DemoCommands : public CommandGroup {
 public:
  DemoCommands(CLI::App& app, Options& options);

 private:
  Options& options_;
  int count_ = 0;
  std::string gtin_;
};

}  // namespace sa::storectl
