// SPDX-License-Identifier: Apache-2.0
// The store's terminals and what their scanners' scans do. Each terminal has
// a mode: sale (a scan goes into the terminal's open sale, one is opened when
// there is none), receive (a unit comes into stock), count (units are tallied
// until the count is committed) or pick (a unit for the order being picked).
// Scans from drivers and from the API are recorded here (the recent ones,
// and how each ended). A code is parsed and its signature verified on a
// worker, off the loop and off the writer: the one place a scan crosses to
// a worker (Check).
//
// Everything here runs on the loop; the ledger is reached through the writer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon.hpp"
#include "loop.hpp"
#include "store.hpp"

namespace sa::terminals {

// A scan and how it ended: "accepted", an error code, "counted" or "already_counted".
struct ScanRecord {
  std::string source;   // a driver's source id, or "api"
  std::string payload;  // at most 256 bytes of it
  std::int64_t at_ms = 0;
  std::string outcome;
  std::string sale_id;
  std::string terminal;
  std::string mode;
  std::string order_id;
};

// A terminal as GET /v1/terminals shows it.
struct TerminalView {
  std::string terminal;
  std::string mode;
  std::string order_id;                                     // pick mode
  std::vector<std::pair<std::string, std::int64_t>> count;  // count mode: GTIN-14 -> units
};

// A count tally to commit, and how each GTIN's count went.
struct CountLine {
  std::string gtin;
  std::int64_t counted = 0;
  std::optional<store::StockLevel> level;  // committed
  std::optional<Error> error;              // refused: stays in the tally
};
struct CountCommit {
  std::vector<CountLine> lines;
  bool all() const;
  bool any() const;
};

// What the terminals tell the screens and the cloud, on the loop.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual void Scanned(const ScanRecord& scan) = 0;
  virtual void SaleChanged(const store::Sale& sale) = 0;
  virtual void UnitReceived(const store::StockLevel& level, const std::string& serial) = 0;
  virtual void ReservationChanged(const store::Reservation& order) = 0;
  virtual void Tallied(const std::string& terminal, const std::string& gtin,
                       std::int64_t units) = 0;
  virtual void CountCommitted(const CountCommit& commit) = 0;
  virtual void TerminalChanged(const TerminalView& terminal) = 0;
  // A change with an outbox event committed: sync may push it now.
  virtual void EventWritten() = 0;
};

class Terminals {
 public:
  // `modes`: each terminal's mode at start (from its scanners' config);
  // terminals not named start in sale mode.
  Terminals(loop::Workers& workers, daemon::Writer& writer, const store::Books& books,
            const daemon::Log& log, std::map<std::string, std::string> modes, Listener& listener);

  // Parses and verifies `payload` on a worker; `then` on the loop.
  void Check(std::string payload, std::function<void(Expected<store::CheckedCode>)> then);

  // A driver's scan, handled as its terminal's mode says. `handled` runs once
  // it is answered (the driver then reads the next one).
  void Route(const std::string& source, const std::string& terminal, const std::string& payload,
             std::function<void()> handled);
  // A scan made through the API: recorded and shown like a driver's.
  void Record(ScanRecord scan);
  // The newest scans first, at most `limit`.
  std::vector<ScanRecord> Recent(std::size_t limit) const;
  const std::map<std::string, std::uint64_t>& scans_by_outcome() const { return by_outcome_; }

  TerminalView Show(const std::string& terminal);
  std::vector<TerminalView> List();
  // sale | receive | count | pick (`order_id`: the accepted order to pick).
  // Leaving count mode with units not committed is count_uncommitted unless
  // `discard`. `done` on the loop.
  void SetMode(const std::string& terminal, const std::string& mode, const std::string& order_id,
               bool discard, std::function<void(Expected<TerminalView>)> done);
  // Committing a count is two halves, so that a caller can run the ledger
  // half under its own terms (the API answers an Idempotency-Key once):
  // what to commit (not_counting when the terminal is not counting), the
  // ledger half (on the writer: one stock count per GTIN, each its own
  // transaction and event), and what follows on the loop (committed GTINs
  // leave the tally).
  Expected<std::map<std::string, std::int64_t>> TallyToCommit(const std::string& terminal);
  static CountCommit CommitTally(store::Store& store,
                                 const std::map<std::string, std::int64_t>& tally);
  void Committed(const std::string& terminal, const CountCommit& commit);

 private:
  struct Terminal {
    std::string mode = "sale";
    std::string order_id;
    // count: the units scanned since the last commit, by GTIN-14: serials
    // (a unit scanned twice counts once) and units without a serial.
    std::map<std::string, std::set<std::string>> serials;
    std::map<std::string, std::int64_t> plain;
    std::int64_t Units(const std::string& gtin) const;
    std::map<std::string, std::int64_t> Tally() const;
  };

  using Recorder = std::function<void(const std::string& outcome, const std::string& sale_id)>;

  Terminal& Of(const std::string& terminal);
  TerminalView View(const std::string& id, const Terminal& t) const;
  TerminalView ApplyMode(const std::string& terminal, const std::string& mode,
                         const std::string& order_id);
  // Count mode: the unit joins the tally; the scan's outcome.
  std::string Tally(const std::string& terminal, const store::CheckedCode& checked);
  // The ledger half of a driver's scan in sale, receive or pick mode.
  void Write(const ScanRecord& base, store::CheckedCode checked, Recorder record,
             std::function<void()> handled);

  loop::Workers& workers_;
  daemon::Writer& writer_;
  const store::Books& books_;
  const daemon::Log& log_;
  std::map<std::string, std::string> modes_at_start_;
  Listener& listener_;
  std::map<std::string, Terminal> terminals_;
  std::deque<ScanRecord> scans_;
  std::map<std::string, std::uint64_t> by_outcome_;
};

}  // namespace sa::terminals
