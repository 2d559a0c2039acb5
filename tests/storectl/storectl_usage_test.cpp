// SPDX-License-Identifier: Apache-2.0
// storectl's command line itself, through the real binary and without an
// agent: --version, and what a mistyped command is told.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storectl_support.hpp"

using sa::testing::RunResult;

namespace {

RunResult Storectl(const std::vector<std::string>& args) {
  return sa::testing::RunProgram(SA_STORECTL, args);
}

}  // namespace

TEST_CASE("storectl --version prints the project's version", "[storectl][usage]") {
  // SA_VERSION is CMake's PROJECT_VERSION, as store-agent is given it.
  const RunResult r = Storectl({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string("storectl ") + SA_VERSION + "\n");
  CHECK(r.err.empty());
}

TEST_CASE("storectl names a mistyped command and the nearest one", "[storectl][usage]") {
  // The first word, with the rest of the line as it was typed.
  RunResult r = Storectl({"sael", "open"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 'sael' (did you mean 'sale'?)\n");
  CHECK(r.out.empty());

  // The second word, under the group it belongs to.
  r = Storectl({"sale", "opne"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 'opne' (did you mean 'open'?)\n");

  // Shared options before the word do not hide it.
  r = Storectl({"--json", "--data-dir", "/nonexistent", "sael", "open"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 'sael' (did you mean 'sale'?)\n");
  CHECK(r.out.empty());

  // Every group: a slip of one or two letters is still recognised.
  struct Slip {
    std::vector<std::string> args;
    std::string typed, meant;
  };
  const std::vector<Slip> slips = {
      {{"ordr", "list"}, "ordr", "order"},
      {{"order", "acept", "A-1"}, "acept", "accept"},
      {{"terminal", "mdoe"}, "mdoe", "mode"},
      {{"sync", "stauts"}, "stauts", "status"},
      {{"stock", "recieve"}, "recieve", "receive"},
      {{"cashier", "ad", "ann"}, "ad", "add"},
      {{"shift", "clsoe", "S-1"}, "clsoe", "close"},
      {{"provision", "verfy", "b.sab"}, "verfy", "verify"},
  };
  for (const Slip& slip : slips) {
    INFO(slip.typed);
    r = Storectl(slip.args);
    CHECK(r.exit_code == 1);
    CHECK(r.err ==
          "storectl: unknown command '" + slip.typed + "' (did you mean '" + slip.meant + "'?)\n");
  }
}

TEST_CASE("storectl: an unknown command with nothing near points at --help", "[storectl][usage]") {
  RunResult r = Storectl({"frobnicate"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 'frobnicate' (see storectl --help)\n");
  r = Storectl({"sale", "frobnicate", "S-1"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 'frobnicate' (see storectl sale --help)\n");
  // One letter is too short to guess from.
  r = Storectl({"s"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "storectl: unknown command 's' (see storectl --help)\n");
}

TEST_CASE("storectl: other usage errors read as before", "[storectl][usage]") {
  // No command at all under a group: nothing was mistyped.
  RunResult r = Storectl({"sale"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("A subcommand is required") != std::string::npos);
  // A known command without its argument.
  r = Storectl({"sale", "show"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("SALE is required") != std::string::npos);
  // A word too many after a command that takes none.
  r = Storectl({"status", "extra"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not expected: extra") != std::string::npos);
  // --help still wins over a mistyped word.
  r = Storectl({"sael", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Subcommands:") != std::string::npos);
}
