// SPDX-License-Identifier: Apache-2.0
#include "answers.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace sa::api::json {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
json TextOrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
json At(const std::optional<std::int64_t>& ms) {
  return ms ? json(FormatTimestamp(*ms)) : json(nullptr);
}

json StockObject(const store::StockLevel& s) {
  return json{{"gtin", s.gtin},
              {"on_hand", s.on_hand},
              {"reserved", s.reserved},
              {"available", s.available},
              {"picked", s.picked}};
}

json ReservationObject(const store::Reservation& r) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    lines.push_back(
        json{{"line_no", l.line_no}, {"gtin", l.gtin}, {"qty", l.qty}, {"picked", l.picked}});
  }
  return json{
      {"id", r.id},
      {"kind", r.kind},
      {"status", r.status},
      {"lines", std::move(lines)},
      {"ttl_s", r.ttl_s},
      {"offered_at", r.offered_at_ms ? json(FormatTimestamp(r.offered_at_ms)) : json(nullptr)},
      {"accepted_at", At(r.accepted_at_ms)},
      {"expires_at", At(r.expires_at_ms)},
      {"closed_at", At(r.closed_at_ms)},
      {"cancel_requested", r.cancel_requested},
      {"reason", TextOrNull(r.reason)},
      {"carrier", TextOrNull(r.carrier)},
      {"tracking_no", TextOrNull(r.tracking_no)}};
}

json ScanObject(const terminals::ScanRecord& rec) {
  json j = {{"source", rec.source},
            {"payload", rec.payload},
            {"at", FormatTimestamp(rec.at_ms)},
            {"outcome", rec.outcome}};
  if (!rec.terminal.empty()) j["terminal"] = rec.terminal;
  if (!rec.mode.empty()) j["mode"] = rec.mode;
  if (!rec.sale_id.empty()) j["sale_id"] = rec.sale_id;
  if (!rec.order_id.empty()) j["order_id"] = rec.order_id;
  return j;
}

json TerminalObject(const terminals::TerminalView& t) {
  json count = json::array();
  for (const auto& [gtin, units] : t.count) count.push_back({{"gtin", gtin}, {"units", units}});
  return json{{"terminal", t.terminal},
              {"mode", t.mode},
              {"order_id", TextOrNull(t.order_id)},
              {"count", count}};
}

json CashierObject(const store::Cashier& c) {
  return json{{"id", c.id}, {"name", c.name}, {"role", c.role}};
}

}  // namespace

std::string ErrorBody(const Error& error) {
  json e = {{"code", error.code}, {"message", error.message}};
  if (!error.reason.empty()) e["reason"] = error.reason;
  return Dump(json{{"error", e}});
}

std::string Stock(const store::StockLevel& level) { return Dump(StockObject(level)); }

std::string Received(const store::StockLevel& level, const std::string& serial) {
  json j = StockObject(level);
  j["serial"] = TextOrNull(serial);
  return Dump(j);
}

std::string Reservation(const store::Reservation& order) { return Dump(ReservationObject(order)); }

std::string Reservations(const std::vector<store::Reservation>& orders) {
  json list = json::array();
  for (const auto& one : orders) list.push_back(ReservationObject(one));
  return Dump(json{{"reservations", std::move(list)}});
}

std::string Scan(const terminals::ScanRecord& scan) { return Dump(ScanObject(scan)); }

std::string Scans(const std::vector<terminals::ScanRecord>& scans) {
  json list = json::array();
  for (const auto& s : scans) list.push_back(ScanObject(s));
  return Dump(json{{"scans", list}});
}

std::string Terminal(const terminals::TerminalView& terminal) {
  return Dump(TerminalObject(terminal));
}

std::string TerminalWithSale(const terminals::TerminalView& terminal,
                             const std::optional<std::string>& open_sale) {
  json j = TerminalObject(terminal);
  j["open_sale"] = open_sale ? json(*open_sale) : json(nullptr);
  return Dump(j);
}

std::string Terminals(const std::vector<terminals::TerminalView>& terminals) {
  json list = json::array();
  for (const auto& t : terminals) list.push_back(TerminalObject(t));
  return Dump(json{{"terminals", list}});
}

std::string Tallied(const std::string& terminal, const std::string& gtin, std::int64_t units) {
  return Dump(json{{"terminal", terminal}, {"gtin", gtin}, {"units", units}});
}

std::string CountCommit(const terminals::CountCommit& commit) {
  json results = json::array();
  for (const auto& line : commit.lines) {
    if (line.level) {
      json j = StockObject(*line.level);
      j["counted"] = line.counted;
      results.push_back(std::move(j));
    } else {
      results.push_back(
          {{"gtin", line.gtin},
           {"counted", line.counted},
           {"error", {{"code", line.error->code}, {"message", line.error->message}}}});
    }
  }
  return Dump(json{{"counts", results}, {"committed", commit.all()}});
}

