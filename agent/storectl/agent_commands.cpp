// SPDX-License-Identifier: Apache-2.0
#include "agent_commands.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent_call.hpp"
#include "agent_client.hpp"
#include "codes.hpp"
#include "crypto.hpp"
#include "money_text.hpp"
#include "texts.hpp"

namespace sa::storectl {

using nlohmann::json;

namespace {

// The demo catalog's scarf, and the host demo labels point at.
constexpr char kDemoGtin[] = "06950123450005";
constexpr char kDemoHost[] = "id.brand.example";

}  // namespace

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// ---- reading the agent's JSON, tolerant of missing fields -----------------

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return Dump(*it);
}

std::optional<std::int64_t> Int(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::string Money(const json& j, const char* key) {
  const auto v = Int(j, key);
  return v ? FormatMinor(*v) : std::string("?");
}

const json& Array(const json& j, const char* key) {
  static const json kEmpty = json::array();
  if (!j.is_object()) return kEmpty;
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

namespace {

// ---- human output ---------------------------------------------------------

// A line's product name in the current language: the catalog's Chinese
// name in zh-CN where it has one, else its name, else its GTIN.
std::string LineName(const json& line) {
  std::string name = CurrentLocale() == i18n::Locale::zh_CN ? Str(line, "name_zh") : "";
  if (name.empty()) name = Str(line, "name");
  if (name.empty()) name = Str(line, "gtin");
  return name;
}

std::string Serial(const json& serial) {
  return F("ctl.serial_no",
           {{"serial", serial.is_string() ? serial.get<std::string>() : Dump(serial)}});
}

void PrintSale(const json& s) {
  std::cout << F("ctl.sale_head",
                 {{"id", Str(s, "id")}, {"status", Word("ctl.sale_status.", Str(s, "status"))}});
  if (const auto t = Str(s, "terminal"); !t.empty())
    std::cout << "  " << F("ctl.terminal_is", {{"terminal", t}});
  std::cout << "\n";
  const json& lines = Array(s, "lines");
  if (lines.empty()) std::cout << "  " << T("ctl.no_lines") << "\n";
  std::size_t n = 0;
  for (const auto& line : lines) {
    std::cout << "  " << ++n << "  " << LineName(line);
    if (const auto qty = Int(line, "qty"); qty && *qty != 1) std::cout << " x" << *qty;
    std::cout << "  " << Money(line, "amount");
    if (line.contains("serial") && !Str(line, "serial").empty())
      std::cout << "  " << Serial(line["serial"]);
    std::cout << "\n";
  }
  std::cout << Label("ctl.total", 7) << Money(s, "total");
  if (const auto c = Str(s, "currency"); !c.empty()) std::cout << " " << c;
  std::cout << "\n";
  std::string member(T("ctl.none"));
  if (const auto it = s.find("member"); it != s.end() && it->is_object()) {
    member = Str(*it, "member_id");
    if (member.empty()) member = Str(*it, "phone_masked");
    if (member.empty()) member = Dump(*it);
  }
  std::cout << Label("ctl.member", 8) << member << "\n";
  const json& payments = Array(s, "payments");
  if (!payments.empty()) {
    std::cout << Label("ctl.paid", 7);
    for (const auto& p : payments) {
      std::cout << " " << Word("pay.", Str(p, "method")) << " " << Money(p, "amount");
      if (const auto ref = Str(p, "ref"); !ref.empty())
        std::cout << " " << F("ctl.ref", {{"ref", ref}});
    }
    std::cout << "\n";
  }
  std::cout << Label("ctl.status", 8) << Word("ctl.sale_status.", Str(s, "status"));
  if (const auto r = Str(s, "receipt_no"); !r.empty())
    std::cout << "  " << F("ctl.receipt_is", {{"receipt", r}});
  if (Int(s, "change")) std::cout << "  " << F("ctl.change_is", {{"amount", Money(s, "change")}});
  std::cout << "\n";
}

void PrintRefund(const json& r) {
  std::cout << F("ctl.refund_head", {{"id", Str(r, "id")},
                                     {"status", Word("ctl.sale_status.", Str(r, "status"))},
                                     {"sale", Str(r, "sale_id")}})
            << "\n";
  for (const auto& serial : Array(r, "serials")) std::cout << "  " << Serial(serial) << "\n";
  std::cout << Label("ctl.amount", 8) << Money(r, "amount");
  if (const auto c = Str(r, "currency"); !c.empty()) std::cout << " " << c;
  std::cout << "\n";
}

std::string Uptime(std::int64_t s) {
  const std::int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  std::string out;
  if (d > 0) out += F("ctl.days", {{"n", std::to_string(d)}}) + " ";
  if (d > 0 || h > 0) out += F("ctl.hours", {{"n", std::to_string(h)}}) + " ";
  if (d > 0 || h > 0 || m > 0) out += F("ctl.minutes", {{"n", std::to_string(m)}}) + " ";
  return out + F("ctl.seconds", {{"n", std::to_string(sec)}});
}

void PrintHealth(const json& h) {
  const auto uptime = Int(h, "uptime_s");
  std::cout << Label("ctl.status") << Word("ctl.health.", Str(h, "status")) << "\n"
            << Label("ctl.store") << Str(h, "store_id") << "\n"
            << Label("ctl.device") << Str(h, "device_id") << "\n"
            << Label("ctl.version") << Str(h, "version") << "\n"
            << Label("ctl.uptime") << (uptime ? Uptime(*uptime) : std::string("?")) << "\n"
            << Label("ctl.events_waiting")
            << F("ctl.events_waiting_note", {{"n", Str(h, "outbox_depth")}}) << "\n";
}

void PrintReceipt(const json& r) {
  std::string text = Str(r, "text");
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::cout << text;
}

// ---- one call to the agent ------------------------------------------------

}  // namespace

int FailWith(const Options& o, const Error& e) {
  return Fail(o, e.kind == ErrorKind::invalid_request ? kExitUsage : kExitUnreachable, e);
}

int Call(const Options& o, HttpRequest request, const std::function<void(const json&)>& human,
         const std::function<int(const json&)>& verdict, bool echo) {
  const std::string dir = DataDir(o);
  auto endpoint = ResolveBaseUrl(o.url, dir);
  if (!endpoint) return FailWith(o, endpoint.error());
  std::string token_path;
  auto token = ReadToken(o.token_file, dir, &token_path);
  if (!token) return FailWith(o, token.error());
  if (request.method == "POST") {
    request.idempotency_key = crypto::NewUuidV7(SystemClock{}.now_ms());
  }
  ClientOptions client_options{endpoint->base_url, *token};
  client_options.agent_cert_file = endpoint->cert_file;
  auto client = MakeCurlAgentClient(std::move(client_options));
  auto response = SendRetryingOnce(*client, request);
  if (!response) {
    Error e = response.error();
    e.message += " (is store-agent running? the URL is from " + endpoint->url_source + ")";
    return Fail(o, kExitUnreachable, e);
  }
  AgentLocale(response->content_language);
  const long status = response->status;
  const std::string& body = response->body;
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);

  if (status >= 200 && status < 300) {
    if (o.json && echo) {
      std::cout << body;
      if (body.empty() || body.back() != '\n') std::cout << "\n";
    } else if (parsed.is_discarded()) {  // text (a report)
      if (echo) std::cout << body << (body.empty() || body.back() != '\n' ? "\n" : "");
    } else {
      human(parsed);
    }
    return verdict && !parsed.is_discarded() ? verdict(parsed) : kExitOk;
  }

  // The agent's {"error":{"code","message"}}, or a stand-in for a body that is not one.
  Error e = MakeError(ErrorKind::refused, "http_" + std::to_string(status),
                      "the agent answered HTTP " + std::to_string(status));
  bool agent_error = false;
  if (parsed.is_object()) {
    if (const auto it = parsed.find("error"); it != parsed.end() && it->is_object()) {
      if (const auto code = Str(*it, "code"); !code.empty()) e.code = code;
      if (const auto message = Str(*it, "message"); !message.empty()) e.message = message;
      agent_error = true;
    }
  }
  int exit_code = kExitRejected;
  if (status == 401) {
    exit_code = kExitUnreachable;
    e.message = "the agent at " + endpoint->base_url + " refused the API token from " + token_path +
                " (" + e.message + "); is it this agent's data directory?";
  } else if (status < 400 || (status >= 500 && status != 507)) {
    // 507 insufficient_storage is the agent's typed refusal (exit 3): it was
    // reached and answered; retrying will not help until space returns.
    exit_code = kExitUnreachable;
    e.message += " (HTTP " + std::to_string(status) + " from " + endpoint->base_url + ")";
  }
  if (o.json && agent_error) {
    std::cout << body;
    if (body.back() != '\n') std::cout << "\n";
    return exit_code;
  }
  return Fail(o, exit_code, e);
}

HttpRequest Post(std::string path, const json& body) {
  return HttpRequest{"POST", std::move(path), Dump(body), {}};
}
HttpRequest Get(std::string path) { return HttpRequest{"GET", std::move(path), {}, {}}; }

namespace {

std::string SalePath(const std::string& sale) { return "/v1/sales/" + PathSegment(sale); }

// Runs `then` with the sale's whole id: `sale` when it is one, else the one
// sale whose id starts or ends with it (a screen shows an id's last
// characters), as the agent finds it; the agent's refusal otherwise
// (sale_not_found, sale_id_ambiguous).
int WithSale(const Options& o, const std::string& sale,
             const std::function<int(const std::string& id)>& then) {
  const bool part = sale.size() >= 4 && sale.size() < 36 &&
                    sale.find_first_not_of("0123456789abcdef-") == std::string::npos;
  if (!part) return then(sale);
  std::string id;
  const int found = Call(
      o, Get(SalePath(sale)), [&](const json& j) { id = Str(j, "id"); }, {}, /*echo=*/false);
  if (found != kExitOk) return found;
  return then(id);
}

// ---- demo codes -----------------------------------------------------------

// `n` characters drawn uniformly from `alphabet` (rejection sampling).
std::string RandomText(std::string_view alphabet, std::size_t n) {
  const std::size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  while (out.size() < n) {
    std::uint8_t bytes[32];
    crypto::RandomBytes(bytes);
    for (std::uint8_t b : bytes) {
      if (b < limit && out.size() < n) out += alphabet[b % alphabet.size()];
    }
  }
  return out;
}

Expected<crypto::SigningKey> LoadDemoKey(const std::string& path) {
  const auto pem = ReadWholeFile(path);
  if (!pem) {
    return MakeError(ErrorKind::internal, "no_demo_keys",
                     "no demo key at " + path +
                         ": start `store-agent --demo` first (with this --data-dir); it writes "
                         "the demo keys there");
  }
  auto key = crypto::SigningKey::FromPem(*pem);
  if (!key) return key.error().WithContext(path);
  return key;
}

}  // namespace

std::string DataDir(const Options& o) {
  if (!o.data_dir.empty()) return o.data_dir;
  if (const char* env = std::getenv("STORE_AGENT_DATA"); env && *env) return env;
  return "/var/lib/store-agent";
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int Fail(const Options& o, int exit_code, const Error& error) {
  if (o.json) {
    json e = {{"code", error.code}, {"message", error.message}};
    if (!error.reason.empty()) e["reason"] = error.reason;
    std::cout << Dump(json{{"error", e}}) << "\n";
  } else {
    // One line: the first line of the message (a catalog report follows it).
    // In Chinese, what the screens say for that refusal first, the agent's
    // own words (which name the amount, the limit, the unit) after it.
    std::string message = error.message;
    if (const std::string key = "common.err." + error.code;
        CurrentLocale() == i18n::Locale::zh_CN && i18n::Has(key)) {
      message = std::string(T(key)) + " (" + message + ")";
    }
    std::cerr << "storectl: " << error.code << ": " << message << "\n";
  }
  return exit_code;
}

int Status(const Options& o) { return Call(o, Get("/v1/health"), PrintHealth); }

namespace {

void PrintSync(const json& s) {
  if (!s.value("enabled", false)) {
    std::cout << Label("ctl.cloud") << T("ctl.cloud_off") << "\n";
  } else {
    std::cout << Label("ctl.cloud")
              << Word("store.cloud_", s.value("online", false) ? "online" : "offline") << "\n"
              << Label("ctl.last_push") << Str(s, "last_push_at") << "\n"
              << Label("ctl.last_pull") << Str(s, "last_pull_at") << "\n";
    if (const auto err = Str(s, "last_error"); !err.empty()) {
      std::cout << Label("ctl.last_error") << err << "\n";
    }
  }
  std::cout << Label("ctl.events_waiting")
            << F("ctl.events_sent_up_to", {{"n", Str(s, "pending_events")},
                                           {"acked", Str(s, "acked_seq")},
                                           {"last", Str(s, "last_seq")}})
            << "\n";
  const auto alerts = s.find("alerts");
  if (alerts == s.end() || !alerts->is_array() || alerts->empty()) {
    std::cout << Label("ctl.alerts") << T("ctl.none") << "\n";
    return;
  }
  std::cout << Label("ctl.alerts") << alerts->size() << "\n";
  for (const auto& a : *alerts) {
    std::cout << "  #" << Str(a, "id") << " " << Str(a, "at") << " " << Str(a, "code") << ": "
              << Str(a, "message") << "\n";
  }
}

void PrintSyncRun(const json& r) {
  const std::string pushed = Str(r, "pushed"), pulled = Str(r, "pulled");
  if (r.value("ok", false)) {
    std::cout << F("ctl.synced", {{"pushed", pushed}, {"pulled", pulled}}) << "\n";
  } else {
    std::cout << F("ctl.sync_failed",
                   {{"error", Str(r, "error")}, {"pushed", pushed}, {"pulled", pulled}})
              << "\n";
  }
}

}  // namespace

int SyncStatus(const Options& o) { return Call(o, Get("/v1/sync"), PrintSync); }

int SyncNow(const Options& o) {
  // A cloud that cannot be reached exits 2, like an agent that cannot be.
  return Call(o, Post("/v1/sync/now", json::object()), PrintSyncRun,
              [](const json& r) { return r.value("ok", false) ? kExitOk : kExitUnreachable; });
}

int SyncAck(const Options& o, const std::string& alert_id) {
  return Call(o, Post("/v1/sync/alerts/" + PathSegment(alert_id) + "/ack", json::object()),
              [&](const json&) {
                std::cout << F("ctl.alert_acked", {{"id", alert_id}}) << "\n";
              });
}

int Token(const Options& o) {
  std::string path;
  auto token = ReadToken(o.token_file, DataDir(o), &path);
  if (!token) return FailWith(o, token.error());
  if (o.json) {
    std::cout << Dump(json{{"token", *token}}) << "\n";
  } else {
    std::cout << *token << "\n";
  }
  return kExitOk;
}

int SaleOpen(const Options& o, std::string terminal) {
  if (terminal.empty()) {
    char host[256] = {};
    terminal = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "storectl";
  }
  return Call(o, Post("/v1/sales", json{{"terminal", terminal}}), PrintSale);
}

int SaleScan(const Options& o, const std::string& sale, const std::string& payload,
             const std::string& override_manager, const std::string& override_reason) {
  json body = {{"payload", payload}};
  if (!override_manager.empty() || !override_reason.empty()) {
    body["override"] = {{"manager", override_manager}, {"reason", override_reason}};
  }
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post(SalePath(id) + "/scans", body), PrintSale);
  });
}

