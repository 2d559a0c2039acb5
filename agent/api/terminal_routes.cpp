// SPDX-License-Identifier: Apache-2.0
// Terminals, their modes and count tallies, and the recent scans.
#include "answers.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

// The terminal's id from the path, else terminal_not_found.
std::optional<std::string> TerminalId(const ExchangePtr& x) {
  const std::string& t = x->params[0];
  if (IsValidId(t)) return t;
  x->Reply(ErrorAnswer(MakeError(ErrorKind::not_found, "terminal_not_found",
                                 "a terminal id is 1-64 of A-Z a-z 0-9 _ . -")));
  return std::nullopt;
}

}  // namespace

void ListTerminals(Context& ctx, const ExchangePtr& x) {
  x->Reply(JsonAnswer(200, json::Terminals(ctx.parts.terminals.List())));
}

void ShowTerminal(Context& ctx, const ExchangePtr& x) {
  auto t = TerminalId(x);
  if (!t) return;
  Read<std::optional<std::string>>(
      ctx, x, [t = *t](store::Store& s) { return s.sales.OpenSaleOf(t); },
      [view = ctx.parts.terminals.Show(*t)](const std::optional<std::string>& open_sale) {
        return JsonAnswer(200, json::TerminalWithSale(view, open_sale));
      });
}

void SetMode(Context& ctx, const ExchangePtr& x) {
  auto t = TerminalId(x);
  if (!t) return;
  auto mode = request::ParseMode(x->body());
  if (!mode) return x->Reply(ErrorAnswer(mode.error()));
  ctx.parts.terminals.SetMode(
      *t, mode->mode, mode->order_id, mode->discard, [x](Expected<terminals::TerminalView> view) {
        x->Reply(view ? JsonAnswer(200, json::Terminal(*view)) : ErrorAnswer(view.error()));
      });
}

// Commits the terminal's tally: one stock count per GTIN (each its own
// transaction and event). A GTIN whose count is refused stays in the tally,
// and the answer is then 422 with every GTIN's outcome.
void CommitCount(Context& ctx, const ExchangePtr& x) {
  auto t = TerminalId(x);
  if (!t) return;
  if (auto ok = request::Nothing(x->body()); !ok) return x->Reply(ErrorAnswer(ok.error()));
  auto tally = ctx.parts.terminals.TallyToCommit(*t);
  if (!tally) return x->Reply(ErrorAnswer(tally.error()));
  Submit<terminals::CountCommit>(
      ctx, x, ledger::Durability::full, true,
      [tally = *tally](store::Store& s) -> Expected<terminals::CountCommit> {
        return terminals::Terminals::CommitTally(s, tally);
      },
      [](const terminals::CountCommit& commit) {
        return JsonAnswer(commit.all() ? 200 : 422, json::CountCommit(commit));
      },
      [&ctx, t = *t](const Expected<terminals::CountCommit>& commit) {
        if (commit) ctx.parts.terminals.Committed(t, *commit);
      });
}

void RecentScans(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  std::size_t limit = 50;
  if (auto v = query->find("limit"); v != query->end()) {
    auto n = Number(v->second, 0, 9999);
    if (!n)
      return x->Reply(ErrorAnswer(
          MakeError(ErrorKind::invalid_request, "invalid_field", "limit must be 1 to 200")));
    limit = static_cast<std::size_t>(std::clamp<std::int64_t>(*n, 1, 200));
  }
  x->Reply(JsonAnswer(200, json::Scans(ctx.parts.terminals.Recent(limit))));
}

}  // namespace sa::api