std::string CashierBrief(const store::Cashier& cashier) { return Dump(CashierObject(cashier)); }

std::string Cashiers(const std::vector<store::Cashier>& cashiers) {
  json list = json::array();
  for (const auto& c : cashiers) list.push_back(json::parse(store::CashierJson(c)));
  return Dump(json{{"cashiers", list}});
}

std::string LoggedIn(const sessions::LoggedIn& in) {
  return Dump(json{{"token", in.token},
                   {"cashier", CashierObject(in.cashier)},
                   {"terminal", in.terminal},
                   {"expires_at", FormatTimestamp(in.expires_at_ms)}});
}

std::string LoggedOut(bool ended) { return Dump(json{{"logged_out", ended}}); }

std::string Session(const sessions::Caller& caller, const std::optional<store::Shift>& shift,
                    std::int64_t now_ms) {
  if (!caller.session) {
    return Dump(
        json{{"cashier", nullptr}, {"terminal", nullptr}, {"shift", nullptr}, {"admin", true}});
  }
  const std::string& terminal = caller.session->terminal;
  return Dump(json{{"cashier", CashierObject(caller.session->cashier)},
                   {"terminal", TextOrNull(terminal)},
                   {"expires_at", FormatTimestamp(sessions::Sessions::ExpiresAt(now_ms))},
                   {"shift", shift ? json::parse(store::ShiftJson(*shift)) : json(nullptr)},
                   {"admin", false}});
}

std::string Shifts(const std::vector<store::Shift>& shifts) {
  json list = json::array();
  for (const auto& sh : shifts) list.push_back(json::parse(store::ShiftJson(sh)));
  return Dump(json{{"shifts", list}});
}

std::string ShiftClosed(const store::ShiftClosed& closed) {
  json warnings = json::array();
  if (closed.report.pending_events > 0) {
    warnings.push_back(
        json{{"code", "events_pending_sync"},
             {"message", std::to_string(closed.report.pending_events) +
                             " events have not reached the cloud yet; keep the agent "
                             "online until they sync"},
             {"pending_events", closed.report.pending_events}});
  }
  return Dump(json{{"shift", json::parse(store::ShiftJson(closed.shift))},
                   {"report", json::parse(store::ShiftReportJson(closed.report))},
                   {"warnings", warnings}});
}

std::string HealthBody(const Health& h) {
  json storage{{"state", h.storage_full ? "full" : "ok"}, {"refusals", h.storage_refusals}};
  if (h.free_bytes) storage["free_bytes"] = *h.free_bytes;
  // Still 200: the agent answers and sells what it can; "degraded" tells a
  // monitor (or a manager's screen) that changes are being refused.
  return Dump(json{{"status", h.storage_full ? "degraded" : "ok"},
                   {"store_id", h.store_id},
                   {"device_id", h.device_id},
                   {"version", h.version},
                   {"uptime_s", h.uptime_s},
                   {"outbox_depth", h.outbox_depth},
                   {"storage", storage}});
}

std::string DayTotals(const std::vector<store::DayTotal>& days) {
  json list = json::array();
  for (const auto& d : days) {
    list.push_back({{"day", d.day},
                    {"currency", d.currency},
                    {"sales", d.sales},
                    {"sales_total", d.sales_minor},
                    {"units", d.units},
                    {"voided", d.voided},
                    {"refunds", d.refunds},
                    {"refunds_total", d.refunds_minor}});
  }
  return Dump(json{{"days", std::move(list)}});
}

std::string SyncStatus(const std::string& cloud, const store::SyncState& state,
                       const std::vector<store::Alert>& alerts) {
  json j = json::parse(cloud, nullptr, false);
  if (!j.is_object()) j = json::object();
  j["pending_events"] = state.last_seq - state.acked_seq;
  j["acked_seq"] = state.acked_seq;
  j["last_seq"] = state.last_seq;
  j["cursor"] = state.cursor;
  json list = json::array();
  for (const auto& a : alerts) {
    json detail = json::parse(a.detail, nullptr, false);
    list.push_back({{"id", a.id},
                    {"code", a.code},
                    {"message", a.message},
                    {"source", a.source},
                    {"at", FormatTimestamp(a.at_ms)},
                    {"detail", detail.is_discarded() ? json::object() : detail}});
  }
  j["alerts"] = std::move(list);
  return Dump(j);
}

std::string Acknowledged() { return R"({"acknowledged":true})"; }