int SaleMember(const Options& o, const std::string& sale, const std::string& code,
               const std::string& phone) {
  const json body = code.empty() ? json{{"phone", phone}} : json{{"payload", code}};
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post(SalePath(id) + "/member", body), PrintSale);
  });
}

int SaleComplete(const Options& o, const std::string& sale, const std::vector<std::string>& pays) {
  json payments = json::array();
  for (const auto& text : pays) {
    auto p = ParsePayment(text);
    if (!p) return Fail(o, kExitUsage, p.error().WithContext("--pay"));
    json one = {{"method", p->method}, {"amount", p->amount}};
    if (p->ref) one["ref"] = *p->ref;
    payments.push_back(std::move(one));
  }
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post(SalePath(id) + "/complete", json{{"payments", payments}}), PrintSale);
  });
}

int SaleVoid(const Options& o, const std::string& sale, const std::optional<std::string>& reason) {
  json body = json::object();
  if (reason) body["reason"] = *reason;
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post(SalePath(id) + "/void", body), PrintSale);
  });
}

int SaleShow(const Options& o, const std::string& sale) {
  return Call(o, Get(SalePath(sale)), PrintSale);
}

int SaleReceipt(const Options& o, const std::string& sale, int width) {
  return WithSale(o, sale, [&](const std::string& id) {
    std::string path = SalePath(id) + "/receipt";
    if (width != 0) path += "?width=" + std::to_string(width);
    return Call(o, Get(path), PrintReceipt);
  });
}

