// SPDX-License-Identifier: Apache-2.0
// The real storectl binary: codes minted by openssl on this run (new keys and
// serials every time), each class of bad input, and catalog import with its
// exit codes.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Result {
  int exit_code = -1;
  std::string out;
};

// Runs storectl with exactly these arguments (no shell: payloads may hold any byte).
Result Storectl(std::vector<std::string> args) {
  sa::testing::Child child(SA_STORECTL, std::move(args));
  Result r;
  r.out = child.ReadAll();
  r.exit_code = child.Wait();
  return r;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

using sa::testing::TempDir;

}  // namespace

TEST_CASE("storectl code inspect answers right for codes minted by openssl",
          "[storectl][openssl]") {
  const fs::path dir = SA_VECTORS;
  std::ifstream in(dir / "vectors.tsv");
  REQUIRE(in);
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    const auto f = SplitTabs(line);
    REQUIRE(f.size() == 6);
    INFO("vector " << f[0]);
    auto r =
        Storectl({"code", "inspect", f[1], "--json", "--keys", (dir / "brand.pub.pem").string(),
                  "--member-keys", (dir / "member.pub.pem").string(), "--brand-pattern",
                  "https://brand.example.test/u/{gtin}/{serial}?s={sig}"});
    REQUIRE(r.exit_code == 0);
    const auto j = json::parse(r.out);
    CHECK(j["kind"] == f[2]);
    if (!f[3].empty()) CHECK(j["gtin"] == f[3]);
    if (!f[4].empty()) CHECK(j["serial"] == f[4]);
    CHECK(j["signature"] == f[5]);
    for (const char* key : {"kind", "gtin", "serial", "lot", "expiry", "signature"}) {
      CHECK(j.contains(key));
    }
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("storectl code inspect: a typed error and exit 3 for each class of bad input",
          "[storectl][bad_input]") {
  const std::string gs = "\x1d";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty_input"},
      {std::string(2000, '9'), "input_too_large"},
      {"4006381333932", "bad_check_digit"},
      {"12345", "bad_gtin_length"},
      {"]Q30109506000134352"
       "21A B",
       "bad_character"},
      {"(01)09506000134352(17)260230", "invalid_date"},
      {"]Q30109506000134352"
       "21A" +
           gs + "21B",
       "repeated_ai"},
      {"]Q3010950600013435", "truncated_field"},
      {"]Q30109506000134352"
       "21" +
           std::string(25, 'x'),
       "field_too_long"},
      {"(01)09506000134352XYZ", "trailing_garbage"},
      {"4006381333931abc", "trailing_garbage"},
      {"]Q30109506000134352"
       "89991",
       "unknown_ai"},
      {"https://x.test/01/09506000134352/21/A/10/B", "ai_order"},
      {"good morning", "unrecognised_format"},
      {"SAM1:only-two", "member_code_malformed"},
  };
  for (const auto& [payload, code] : cases) {
    INFO("expecting " << code);
    auto r = Storectl({"code", "inspect", payload, "--json"});
    CHECK(r.exit_code == 3);
    const auto j = json::parse(r.out);
    CHECK(j["error"]["code"] == code);
    CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
  }
}

TEST_CASE("storectl code inspect uses the demo keys by default", "[storectl]") {
  auto r = Storectl(
      {"code", "inspect", "https://id.example/01/09506000134352/21/S?8030=AAAA", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out)["signature"] == "invalid");
  CHECK(Storectl({"code", "inspect", "x", "--keys", "/nonexistent.pem"}).exit_code == 1);
  CHECK(Storectl({"code", "inspect"}).exit_code == 1);
  CHECK(Storectl({"--help"}).exit_code == 0);
  CHECK(Storectl({"code", "inspect", "--help"}).exit_code == 0);
}

TEST_CASE("storectl catalog import: all or nothing, with exit codes", "[storectl][catalog]") {
  TempDir dir;
  const fs::path good = dir.path() / "good.csv";
  const fs::path bad = dir.path() / "bad.csv";
  std::ofstream(good) << "gtin,name,price_minor\n4006381333931,Pen,350\n96385074,Eraser,100\n";
  std::ofstream(bad) << "gtin,name,price_minor\n4006381333931,Pen,350\n4006381333932,Bad,1\n";
  const std::string data = (dir.path() / "data").string();

  CHECK(Storectl({"--data-dir", data, "catalog", "import", good.string()}).exit_code == 2);
  fs::create_directory(data);
  auto ok = Storectl({"--data-dir", data, "--json", "catalog", "import", good.string()});
  CHECK(ok.exit_code == 0);
  CHECK(json::parse(ok.out)["imported"] == 2);
  auto refused = Storectl({"--data-dir", data, "--json", "catalog", "import", bad.string()});
  CHECK(refused.exit_code == 3);
  const auto err = json::parse(refused.out)["error"];
  CHECK(err["code"] == "catalog_invalid");
  CHECK(err["message"].get<std::string>().find("line 3") != std::string::npos);
  CHECK(Storectl({"--data-dir", data, "catalog", "import", "/nonexistent.csv"}).exit_code == 1);
  setenv("STORE_AGENT_DATA", data.c_str(), 1);
  CHECK(Storectl({"catalog", "import", good.string()}).exit_code == 0);
}