std::string ReceiptBody(const Receipt& r) {
  const crypto::Bytes bytes(r.escpos.begin(), r.escpos.end());
  return Dump(json{{"sale_id", r.sale_id},
                   {"receipt_no", r.receipt_no},
                   {"width", r.width},
                   {"text", r.text},
                   {"claim_url", TextOrNull(r.claim_url)},
                   {"escpos_base64", crypto::Base64UrlEncode(bytes)}});
}

std::string ClaimLink(const std::string& sale_id, const std::string& claim_url) {
  return Dump(json{{"sale_id", sale_id}, {"claim_url", claim_url}});
}

std::string Printed(const std::string& sale_id, std::size_t bytes, const std::string& error) {
  json j = {{"sale_id", sale_id}, {"printed", error.empty()}, {"bytes", bytes}};
  if (!error.empty()) j["error"] = error;
  return Dump(j);
}

namespace {

std::string Seconds(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000));
  return buf;
}

}  // namespace

std::string MetricsText(const MetricsInput& in) {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto line = [&](const std::string& name, const std::string& value) {
    out += name + " " + value + "\n";
  };
  family("sa_sales_completed_total", "counter", "Sales completed since the agent started.");
  line("sa_sales_completed_total", std::to_string(in.sales_completed));
  if (in.sync_status) {
    const json st = json::parse(*in.sync_status, nullptr, false);
    if (st.is_object()) {
      family("sa_sync_online", "gauge", "1 while the last exchange with the cloud succeeded.");
      line("sa_sync_online", st.value("online", false) ? "1" : "0");
      family("sa_sync_pushed_events_total", "counter",
             "Events the cloud acknowledged since start.");
      line("sa_sync_pushed_events_total", std::to_string(st.value("pushed_events", 0)));
      family("sa_sync_failures_total", "counter", "Failed sync cycles since start.");
      line("sa_sync_failures_total", std::to_string(st.value("failures", 0)));
    }
  }
  family("sa_sales_voided_total", "counter", "Open sales voided since the agent started.");
  line("sa_sales_voided_total", std::to_string(in.sales_voided));
  family("sa_refunds_total", "counter", "Refunds since the agent started.");
  line("sa_refunds_total", std::to_string(in.refunds));
  family("sa_scans_total", "counter", "Scans by outcome (accepted or the refusal code).");
  for (const auto& [outcome, count] : in.scans_by_outcome) {
    line("sa_scans_total{outcome=\"" + outcome + "\"}", std::to_string(count));
  }
  family("sa_http_responses_total", "counter", "HTTP responses by status.");
  for (const auto& [status, count] : in.responses_by_status) {
    line("sa_http_responses_total{status=\"" + std::to_string(status) + "\"}",
         std::to_string(count));
  }
  const daemon::WriterStats& w = in.writer;
  family("sa_commit_seconds", "histogram", "Durable (fsync'd) batch commit latency.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < daemon::WriterStats::kBucketsUs.size(); ++i) {
    cumulative += w.bucket_counts[i];
    line("sa_commit_seconds_bucket{le=\"" + Seconds(daemon::WriterStats::kBucketsUs[i]) + "\"}",
         std::to_string(cumulative));
  }
  cumulative += w.bucket_counts.back();
  line("sa_commit_seconds_bucket{le=\"+Inf\"}", std::to_string(cumulative));
  line("sa_commit_seconds_sum", Seconds(w.commit_us_sum));
  line("sa_commit_seconds_count", std::to_string(cumulative));
  family("sa_writer_batches_total", "counter", "Ledger transactions run by the writer.");
  line("sa_writer_batches_total", std::to_string(w.batches));
  family("sa_writer_jobs_total", "counter", "Operations run by the writer (grouped in batches).");
  line("sa_writer_jobs_total", std::to_string(w.jobs));
  family("sa_ledger_storage_full", "gauge",
         "1 while the ledger's disk is full and changes are refused.");
  line("sa_ledger_storage_full", w.storage_full ? "1" : "0");
  family("sa_ledger_storage_refusals_total", "counter",
         "Operations refused with 507 insufficient_storage.");
  line("sa_ledger_storage_refusals_total", std::to_string(w.storage_refusals));
  family("sa_writer_max_batch", "gauge", "The most operations one batch has held.");
  line("sa_writer_max_batch", std::to_string(w.max_batch));
  family("sa_outbox_depth", "gauge", "Events waiting to be pushed to the cloud.");
  line("sa_outbox_depth", std::to_string(in.outbox_depth));
  family("sa_event_streams", "gauge", "Open /v1/events streams.");
  line("sa_event_streams", std::to_string(in.event_streams));
  return out;
}

std::string ObjectOrEmpty(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  return j.is_object() ? Dump(j) : "{}";
}

}  // namespace sa::api::json