int SaleClaimUrl(const Options& o, const std::string& sale) {
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Get(SalePath(id) + "/claim"),
                [](const json& r) { std::cout << Str(r, "claim_url") << "\n"; });
  });
}

int Refund(const Options& o, const std::string& sale, const std::vector<std::string>& serials) {
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post("/v1/refunds", json{{"sale_id", id}, {"serials", serials}}), PrintRefund);
  });
}

namespace {

void PrintStock(const json& s) {
  std::cout << F("ctl.stock_head", {{"gtin", Str(s, "gtin")}}) << "\n"
            << "  " << Label("ctl.on_hand", 11) << Str(s, "on_hand") << "\n"
            << "  " << Label("ctl.reserved", 11)
            << F("ctl.reserved_picked", {{"n", Str(s, "reserved")}, {"picked", Str(s, "picked")}})
            << "\n"
            << "  " << Label("ctl.available", 11) << Str(s, "available") << "\n";
}

void PrintReceived(const json& s) {
  std::cout << F("ctl.received", {{"gtin", Str(s, "gtin")}});
  if (s.contains("serial") && !Str(s, "serial").empty()) std::cout << "  " << Serial(s["serial"]);
  std::cout << "\n";
  PrintStock(s);
}

// One block per order: id, kind, status, when it lapses or closed, lines.
void PrintReservation(const json& r) {
  std::cout << F("ctl.order_head", {{"id", Str(r, "id")}}) << "  "
            << Word("store.kind_", Str(r, "kind")) << "  "
            << Word("store.status_", Str(r, "status"));
  if (r.value("cancel_requested", false)) std::cout << "  (" << T("store.cancel_requested") << ")";
  std::cout << "\n";
  if (const auto t = Str(r, "expires_at"); !t.empty()) {
    std::cout << "  " << Label("ctl.expires", 9) << t << "\n";
  } else if (const auto ttl = Str(r, "ttl_s"); !ttl.empty() && Str(r, "accepted_at").empty()) {
    std::cout << "  " << Label("ctl.ttl", 9) << F("ctl.ttl_once_accepted", {{"n", ttl}}) << "\n";
  }
  if (const auto t = Str(r, "closed_at"); !t.empty())
    std::cout << "  " << Label("ctl.closed", 9) << t << "\n";
  if (const auto reason = Str(r, "reason"); !reason.empty())
    std::cout << "  " << Label("ctl.reason", 9) << reason << "\n";
  if (const auto carrier = Str(r, "carrier"); !carrier.empty()) {
    std::cout << "  " << Label("ctl.shipped", 9) << carrier << " " << Str(r, "tracking_no") << "\n";
  }
  for (const auto& line : Array(r, "lines")) {
    const json& picked = Array(line, "picked");
    std::cout << "  " << Str(line, "line_no") << "  " << Str(line, "gtin") << " x"
              << Str(line, "qty") << "  "
              << F("ctl.picked_n", {{"n", std::to_string(picked.size())}});
    const char* sep = ": ";
    for (const auto& serial : picked) {
      std::cout << sep << (serial.is_string() ? serial.get<std::string>() : Dump(serial));
      sep = ", ";
    }
    std::cout << "\n";
  }
}

void PrintReservations(const json& list) {
  const json& all = Array(list, "reservations");
  if (all.empty()) std::cout << T("ctl.no_orders") << "\n";
  bool first = true;
  for (const auto& r : all) {
    if (!first) std::cout << "\n";
    first = false;
    PrintReservation(r);
  }
}

std::string OrderPath(const std::string& id) { return "/v1/reservations/" + PathSegment(id); }

}  // namespace

