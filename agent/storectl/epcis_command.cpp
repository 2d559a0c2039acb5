// SPDX-License-Identifier: Apache-2.0
#include "epcis_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "config.hpp"
#include "epcis.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace sa::storectl {
namespace {

Error Usage(std::string code, std::string message) {
  return MakeError(ErrorKind::invalid_request, std::move(code), std::move(message));
}

// The whole of FILE, or of standard input for "-".
std::optional<std::string> ReadInput(const std::string& file) {
  if (file != "-") return ReadWholeFile(file);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// Progress on a terminal: a line rewritten in place, every 1,000 records.
class Progress {
 public:
  Progress() : on_(::isatty(STDERR_FILENO) == 1) {}
  void Tick(std::int64_t records, std::int64_t events) {
    if (on_ && records % 1000 == 0) {
      std::fprintf(stderr, "\rstorectl: %lld records read, %lld EPCIS events written",
                   static_cast<long long>(records), static_cast<long long>(events));
    }
  }
  void Done() {
    if (on_) std::fputs("\n", stderr);
  }

 private:
  bool on_;
};

}  // namespace

EpcisCommands::EpcisCommands(CLI::App& app, Options& g) : options_(g) {
  auto* epcis = app.add_subcommand("epcis", "GS1 EPCIS 2.0: event hash IDs and the store's export");
  epcis->require_subcommand(1);
  auto* hash = AddCommand(epcis, "hash",
                          "Print the CBV 2.0 Event Hash ID (ni:///sha-256;...?ver=CBV2.0) of every "
                          "event of an EPCIS 2.0 JSON-LD document, one per line, in document "
                          "order. Any EPCISDocument or EPCISQueryDocument, not only the store's.",
                          [this] { return Hash(); });
  hash->add_option("FILE", file_, "The JSON-LD document (- for standard input)")->required();
  hash->add_flag("--prehash", prehash_, "Print each event's canonical pre-hash string instead");
  hash->add_flag("--json", g.json, "Print [{\"id\",\"prehash\"},...]");
  hash->footer(
      "Exit codes: 0 ok, 1 usage, 3 not an EPCIS JSON-LD document (the reason on stderr).");

  auto* exp = AddCommand(
      epcis, "export",
      "Write the store's unit moves (received, cases received and unpacked, counted, sold, "
      "returned, picked, shipped, handed over, put back, decommissioned) recorded in "
      "[--since, --until) as an EPCIS 2.0 EPCISDocument (JSON-LD). Reads the "
      "ledger in --data-dir; the agent may be running.",
      [this] { return Export(); });
  exp->add_option("--since", since_, "Start, inclusive: 2026-12-01 or 2026-12-01T08:00:00+08:00")
      ->required();
  exp->add_option("--until", until_, "End, exclusive (default: now)");
  exp->add_option("--out", out_,
                  "Output file (default - : standard output); written whole or not "
                  "at all");
  exp->add_option("--config", config_,
                  "The agent's config file, for store.id, store.gln and "
                  "store.utc_offset");
  exp->add_option("--store-id", store_id_, "The store's id (overrides the config's)");
  exp->add_option("--gln", gln_, "The store's GLN, 13 digits (overrides the config's)");
  exp->add_option("--utc-offset", utc_offset_, "The store's UTC offset, +HH:MM (overrides)");
  exp->add_option("--data-dir", g.data_dir, "The agent's data directory");
  exp->add_flag("--json", g.json,
                "Print a summary {\"events\",\"records\",\"out\"} when --out is a file");
  exp->footer(
      "Exit codes: 0 ok, 1 usage (a bad or empty time range, a bad GLN), 2 no ledger, "
      "3 a record that cannot be exported (named on stderr; nothing is written).");
}

int EpcisCommands::Hash() const {
  const auto text = ReadInput(file_);
  if (!text) return Fail(options_, kExitUsage, Usage("unreadable_file", "cannot read " + file_));
  auto hashes = epcis::HashDocument(*text);
  if (!hashes) return Fail(options_, kExitRejected, hashes.error());
  if (options_.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : *hashes) out.push_back({{"id", h.id}, {"prehash", h.pre_hash}});
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  for (const auto& h : *hashes) std::cout << (prehash_ ? h.pre_hash : h.id) << "\n";
  return kExitOk;
}

int EpcisCommands::Export() const {
  const Options& g = options_;
  const auto since = ParseTimestamp(since_);
  if (!since)
    return Fail(g, kExitUsage, Usage("bad_time", "--since is not a date or time: " + since_));
  const std::int64_t now = SystemClock().now_ms();
  const auto until = until_.empty() ? std::optional<std::int64_t>(now) : ParseTimestamp(until_);
  if (!until)
    return Fail(g, kExitUsage, Usage("bad_time", "--until is not a date or time: " + until_));
  if (*until <= *since) {
    return Fail(g, kExitUsage,
                Usage("empty_range",
                      "the period is empty or reversed: --until must come after "
                      "--since"));
  }
  config::Config cfg;
  if (!config_.empty()) {
    auto loaded = config::LoadFile(config_);
    if (!loaded) return Fail(g, kExitUsage, loaded.error());
    cfg = *loaded;
  }
  epcis::Site site{store_id_.empty() ? cfg.store_id : store_id_, gln_.empty() ? cfg.gln : gln_,
                   utc_offset_.empty() ? cfg.utc_offset : utc_offset_};
  if (!site.gln.empty() && !epcis::ValidGln(site.gln))
    return Fail(g, kExitUsage, Usage("bad_gln", "a GLN is 13 digits ending in their check digit"));
  if (!epcis::ValidUtcOffset(site.utc_offset))
    return Fail(g, kExitUsage, Usage("bad_utc_offset", "a UTC offset is +HH:MM or -HH:MM"));

  auto db = ledger::Database::Open(DataDir(g) + "/ledger.db",
                                   {.create = false, .integrity_check = false});
  if (!db) return Fail(g, kExitUnreachable, db.error());
  return Write(**db, site, *since, *until, now);
}

int EpcisCommands::Write(ledger::Database& db, const epcis::Site& site, std::int64_t since,
                         std::int64_t until, std::int64_t now) const {
  const Options& g = options_;
  const bool to_file = out_ != "-";
  const std::string part = out_ + ".part";
  std::ofstream file;
  if (to_file) {
    file.open(part, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(g, kExitUsage, Usage("unwritable_file", "cannot write " + part));
  }
  std::ostream& out = to_file ? static_cast<std::ostream&>(file) : std::cout;
  epcis::DocumentWriter writer(site, [&out](std::string_view s) { out << s; });
  SystemClock clock;
  store::Store store(db, store::Config{}, clock);
  Progress progress;
  std::optional<Error> bad;
  std::int64_t records = 0;
  writer.Begin(now);
  auto read = store.books.EachEvent(since, until, [&](const store::Event& e) {
    auto added = writer.Add(epcis::Record{e.id, e.type, e.at_ms, e.payload});
    if (!added) bad = added.error();
    progress.Tick(++records, writer.events());
    return !bad;
  });
  progress.Done();
  if (!read) bad = read.error();
  writer.End();
  out.flush();
  if (bad || !out) {
    if (to_file) std::remove(part.c_str());
    if (!bad) bad = Usage("unwritable_file", "cannot write " + out_);
    return Fail(g, bad->kind == ErrorKind::invalid_request ? kExitRejected : kExitUnreachable,
                *bad);
  }
  if (to_file) {
    file.close();
    if (std::rename(part.c_str(), out_.c_str()) != 0) {
      std::remove(part.c_str());
      return Fail(g, kExitUsage, Usage("unwritable_file", "cannot write " + out_));
    }
    if (g.json) {
      std::cout
          << nlohmann::json{{"events", writer.events()}, {"records", records}, {"out", out_}}.dump()
          << "\n";
    } else {
      std::cerr << "storectl: " << writer.events() << " EPCIS events from " << records
                << " records written to " << out_ << "\n";
    }
  }
  return kExitOk;
}

}  // namespace sa::storectl
