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

void PrintSale(const json& s) {
  std::cout << "sale " << Str(s, "id") << "  " << Str(s, "status");
  if (const auto t = Str(s, "terminal"); !t.empty()) std::cout << "  terminal " << t;
  std::cout << "\n";
  const json& lines = Array(s, "lines");
  if (lines.empty()) std::cout << "  (no lines yet)\n";
  std::size_t n = 0;
  for (const auto& line : lines) {
    std::string name = Str(line, "name");
    if (name.empty()) name = Str(line, "gtin");
    std::cout << "  " << ++n << "  " << name;
    if (const auto qty = Int(line, "qty"); qty && *qty != 1) std::cout << " x" << *qty;
    std::cout << "  " << Money(line, "amount");
    if (const auto serial = Str(line, "serial"); !serial.empty()) std::cout << "  SN " << serial;
    std::cout << "\n";
  }
  std::cout << "total  " << Money(s, "total");
  if (const auto c = Str(s, "currency"); !c.empty()) std::cout << " " << c;
  std::cout << "\n";
  std::string member = "none";
  if (const auto it = s.find("member"); it != s.end() && it->is_object()) {
    member = Str(*it, "member_id");
    if (member.empty()) member = Str(*it, "phone_masked");
    if (member.empty()) member = Dump(*it);
  }
  std::cout << "member  " << member << "\n";
  const json& payments = Array(s, "payments");
  if (!payments.empty()) {
    std::cout << "paid   ";
    for (const auto& p : payments) {
      std::cout << " " << Str(p, "method") << " " << Money(p, "amount");
      if (const auto ref = Str(p, "ref"); !ref.empty()) std::cout << " (ref " << ref << ")";
    }
    std::cout << "\n";
  }
  std::cout << "status  " << Str(s, "status");
  if (const auto r = Str(s, "receipt_no"); !r.empty()) std::cout << "  receipt " << r;
  if (Int(s, "change")) std::cout << "  change " << Money(s, "change");
  std::cout << "\n";
}

void PrintRefund(const json& r) {
  std::cout << "refund " << Str(r, "id") << "  " << Str(r, "status") << "  sale "
            << Str(r, "sale_id") << "\n";
  for (const auto& serial : Array(r, "serials")) {
    std::cout << "  SN " << (serial.is_string() ? serial.get<std::string>() : Dump(serial)) << "\n";
  }
  std::cout << "amount  " << Money(r, "amount");
  if (const auto c = Str(r, "currency"); !c.empty()) std::cout << " " << c;
  std::cout << "\n";
}

std::string Uptime(std::int64_t s) {
  std::ostringstream out;
  const std::int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d > 0) out << d << "d ";
  if (d > 0 || h > 0) out << h << "h ";
  if (d > 0 || h > 0 || m > 0) out << m << "m ";
  out << sec << "s";
  return out.str();
}

void PrintHealth(const json& h) {
  const auto uptime = Int(h, "uptime_s");
  std::cout << "status          " << Str(h, "status") << "\n"
            << "store           " << Str(h, "store_id") << "\n"
            << "device          " << Str(h, "device_id") << "\n"
            << "version         " << Str(h, "version") << "\n"
            << "uptime          " << (uptime ? Uptime(*uptime) : std::string("?")) << "\n"
            << "events waiting  " << Str(h, "outbox_depth") << " (not yet sent to the cloud)\n";
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
    std::cerr << "storectl: " << error.code << ": " << error.message << "\n";
  }
  return exit_code;
}

int Status(const Options& o) { return Call(o, Get("/v1/health"), PrintHealth); }