int StockShow(const Options& o, const std::string& gtin) {
  return Call(o, Get("/v1/stock/" + PathSegment(gtin)), PrintStock);
}

int StockReceive(const Options& o, const std::string& payload) {
  return Call(o, Post("/v1/stock/receive", json{{"payload", payload}}), PrintReceived);
}

int StockCount(const Options& o, const std::string& gtin, std::int64_t counted) {
  return Call(o, Post("/v1/stock/counts", json{{"gtin", gtin}, {"counted", counted}}), PrintStock);
}

int OrderList(const Options& o, bool all) {
  return Call(o, Get(std::string("/v1/reservations") + (all ? "?all=1" : "")), PrintReservations);
}

int OrderShow(const Options& o, const std::string& id) {
  return Call(o, Get(OrderPath(id)), PrintReservation);
}

int OrderStep(const Options& o, const std::string& id, const std::string& action,
              const std::vector<std::pair<std::string, std::string>>& body) {
  json j = json::object();
  for (const auto& [key, value] : body) j[key] = value;
  return Call(o, Post(OrderPath(id) + "/" + action, j), PrintReservation);
}

namespace {

void PrintScanners(const json& j) {
  const json& all = Array(j, "scanners");
  if (all.empty()) std::cout << T("ctl.no_scanners") << "\n";
  for (const auto& s : all) {
    const bool up = s.value("connected", false);
    std::cout << Str(s, "id") << "  " << Str(s, "type") << "  " << Str(s, "path") << "  "
              << F("ctl.terminal_is", {{"terminal", Str(s, "terminal")}}) << "  "
              << T(up ? "ctl.connected" : "ctl.not_connected") << "  "
              << F("ctl.scans_dropped",
                   {{"scans", Str(s, "scans")}, {"dropped", Str(s, "dropped")}});
    if (!up && s.contains("last_error") && s["last_error"].is_string()) {
      std::cout << "  (" << s["last_error"].get<std::string>() << ")";
    }
    std::cout << "\n";
  }
}

void PrintTerminal(const json& t) {
  std::cout << F("ctl.terminal_is", {{"terminal", Str(t, "terminal")}}) << "  "
            << F("ctl.mode_is", {{"mode", Word("ctl.mode.", Str(t, "mode"))}});
  if (t.contains("order_id") && t["order_id"].is_string())
    std::cout << "  " << F("ctl.order_head", {{"id", Str(t, "order_id")}});
  std::cout << "\n";
  if (t.contains("open_sale")) {
    std::cout << "  " << Label("ctl.open_sale", 0)
              << (t["open_sale"].is_string() ? Str(t, "open_sale") : std::string(T("ctl.none")))
              << "\n";
  }
  for (const auto& c : Array(t, "count")) {
    std::cout << "  " << F("ctl.counted_units", {{"gtin", Str(c, "gtin")}, {"n", Str(c, "units")}})
              << "\n";
  }
}

void PrintCounts(const json& j) {
  for (const auto& c : Array(j, "counts")) {
    std::cout << Str(c, "gtin") << "  " << F("ctl.counted", {{"n", Str(c, "counted")}});
    if (c.contains("error")) {
      std::cout << "  " << F("ctl.not_committed", {{"error", Str(c["error"], "message")}});
    } else {
      std::cout << "  "
                << F("ctl.on_hand_available",
                     {{"on_hand", Str(c, "on_hand")}, {"available", Str(c, "available")}});
    }
    std::cout << "\n";
  }
}

std::string TerminalPath(const std::string& t) { return "/v1/terminals/" + PathSegment(t); }

}  // namespace

