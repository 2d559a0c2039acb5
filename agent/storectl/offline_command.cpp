// SPDX-License-Identifier: Apache-2.0
#include "offline_command.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"
#include "texts.hpp"

namespace sa::storectl {
namespace {

using nlohmann::json;

json Nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The keys in these PEM files, or the demo key when none are given.
Expected<crypto::KeyRing> RingOrDemo(const std::vector<std::string>& paths,
                                     const crypto::SigningKey& demo) {
  if (paths.empty()) return crypto::KeyRing({demo.Public()});
  return crypto::KeyRing::LoadFiles(paths);
}

}  // namespace

OfflineCommands::OfflineCommands(CLI::App& app, Options& g) : options_(g) {
  auto* code = app.add_subcommand("code", "Labels and member codes");
  code->require_subcommand(1);
  auto* inspect = AddCommand(code, "inspect",
                             "Parse a scanned payload and check its signature, offline.\n"
                             "Without --keys the demo brand and member keys are used.",
                             [this] { return CodeInspect(); });
  inspect->add_option("PAYLOAD", payload_, "What the scanner read (quote it)")->required();
  inspect->add_option("--keys", keys_, "Brand public keys (PEM files) that sign labels");
  inspect->add_option("--member-keys", member_keys_,
                      "Member-service public keys (PEM files) that sign member codes");
  inspect->add_option("--brand-pattern", patterns_,
                      "A brand URL pattern, e.g. 'https://b.example/u/{gtin}/{serial}?s={sig}'");
  inspect->add_flag("--json", g.json, "Print JSON");

  auto* catalog = app.add_subcommand("catalog", "The product catalog");
  catalog->require_subcommand(1);
  auto* import = AddCommand(catalog, "import",
                            "Load products from CSV (header gtin,name,price_minor[,tax_rate]).\n"
                            "All rows or none: every bad row is reported with its line number.",
                            [this] { return CatalogImport(); });
  import->add_option("FILE", file_, "The CSV file")->required();
  AddOfflineOptions(import, g, "Print JSON");
}

int OfflineCommands::CodeInspect() const {
  const Options& g = options_;
  codes::ParseOptions options;
  for (const auto& p : patterns_) {
    auto compiled = codes::BrandPattern::Compile(p);
    if (!compiled) return Fail(g, kExitUsage, compiled.error());
    options.brand_patterns.push_back(std::move(compiled).value());
  }
  auto brand = RingOrDemo(keys_, store::DemoBrandKey());
  if (!brand) return Fail(g, kExitUsage, brand.error());
  auto member = RingOrDemo(member_keys_, store::DemoMemberKey());
  if (!member) return Fail(g, kExitUsage, member.error());
  auto code = codes::Parse(payload_, options);
  if (!code) return Fail(g, kExitRejected, code.error());
  const bool is_member = code->kind == codes::Kind::member_code;
  const auto sig = codes::VerifySignature(*code, is_member ? *member : *brand);
  json out = {{"kind", codes::KindName(code->kind)},
              {"gtin", Nullable(code->gtin)},
              {"serial", Nullable(code->serial)},
              {"lot", Nullable(code->lot)},
              {"expiry", code->expiry ? json(code->expiry->Iso()) : json(nullptr)},
              {"signature", codes::SignatureName(sig)}};
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

int OfflineCommands::CatalogImport() const {
  const Options& g = options_;
  const auto csv = ReadWholeFile(file_);
  if (!csv) {
    return Fail(g, kExitUsage,
                MakeError(ErrorKind::invalid_request, "unreadable_file", "cannot read " + file_));
  }
  const std::string dir = DataDir(g);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(
        g, kExitUnreachable,
        MakeError(ErrorKind::internal, "no_data_dir",
                  "no agent data directory at " + dir + " (set --data-dir or STORE_AGENT_DATA)"));
  }
  auto db = ledger::Database::Open(dir + "/ledger.db");
  if (!db) return Fail(g, kExitUnreachable, db.error());
  SystemClock clock;
  store::Config config;  // currency and limits; no keys are needed to import
  store::Store store(**db, config, clock);
  auto result = store.books.ImportCatalogCsv(*csv);
  if (!result &&
      (result.error().kind == ErrorKind::storage || result.error().kind == ErrorKind::internal)) {
    return Fail(g, kExitUnreachable, result.error());  // busy, full or broken ledger
  }
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
    std::cout << F("ctl.imported",
                   {{"n", std::to_string(result->rows)}, {"file", dir + "/ledger.db"}})
              << "\n";
  }
  return kExitOk;
}

DemoCommands::DemoCommands(CLI::App& app, Options& g) : options_(g) {
  auto* demo = app.add_subcommand("demo", "Helpers for the demo store");
  demo->require_subcommand(1);
  auto* codes =
      AddCommand(demo, "codes",
                 "Mint N signed unit labels (GS1 Digital Links) and one fresh member code with the "
                 "demo keys that `store-agent --demo` wrote to {data-dir}/demo/. Offline.",
                 [this] { return DemoCodes(options_, count_, gtin_); });
  codes->add_option("N", count_, "How many unit labels (1 to 1000)")
      ->required()
      ->check(CLI::Range(1, 1000));
  codes->add_option("--gtin", gtin_,
                    "The product (default 06950123450005, the demo catalog's scarf)");
  AddOfflineOptions(codes, g, "Print {\"codes\":[...],\"member_code\":...}");
}

}  // namespace sa::storectl