namespace {

void PrintSync(const json& s) {
  if (!s.value("enabled", false)) {
    std::cout << "cloud           off (no cloud.url in the config)\n";
  } else {
    std::cout << "cloud           " << (s.value("online", false) ? "online" : "offline") << "\n"
              << "last push       " << Str(s, "last_push_at") << "\n"
              << "last pull       " << Str(s, "last_pull_at") << "\n";
    if (const auto err = Str(s, "last_error"); !err.empty()) {
      std::cout << "last error      " << err << "\n";
    }
  }
  std::cout << "events waiting  " << Str(s, "pending_events") << " (sent up to seq "
            << Str(s, "acked_seq") << " of " << Str(s, "last_seq") << ")\n";
  const auto alerts = s.find("alerts");
  if (alerts == s.end() || !alerts->is_array() || alerts->empty()) {
    std::cout << "alerts          none\n";
    return;
  }
  std::cout << "alerts          " << alerts->size() << "\n";
  for (const auto& a : *alerts) {
    std::cout << "  #" << Str(a, "id") << " " << Str(a, "at") << " " << Str(a, "code") << ": "
              << Str(a, "message") << "\n";
  }
}

void PrintSyncRun(const json& r) {
  if (r.value("ok", false)) {
    std::cout << "synced: " << Str(r, "pushed") << " event(s) pushed, " << Str(r, "pulled")
              << " change(s) pulled\n";
  } else {
    std::cout << "sync failed: " << Str(r, "error") << " (pushed " << Str(r, "pushed")
              << ", pulled " << Str(r, "pulled") << "); the agent keeps retrying\n";
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
              [&](const json&) { std::cout << "alert " << alert_id << " acknowledged\n"; });
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

int Refund(const Options& o, const std::string& sale, const std::vector<std::string>& serials) {
  return WithSale(o, sale, [&](const std::string& id) {
    return Call(o, Post("/v1/refunds", json{{"sale_id", id}, {"serials", serials}}), PrintRefund);
  });
}

namespace {

void PrintStock(const json& s) {
  std::cout << "stock " << Str(s, "gtin") << "\n"
            << "  on hand    " << Str(s, "on_hand") << "\n"
            << "  reserved   " << Str(s, "reserved") << " (picked " << Str(s, "picked") << ")\n"
            << "  available  " << Str(s, "available") << "\n";
}

void PrintReceived(const json& s) {
  std::cout << "received " << Str(s, "gtin");
  if (const auto serial = Str(s, "serial"); !serial.empty()) std::cout << "  SN " << serial;
  std::cout << "\n";
  PrintStock(s);
}

// One block per order: id, kind, status, when it lapses or closed, lines.
void PrintReservation(const json& r) {
  std::cout << "order " << Str(r, "id") << "  " << Str(r, "kind") << "  " << Str(r, "status");
  if (r.value("cancel_requested", false)) std::cout << "  (cancel requested)";
  std::cout << "\n";
  if (const auto t = Str(r, "expires_at"); !t.empty()) {
    std::cout << "  expires  " << t << "\n";
  } else if (const auto ttl = Str(r, "ttl_s"); !ttl.empty() && Str(r, "accepted_at").empty()) {
    std::cout << "  ttl      " << ttl << " s once accepted\n";
  }
  if (const auto t = Str(r, "closed_at"); !t.empty()) std::cout << "  closed   " << t << "\n";
  if (const auto reason = Str(r, "reason"); !reason.empty())
    std::cout << "  reason   " << reason << "\n";
  if (const auto carrier = Str(r, "carrier"); !carrier.empty()) {
    std::cout << "  shipped  " << carrier << " " << Str(r, "tracking_no") << "\n";
  }
  for (const auto& line : Array(r, "lines")) {
    const json& picked = Array(line, "picked");
    std::cout << "  " << Str(line, "line_no") << "  " << Str(line, "gtin") << " x"
              << Str(line, "qty") << "  picked " << picked.size();
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
  if (all.empty()) std::cout << "no orders\n";
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
  if (all.empty()) std::cout << "no scanners ([[scanners]] in the config)\n";
  for (const auto& s : all) {
    const bool up = s.value("connected", false);
    std::cout << Str(s, "id") << "  " << Str(s, "type") << "  " << Str(s, "path") << "  terminal "
              << Str(s, "terminal") << "  " << (up ? "connected" : "NOT CONNECTED") << "  scans "
              << Str(s, "scans") << "  dropped " << Str(s, "dropped");
    if (!up && s.contains("last_error") && s["last_error"].is_string()) {
      std::cout << "  (" << s["last_error"].get<std::string>() << ")";
    }
    std::cout << "\n";
  }
}

void PrintTerminal(const json& t) {
  std::cout << "terminal " << Str(t, "terminal") << "  mode " << Str(t, "mode");
  if (t.contains("order_id") && t["order_id"].is_string())
    std::cout << "  order " << Str(t, "order_id");
  std::cout << "\n";
  if (t.contains("open_sale")) {
    std::cout << "  open sale " << (t["open_sale"].is_string() ? Str(t, "open_sale") : "none")
              << "\n";
  }
  for (const auto& c : Array(t, "count")) {
    std::cout << "  counted " << Str(c, "gtin") << " x" << Str(c, "units") << "\n";
  }
}

void PrintCounts(const json& j) {
  for (const auto& c : Array(j, "counts")) {
    std::cout << Str(c, "gtin") << "  counted " << Str(c, "counted");
    if (c.contains("error")) {
      std::cout << "  NOT COMMITTED: " << Str(c["error"], "message");
    } else {
      std::cout << "  on hand " << Str(c, "on_hand") << "  available " << Str(c, "available");
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
      std::cout << "printed " << Str(j, "sale_id") << " (" << Str(j, "bytes") << " bytes)\n";
    });
  });
}

namespace {

void PrintPrinters(const json& j) {
  const json& all = Array(j, "printers");
  if (all.empty()) std::cout << "no printers ([printer] target or [printers.NAME] in the config)\n";
  for (const auto& p : all) {
    const json status = p.contains("status") && p["status"].is_object() ? p["status"] : json{};
    std::cout << Str(p, "name") << "  " << Str(p, "target") << "  " << Str(status, "state")
              << "  paper " << Str(status, "paper") << "  cover " << Str(status, "cover");
    if (const auto at = Str(status, "checked_at"); !at.empty())
      std::cout << "  (asked " << at << ")";
    std::cout << "\n";
    if (const auto detail = Str(status, "detail"); !detail.empty()) {
      std::cout << "  " << detail << "\n";
    }
    std::string terminals;
    for (const auto& t : Array(p, "terminals")) {
      terminals +=
          (terminals.empty() ? "" : ", ") + (t.is_string() ? t.get<std::string>() : Dump(t));
    }
    if (p.value("default", false)) {
      terminals += (terminals.empty() ? "" : ", ") + std::string("every terminal that names none");
    }
    std::cout << "  terminals: " << (terminals.empty() ? "none" : terminals) << "\n";
    const json& queue = Array(p, "queue");
    std::size_t waiting = 0;
    for (const auto& job : queue) {
      const std::string state = Str(job, "state");
      if (state == "queued" || state == "printing") ++waiting;
    }
    std::cout << "  queue: " << queue.size() << " jobs, " << waiting << " waiting\n";
    // The last ten, and every one still waiting.
    const std::size_t from = queue.size() > 10 ? queue.size() - 10 : 0;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      const auto& job = queue[i];
      const std::string state = Str(job, "state");
      if (i < from && state != "queued" && state != "printing") continue;
      // What the job prints: a sale's receipt, a refund's slip, or a drawer kick.
      const std::string what = !Str(job, "refund_id").empty() ? "refund " + Str(job, "refund_id")
                               : !Str(job, "drawer_open_id").empty()
                                   ? "drawer " + Str(job, "drawer_open_id")
                                   : "sale " + Str(job, "sale_id");
      std::cout << "    job " << Str(job, "job") << "  " << what << "  " << state;
      if (const auto reason = Str(job, "reason"); !reason.empty())
        std::cout << " (" << reason << ")";
      std::cout << "  attempts " << Str(job, "attempts") << "  " << Str(job, "at") << "\n";
    }
  }
}

}  // namespace

int PrinterStatus(const Options& o) { return Call(o, Get("/v1/printers"), PrintPrinters); }

int DrawerOpen(const Options& o, const std::string& terminal, const std::string& reason) {
  return Call(
      o, Post(TerminalPath(terminal) + "/drawer", json{{"reason", reason}}), [](const json& j) {
        const json& d = j.contains("drawer_open") ? j["drawer_open"] : json::object();
        std::cout << "drawer of " << Str(d, "terminal") << " opened without a sale  "
                  << Str(d, "at") << "  (" << Str(d, "reason") << ")\n";
        std::cout << "  shift: " << (Str(d, "shift_id").empty() ? "none open" : Str(d, "shift_id"))
                  << "\n";
        const json kick = j.value("kick", json());
        if (!kick.is_object()) {
          std::cout << "  kick: not sent (this terminal has no printer)\n";
        } else if (kick.value("printed", false)) {
          std::cout << "  kick: sent through printer " << Str(kick, "printer") << "\n";
        } else {
          std::cout << "  kick: not sent: " << Str(kick, "reason") << " " << Str(kick, "error")
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