int Scanners(const Options& o) { return Call(o, Get("/v1/scanners"), PrintScanners); }

int TerminalShow(const Options& o, const std::string& terminal) {
  return Call(o, Get(TerminalPath(terminal)), PrintTerminal);
}

int TerminalMode(const Options& o, const std::string& terminal, const std::string& mode,
                 const std::string& order_id, bool discard) {
  json body{{"mode", mode}};
  if (!order_id.empty()) body["order_id"] = order_id;
  if (discard) body["discard"] = true;
  return Call(o, Post(TerminalPath(terminal) + "/mode", body), PrintTerminal);
}

int TerminalCount(const Options& o, const std::string& terminal) {
  return Call(o, Post(TerminalPath(terminal) + "/count", json::object()), PrintCounts);
}

int SalePrint(const Options& o, const std::string& sale) {
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post(SalePath(id) + "/print", json::object()), [](const json& j) {
      std::cout << F("ctl.printed", {{"id", Str(j, "sale_id")}, {"bytes", Str(j, "bytes")}})
                << "\n";
    });
  });
}

namespace {

void PrintPrinters(const json& j) {
  const json& all = Array(j, "printers");
  if (all.empty()) std::cout << T("ctl.no_printers") << "\n";
  for (const auto& p : all) {
    const json status = p.contains("status") && p["status"].is_object() ? p["status"] : json{};
    std::cout << Str(p, "name") << "  " << Str(p, "target") << "  "
              << Word("ctl.printer_state.", Str(status, "state")) << "  "
              << F("ctl.paper_is", {{"paper", Word("ctl.paper.", Str(status, "paper"))}}) << "  "
              << F("ctl.cover_is", {{"cover", Word("ctl.cover.", Str(status, "cover"))}});
    if (const auto at = Str(status, "checked_at"); !at.empty())
      std::cout << "  " << F("ctl.asked_at", {{"at", at}});
    std::cout << "\n";
    if (const auto detail = Str(status, "detail"); !detail.empty()) {
      std::cout << "  " << detail << "\n";
    }
    std::string terminals;
    const std::string_view comma = ", ";  // between terminal ids, in either language
    for (const auto& t : Array(p, "terminals")) {
      if (!terminals.empty()) terminals += comma;
      terminals += t.is_string() ? t.get<std::string>() : Dump(t);
    }
    if (p.value("default", false)) {
      if (!terminals.empty()) terminals += comma;
      terminals += T("ctl.every_other_terminal");
    }
    std::cout << "  " << Label("ctl.terminals", 0)
              << (terminals.empty() ? std::string(T("ctl.none")) : terminals) << "\n";
    const json& queue = Array(p, "queue");
    std::size_t waiting = 0;
    for (const auto& job : queue) {
      const std::string state = Str(job, "state");
      if (state == "queued" || state == "printing") ++waiting;
    }
    std::cout << "  "
              << F("ctl.queue",
                   {{"jobs", std::to_string(queue.size())}, {"waiting", std::to_string(waiting)}})
              << "\n";
    // The last ten, and every one still waiting.
    const std::size_t from = queue.size() > 10 ? queue.size() - 10 : 0;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      const auto& job = queue[i];
      const std::string state = Str(job, "state");
      if (i < from && state != "queued" && state != "printing") continue;
      // What the job prints: a sale's receipt, a refund's slip, or a drawer kick.
      const std::string what = !Str(job, "refund_id").empty()
                                   ? F("ctl.job_refund", {{"id", Str(job, "refund_id")}})
                               : !Str(job, "drawer_open_id").empty()
                                   ? F("ctl.job_drawer", {{"id", Str(job, "drawer_open_id")}})
                                   : F("ctl.job_sale", {{"id", Str(job, "sale_id")}});
      std::cout << "    " << F("ctl.job", {{"id", Str(job, "job")}}) << "  " << what << "  "
                << Word("ctl.job_state.", state);
      if (const auto reason = Str(job, "reason"); !reason.empty())
        std::cout << " (" << Word("ctl.printer_state.", reason) << ")";
      std::cout << "  " << F("ctl.attempts", {{"n", Str(job, "attempts")}}) << "  "
                << Str(job, "at") << "\n";
    }
  }
}

}  // namespace

