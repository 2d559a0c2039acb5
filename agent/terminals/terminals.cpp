// SPDX-License-Identifier: Apache-2.0
#include "terminals.hpp"

#include <algorithm>

namespace sa::terminals {
namespace {

constexpr std::size_t kMaxScansKept = 200;

std::string OutcomeOf(const Error* error) { return error ? error->code : "accepted"; }

}  // namespace

bool CountCommit::all() const {
  return std::all_of(lines.begin(), lines.end(), [](const CountLine& l) { return !l.error; });
}

bool CountCommit::any() const {
  return std::any_of(lines.begin(), lines.end(), [](const CountLine& l) { return !l.error; });
}

std::int64_t Terminals::Terminal::Units(const std::string& gtin) const {
  const auto s = serials.find(gtin);
  const auto p = plain.find(gtin);
  return (s == serials.end() ? 0 : static_cast<std::int64_t>(s->second.size())) +
         (p == plain.end() ? 0 : p->second);
}

std::map<std::string, std::int64_t> Terminals::Terminal::Tally() const {
  std::map<std::string, std::int64_t> out;
  for (const auto& [gtin, set] : serials) out[gtin] = Units(gtin);
  for (const auto& [gtin, n] : plain) out[gtin] = Units(gtin);
  return out;
}

Terminals::Terminals(loop::Workers& workers, daemon::Writer& writer, const store::Books& books,
                     const daemon::Log& log, std::map<std::string, std::string> modes,
                     Listener& listener)
    : workers_(workers),
      writer_(writer),
      books_(books),
      log_(log),
      modes_at_start_(std::move(modes)),
      listener_(listener) {}

void Terminals::Check(std::string payload, std::function<void(Expected<store::CheckedCode>)> then) {
  workers_.Run<Expected<store::CheckedCode>>(
      [&books = books_, payload = std::move(payload)] { return books.CheckCode(payload); },
      std::move(then));
}

// ------------------------------------------------------------------- scans

void Terminals::Record(ScanRecord scan) {
  ++by_outcome_[scan.outcome];
  listener_.Scanned(scan);
  scans_.push_front(std::move(scan));
  if (scans_.size() > kMaxScansKept) scans_.pop_back();
}

std::vector<ScanRecord> Terminals::Recent(std::size_t limit) const {
  std::vector<ScanRecord> out;
  for (const auto& s : scans_) {
    if (out.size() >= limit) break;
    out.push_back(s);
  }
  return out;
}

void Terminals::Route(const std::string& source, const std::string& terminal,
                      const std::string& payload, std::function<void()> handled) {
  const Terminal& term = Of(terminal);
  ScanRecord base{source,    payload.substr(0, 256), SystemClock().now_ms(), {}, {}, terminal,
                  term.mode, term.order_id};
  Check(payload, [this, base, handled](Expected<store::CheckedCode> checked) {
    // The scan is recorded, then what it changed is shown, then the driver reads on.
    auto record = [this, base](const std::string& outcome, const std::string& sale_id) {
      ScanRecord rec = base;
      rec.outcome = outcome;
      rec.sale_id = sale_id;
      Record(std::move(rec));
    };
    if (!checked) {
      record(checked.error().code, "");
    } else if (base.mode == "count") {
      record(Tally(base.terminal, *checked), "");
    } else {
      return Write(base, std::move(checked).value(), record, handled);
    }
    if (handled) handled();
  });
}

// Count mode: the unit joins the terminal's tally; nothing is written until
// the count is committed. The scan's outcome.
std::string Terminals::Tally(const std::string& terminal, const store::CheckedCode& checked) {
  const auto gtin = codes::NormaliseGtin(checked.code.gtin);
  if (!gtin) return "malformed_code";  // the code names no GTIN to count
  Terminal& term = Of(terminal);
  if (term.mode != "count") return "not_counting";  // the mode changed while the code was checked
  bool fresh = true;
  if (checked.code.serial.empty()) {
    ++term.plain[*gtin];
  } else {
    fresh = term.serials[*gtin].insert(checked.code.serial).second;
  }
  listener_.Tallied(terminal, *gtin, term.Units(*gtin));
  return fresh ? "counted" : "already_counted";
}

void Terminals::Write(const ScanRecord& base, store::CheckedCode checked, Recorder record,
                      std::function<void()> handled) {
  if (base.mode == "sale") {
    auto sale_id = std::make_shared<std::string>();
    writer_.Submit<store::Sale>(
        ledger::Durability::relaxed,
        [terminal = base.terminal, sale_id,
         checked = std::move(checked)](store::Store& s) -> Expected<store::Sale> {
          auto current = s.sales.OpenSaleOf(terminal);
          if (!current) return current.error();
          if (!*current) {
            auto opened = s.sales.OpenSale(terminal);
            if (!opened) return opened.error();
            *current = opened->id;
          }
          *sale_id = **current;
          return s.sales.AddCheckedCode(**current, checked);
        },
        [this, record, sale_id, handled](Expected<store::Sale> sale) {
          record(OutcomeOf(sale ? nullptr : &sale.error()), *sale_id);
          if (sale) listener_.SaleChanged(*sale);
          if (handled) handled();
        });
  } else if (base.mode == "receive") {
    const std::string serial = checked.code.serial;
    writer_.Submit<store::StockLevel>(
        ledger::Durability::full,
        [checked = std::move(checked)](store::Store& s) { return s.stock.Receive(checked); },
        [this, record, serial, handled](Expected<store::StockLevel> level) {
          record(OutcomeOf(level ? nullptr : &level.error()), "");
          if (level) {
            listener_.EventWritten();
            listener_.UnitReceived(*level, serial);
          }
          if (handled) handled();
        });
  } else {  // pick
    writer_.Submit<store::Reservation>(
        ledger::Durability::full,
        [order_id = base.order_id, checked = std::move(checked)](store::Store& s) {
          return s.stock.Pick(order_id, checked);
        },
        [this, record, handled](Expected<store::Reservation> order) {
          record(OutcomeOf(order ? nullptr : &order.error()), "");
          if (order) {
            listener_.EventWritten();
            listener_.ReservationChanged(*order);
          }
          if (handled) handled();
        });
  }
}

// ------------------------------------------------------------------- modes

Terminals::Terminal& Terminals::Of(const std::string& terminal) {
  auto [it, fresh] = terminals_.try_emplace(terminal);
  if (fresh) {
    const auto m = modes_at_start_.find(terminal);
    if (m != modes_at_start_.end()) it->second.mode = m->second;
  }
  return it->second;
}

TerminalView Terminals::View(const std::string& id, const Terminal& t) const {
  TerminalView view{id, t.mode, t.order_id, {}};
  for (const auto& [gtin, units] : t.Tally()) view.count.emplace_back(gtin, units);
  return view;
}

TerminalView Terminals::Show(const std::string& terminal) { return View(terminal, Of(terminal)); }

std::vector<TerminalView> Terminals::List() {
  for (const auto& [t, mode] : modes_at_start_) (void)Of(t);
  std::vector<TerminalView> out;
  for (const auto& [t, term] : terminals_) out.push_back(View(t, term));
  return out;
}

void Terminals::SetMode(const std::string& terminal, const std::string& mode,
                        const std::string& order_id, bool discard,
                        std::function<void(Expected<TerminalView>)> done) {
  const Terminal& term = Of(terminal);
  if (term.mode == "count" && mode != "count" && !term.Tally().empty() && !discard) {
    return done(MakeError(ErrorKind::conflict, "count_uncommitted",
                          "this terminal has counted units not committed: POST /v1/terminals/" +
                              terminal + "/count, or set \"discard\": true"));
  }
  if (mode != "pick") return done(ApplyMode(terminal, mode, order_id));
  // The order must exist and be open for picking.
  writer_.Submit<store::Reservation>(
      ledger::Durability::relaxed,
      [order_id](store::Store& s) { return s.stock.GetReservation(order_id); },
      [this, terminal, mode, order_id, done](Expected<store::Reservation> order) {
        if (!order) return done(order.error());
        if (order->status != "accepted") {
          return done(MakeError(
              ErrorKind::conflict, "reservation_not_pickable",
              "order " + order_id + " is " + order->status + "; only an accepted order is picked"));
        }
        done(ApplyMode(terminal, mode, order_id));
      });
}

TerminalView Terminals::ApplyMode(const std::string& terminal, const std::string& mode,
                                  const std::string& order_id) {
  Terminal& target = Of(terminal);
  if (target.mode == "count" && mode != "count") {
    target.serials.clear();
    target.plain.clear();
  }
  target.mode = mode;
  target.order_id = order_id;
  log_.Info("terminal mode", {{"terminal", terminal}, {"mode", mode}, {"order_id", order_id}});
  TerminalView view = View(terminal, target);
  listener_.TerminalChanged(view);
  return view;
}

// ------------------------------------------------------------------- counts

Expected<std::map<std::string, std::int64_t>> Terminals::TallyToCommit(
    const std::string& terminal) {
  const Terminal& term = Of(terminal);
  if (term.mode != "count") {
    return MakeError(ErrorKind::conflict, "not_counting",
                     "terminal " + terminal + " is not in count mode");
  }
  return term.Tally();
}

CountCommit Terminals::CommitTally(store::Store& store,
                                   const std::map<std::string, std::int64_t>& tally) {
  CountCommit commit;
  for (const auto& [gtin, units] : tally) {
    auto level = store.stock.Count(gtin, units);
    CountLine line{gtin, units, std::nullopt, std::nullopt};
    if (level) {
      line.level = *level;
    } else {
      line.error = level.error();
    }
    commit.lines.push_back(std::move(line));
  }
  return commit;
}

void Terminals::Committed(const std::string& terminal, const CountCommit& commit) {
  Terminal& term = Of(terminal);
  for (const auto& line : commit.lines) {
    if (line.error) continue;
    term.serials.erase(line.gtin);
    term.plain.erase(line.gtin);
  }
  if (commit.any()) {
    listener_.EventWritten();
    listener_.CountCommitted(commit);
  }
}

}  // namespace sa::terminals
