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