int PrinterStatus(const Options& o) { return Call(o, Get("/v1/printers"), PrintPrinters); }

int DrawerOpen(const Options& o, const std::string& terminal, const std::string& reason) {
  return Call(
      o, Post(TerminalPath(terminal) + "/drawer", json{{"reason", reason}}), [](const json& j) {
        const json& d = j.contains("drawer_open") ? j["drawer_open"] : json::object();
        std::cout << F("ctl.drawer_opened", {{"terminal", Str(d, "terminal")}}) << "  "
                  << Str(d, "at") << "  (" << Str(d, "reason") << ")\n";
        std::cout << "  " << Label("ctl.shift", 0)
                  << (Str(d, "shift_id").empty() ? std::string(T("ctl.no_shift_open"))
                                                 : Str(d, "shift_id"))
                  << "\n";
        const json kick = j.value("kick", json());
        if (!kick.is_object()) {
          std::cout << "  " << T("ctl.kick_no_printer") << "\n";
        } else if (kick.value("printed", false)) {
          std::cout << "  " << F("ctl.kick_sent", {{"printer", Str(kick, "printer")}}) << "\n";
        } else {
          std::cout << "  "
                    << F("ctl.kick_not_sent",
                         {{"reason", Word("ctl.printer_state.", Str(kick, "reason"))},
                          {"error", Str(kick, "error")}})
                    << "\n";
        }
      });
}

