// SPDX-License-Identifier: Apache-2.0
// storectl: the store's command line. Exit codes: 0 ok, 1 usage, 2 cannot
// reach the agent (or its ledger), 3 rejected input.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitUnreachable = 2;
constexpr int kExitRejected = 3;

struct Globals {
  bool json = false;
  std::string data_dir;
};

std::string DataDir(const Globals& g) {
  if (!g.data_dir.empty()) return g.data_dir;
  if (const char* env = std::getenv("STORE_AGENT_DATA"); env && *env) return env;
  return "/var/lib/store-agent";
}

int Fail(const Globals& g, int exit_code, const sa::Error& error) {
  if (g.json) {
    json e = {{"code", error.code}, {"message", error.message}};
    if (!error.reason.empty()) e["reason"] = error.reason;
    std::cout << json{{"error", e}}.dump() << "\n";
  } else {
    // One line: the first line of the message (a catalog report follows it).
    std::cerr << "storectl: " << error.code << ": " << error.message << "\n";
  }
  return exit_code;
}

json Nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The keys in these PEM files, or the demo key when none are given.
sa::Expected<sa::crypto::KeyRing> RingOrDemo(const std::vector<std::string>& paths,
                                             const sa::crypto::SigningKey& demo) {
  if (paths.empty()) return sa::crypto::KeyRing({demo.Public()});
  return sa::crypto::KeyRing::LoadFiles(paths);
}

int CodeInspect(const Globals& g, const std::string& payload, const std::vector<std::string>& keys,
                const std::vector<std::string>& member_keys,
                const std::vector<std::string>& patterns) {
  sa::codes::ParseOptions options;
  for (const auto& p : patterns) {
    auto compiled = sa::codes::BrandPattern::Compile(p);
    if (!compiled) return Fail(g, kExitUsage, compiled.error());
    options.brand_patterns.push_back(std::move(compiled).value());
  }
  auto brand = RingOrDemo(keys, sa::store::DemoBrandKey());
  if (!brand) return Fail(g, kExitUsage, brand.error());
  auto member = RingOrDemo(member_keys, sa::store::DemoMemberKey());
  if (!member) return Fail(g, kExitUsage, member.error());
  auto code = sa::codes::Parse(payload, options);
  if (!code) return Fail(g, kExitRejected, code.error());
  const bool is_member = code->kind == sa::codes::Kind::member_code;
  const auto sig = sa::codes::VerifySignature(*code, is_member ? *member : *brand);
  json out = {{"kind", sa::codes::KindName(code->kind)},
              {"gtin", Nullable(code->gtin)},
              {"serial", Nullable(code->serial)},
              {"lot", Nullable(code->lot)},
              {"expiry", code->expiry ? json(code->expiry->Iso()) : json(nullptr)},
              {"signature", sa::codes::SignatureName(sig)}};
  if (!code->cpv.empty()) out["cpv"] = code->cpv;
  if (!code->symbology.empty()) out["symbology"] = code->symbology;
  if (is_member) {
    out["member_id"] = code->member_id;
    out["issued_at"] = code->issued_at;
  }
  if (g.json) {
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& [key, value] : out.items()) {
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump())
                << "\n";
    }
  }
  return kExitOk;
}

int CatalogImport(const Globals& g, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Fail(g, kExitUsage, sa::MakeError(sa::ErrorKind::invalid_request, "unreadable_file",
                                             "cannot read " + file));
  }
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string dir = DataDir(g);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(g, kExitUnreachable,
                sa::MakeError(sa::ErrorKind::internal, "no_data_dir",
                              "no agent data directory at " + dir +
                                  " (set --data-dir or STORE_AGENT_DATA)"));
  }
  auto db = sa::ledger::Database::Open(dir + "/ledger.db");
  if (!db) return Fail(g, kExitUnreachable, db.error());
  sa::SystemClock clock;
  sa::store::Config config;  // currency and limits; no keys are needed to import
  sa::store::Store store(**db, config, clock);
  auto result = store.ImportCatalogCsv(csv);
  if (!result) {
    if (!g.json) {
      // The summary line first, then one line per bad row.
      std::cerr << "storectl: " << result.error().code << ": " << result.error().message << "\n";
      return kExitRejected;
    }
    return Fail(g, kExitRejected, result.error());
  }
  if (g.json) {
    std::cout << json{{"imported", result->rows}}.dump() << "\n";
  } else {
    std::cout << "imported " << result->rows << " products into " << dir << "/ledger.db\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"storectl: the store-agent command line.\n"
               "Exit codes: 0 ok, 1 usage, 2 cannot reach the agent or its ledger, "
               "3 rejected input."};
  app.require_subcommand(1);
  Globals g;
  app.add_flag("--json", g.json, "Print JSON to stdout (errors as {\"error\":{...}})");
  app.add_option("--data-dir", g.data_dir,
                 "The agent's data directory (default: $STORE_AGENT_DATA, else "
                 "/var/lib/store-agent)");
  app.set_version_flag("--version", std::string("storectl ") + "0.1.0");

  auto* code = app.add_subcommand("code", "Labels and member codes");
  code->require_subcommand(1);
  auto* inspect = code->add_subcommand(
      "inspect", "Parse a scanned payload and check its signature, offline.\n"
                 "Without --keys the demo brand and member keys are used.");
  std::string payload;
  std::vector<std::string> keys, member_keys, patterns;
  inspect->add_option("PAYLOAD", payload, "What the scanner read (quote it)")->required();
  inspect->add_option("--keys", keys, "Brand public keys (PEM files) that sign labels");
  inspect->add_option("--member-keys", member_keys,
                      "Member-service public keys (PEM files) that sign member codes");
  inspect->add_option("--brand-pattern", patterns,
                      "A brand URL pattern, e.g. 'https://b.example/u/{gtin}/{serial}?s={sig}'");
  inspect->add_flag("--json", g.json, "Print JSON");

  auto* catalog = app.add_subcommand("catalog", "The product catalog");
  catalog->require_subcommand(1);
  auto* import = catalog->add_subcommand(
      "import", "Load products from CSV (header gtin,name,price_minor[,tax_rate]).\n"
                "All rows or none: every bad row is reported with its line number.");
  std::string file;
  import->add_option("FILE", file, "The CSV file")->required();
  import->add_flag("--json", g.json, "Print JSON");
  import->add_option("--data-dir", g.data_dir, "The agent's data directory");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (inspect->parsed()) return CodeInspect(g, payload, keys, member_keys, patterns);
  if (import->parsed()) return CatalogImport(g, file);
  return kExitUsage;
}