int DemoCodes(const Options& o, int count, const std::string& gtin) {
  auto gtin14 = codes::NormaliseGtin(gtin.empty() ? std::string(kDemoGtin) : gtin);
  if (!gtin14) return Fail(o, kExitUsage, gtin14.error().WithContext("--gtin"));
  const std::string demo = DataDir(o) + "/demo";
  auto brand = LoadDemoKey(demo + "/brand.key.pem");
  if (!brand) return Fail(o, kExitUnreachable, brand.error());
  auto member = LoadDemoKey(demo + "/member.key.pem");
  if (!member) return Fail(o, kExitUnreachable, member.error());

  static constexpr std::string_view kAlnum =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  json codes_out = json::array();
  for (int i = 0; i < count; ++i) {
    const std::string serial = "U" + RandomText(kAlnum, 10);
    const std::string sig = codes::SignLabel(*gtin14, serial, *brand);
    codes_out.push_back(codes::MakeDigitalLink(kDemoHost, *gtin14, serial, sig));
  }
  const std::string member_id = "M" + RandomText("0123456789", 6);
  const std::int64_t now_s = SystemClock{}.now_ms() / 1000;
  const std::string member_code = codes::MakeMemberCode(member_id, now_s, *member);
  if (o.json) {
    std::cout << Dump(json{{"codes", codes_out}, {"member_code", member_code}}) << "\n";
  } else {
    for (const auto& c : codes_out) std::cout << c.get<std::string>() << "\n";
    std::cout << member_code << "\n";
  }
  return kExitOk;
}

}  // namespace sa::storectl
