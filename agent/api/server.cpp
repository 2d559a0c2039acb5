// SPDX-License-Identifier: Apache-2.0
// The API's only translation unit with RESTinio (its headers are heavy).
#include <restinio/all.hpp>
#include <restinio/tls.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <limits>
#include <list>
#include <optional>
#include <set>
#include <string_view>
#include <variant>
#include <vector>

#include "api.hpp"
#include "qr.hpp"
#include "web.hpp"

namespace sa::api {
namespace {

using nlohmann::json;
using daemon::ErrorReply;
using daemon::Reply;
using Durability = ledger::Durability;
using Request = restinio::request_handle_t;
// Single-threaded (the agent's one loop), with a cap on open connections;
// the same over TLS when Options carry a certificate. Only the server type
// differs: request handles and the chunked responses of /v1/events are the
// same types for both (RESTinio hides the socket behind connection_base_t).
struct Traits : public restinio::default_single_thread_traits_t {
  static constexpr bool use_connection_count_limiter = true;
};
struct TlsTraits : public restinio::single_thread_tls_traits_t<restinio::asio_timer_manager_t,
                                                                restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};
using HttpServer = restinio::http_server_t<Traits>;
using HttpsServer = restinio::http_server_t<TlsTraits>;
using AnyServer = std::variant<std::unique_ptr<HttpServer>, std::unique_ptr<HttpsServer>>;
constexpr std::size_t kMaxConnections = 256;
using EventStream = restinio::response_builder_t<restinio::chunked_output_t>;

// TLS 1.2's suites: forward secret (ECDHE) and AEAD only. TLS 1.3's are
// OpenSSL's defaults (all AEAD, all forward secret).
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

// The reason OpenSSL gives for `ec`, on one line; its error queue is cleared
// so nothing stale is blamed on a later connection.
std::string SslReason(const asio::error_code& ec) {
  std::string why = ec ? ec.message() : "unknown error";
  ::ERR_clear_error();
  for (char& c : why) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return why;
}

// The HTTPS server's context from PEM text: TLS 1.2+ only, the chain and a
// key that matches it. Nothing on success, else a one-line reason.
std::string MakeTlsContext(const std::string& cert_pem, const std::string& key_pem,
                           std::shared_ptr<asio::ssl::context>& out) {
  try {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    asio::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                     ec);
    if (ec) return "cannot set TLS options (" + SslReason(ec) + ")";
    SSL_CTX* native = ctx->native_handle();
    if (::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
      ::ERR_clear_error();
      return "cannot require TLS 1.2 or later";
    }
    std::uint64_t extra = SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION;
#ifdef SSL_OP_NO_RENEGOTIATION
    extra |= SSL_OP_NO_RENEGOTIATION;
#endif
    ::SSL_CTX_set_options(native, extra);
    if (::SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
      ::ERR_clear_error();
      return "cannot set the TLS 1.2 cipher suites";
    }
    // An encrypted key is refused, not prompted for on a terminal.
    ctx->set_password_callback(
        [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); }, ec);
    if (ec) return "cannot set up TLS (" + SslReason(ec) + ")";
    ctx->use_certificate_chain(asio::buffer(cert_pem), ec);
    if (ec) return "the TLS certificate chain does not load (" + SslReason(ec) + ")";
    ctx->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
    if (ec) {
      return "the TLS private key does not load or does not match the certificate (" +
             SslReason(ec) + "; an encrypted key is not supported)";
    }
    if (::SSL_CTX_check_private_key(native) != 1) {
      ::ERR_clear_error();
      return "the TLS private key does not match the certificate";
    }
    out = std::move(ctx);
    return {};
  } catch (const std::exception& e) {
    ::ERR_clear_error();
    return std::string("cannot set up TLS (") + e.what() + ")";
  }
}

constexpr std::size_t kMaxScansKept = 200;
constexpr std::size_t kMaxEventStreams = 64;  // screens in one store; more is a leak or an attack

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
  }
  return "Status";
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = std::min(path.find('/', i), path.size());
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// A field error: the request is not what the API takes (400).
struct BadField {
  std::string code;
  std::string message;
};

const json* Field(const json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw BadField{"missing_field", std::string("the body needs \"") + name + "\""};
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> StringField(const json& body, const char* name, bool required) {
  const json* f = Field(body, name, required);
  if (!f) return std::nullopt;
  if (!f->is_string()) throw BadField{"invalid_field", std::string("\"") + name + "\" must be a string"};
  return f->get<std::string>();
}

MinorUnits AmountField(const json& body, const char* name) {
  const json* f = Field(body, name, true);
  if (f->is_number_unsigned() &&
      f->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<MinorUnits>::max())) {
    throw BadField{"amount_overflow", std::string("\"") + name + "\" is too large"};
  }
  if (!f->is_number_integer()) {
    throw BadField{"invalid_field", std::string("\"") + name +
                                        "\" must be an integer number of minor units (fen)"};
  }
  return f->get<MinorUnits>();
}

// A short text field a person types (a carrier, a manager's name): present,
// not empty, at most `max` bytes.
std::string ShortField(const json& body, const char* name, std::size_t max) {
  std::string v = *StringField(body, name, true);
  if (v.empty() || v.size() > max) {
    throw BadField{"invalid_field", std::string("\"") + name + "\" must be 1 to " +
                                        std::to_string(max) + " characters"};
  }
  return v;
}

// An optional free-text reason (reject, release); the store bounds it.
std::string ReasonField(const json& body) { return StringField(body, "reason", false).value_or(""); }

// A manager's override of a reservation at the till: {"manager","reason"}.
std::optional<store::Override> OverrideField(const json& body) {
  const json* f = Field(body, "override", false);
  if (!f) return std::nullopt;
  if (!f->is_object()) {
    throw BadField{"invalid_field", "\"override\" must be an object {\"manager\",\"reason\"}"};
  }
  return store::Override{ShortField(*f, "manager", 64), ShortField(*f, "reason", 64)};
}

// One path segment, percent-decoded ("o%2F1" is the id "o/1"); nothing when
// the escapes are broken or the id is empty or too long.
std::optional<std::string> PathId(std::string_view seg) {
  std::string out;
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] != '%') {
      out += seg[i];
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= seg.size()) return std::nullopt;
    const int hi = hex(seg[i + 1]), lo = hex(seg[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (out.empty() || out.size() > 128) return std::nullopt;
  return out;
}

// Stock and reservations as the API shows them (DESIGN.md "Local HTTP API").
json StockJson(const store::StockLevel& s) {
  return json{{"gtin", s.gtin},
              {"on_hand", s.on_hand},
              {"reserved", s.reserved},
              {"available", s.available},
              {"picked", s.picked}};
}

json ReservationJson(const store::Reservation& r) {
  auto at = [](const std::optional<std::int64_t>& ms) {
    return ms ? json(FormatTimestamp(*ms)) : json(nullptr);
  };
  auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json lines = json::array();
  for (const auto& l : r.lines) {
    lines.push_back(json{{"line_no", l.line_no}, {"gtin", l.gtin}, {"qty", l.qty}, {"picked", l.picked}});
  }
  return json{{"id", r.id},
              {"kind", r.kind},
              {"status", r.status},
              {"lines", std::move(lines)},
              {"ttl_s", r.ttl_s},
              {"offered_at", r.offered_at_ms ? json(FormatTimestamp(r.offered_at_ms)) : json(nullptr)},
              {"accepted_at", at(r.accepted_at_ms)},
              {"expires_at", at(r.expires_at_ms)},
              {"closed_at", at(r.closed_at_ms)},
              {"cancel_requested", r.cancel_requested},
              {"reason", text(r.reason)},
              {"carrier", text(r.carrier)},
              {"tracking_no", text(r.tracking_no)}};
}

struct ScanRecord {
  std::string source;
  std::string payload;
  std::int64_t at_ms = 0;
  std::string outcome;
  std::string sale_id;
  std::string terminal;
  std::string mode;
  std::string order_id;
};

json ScanJson(const ScanRecord& rec) {
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

// What a terminal's scanners do with a scan (POST /v1/terminals/{t}/mode).
struct Terminal {
  std::string mode = "sale";  // sale | receive | count | pick
  std::string order_id;       // pick: the order being picked
  // count: the units scanned since the last commit, by GTIN-14: serials
  // (a unit scanned twice counts once) and units without a serial.
  std::map<std::string, std::set<std::string>> serials;
  std::map<std::string, std::int64_t> plain;

  std::int64_t Units(const std::string& gtin) const {
    const auto s = serials.find(gtin);
    const auto p = plain.find(gtin);
    return (s == serials.end() ? 0 : static_cast<std::int64_t>(s->second.size())) +
           (p == plain.end() ? 0 : p->second);
  }
  std::map<std::string, std::int64_t> Tally() const {
    std::map<std::string, std::int64_t> out;
    for (const auto& [gtin, set] : serials) out[gtin] = Units(gtin);
    for (const auto& [gtin, n] : plain) out[gtin] = Units(gtin);
    return out;
  }
};

// A cashier logged in at a terminal (POST /v1/login). In memory only: a
// restart logs everyone out, and no bearer secret is ever written down.
struct Session {
  store::Cashier cashier;
  std::string terminal;
  std::chrono::steady_clock::time_point last_used;
};
constexpr auto kSessionIdle = std::chrono::hours(12);  // a long shift, then log in again
constexpr std::size_t kMaxSessions = 1024;
// Login throttling: this many failures in a row for one cashier id lock it
// for kLockout (a 4-digit PIN must not be guessable over the LAN).
constexpr int kMaxLoginFailures = 5;
constexpr auto kLockout = std::chrono::seconds(60);
constexpr std::size_t kMaxThrottled = 4096;
struct LoginThrottle {
  int failures = 0;
  std::chrono::steady_clock::time_point locked_until{};
};

// Who is calling: the device's API token (storectl, a store box's own
// tools) or a cashier's session.
struct Caller {
  bool admin = false;        // the API token
  const Session* session = nullptr;
  bool manager() const { return admin || (session && session->cashier.role == "manager"); }
  std::string cashier() const { return session ? session->cashier.id : std::string(); }
  std::string terminal() const { return session ? session->terminal : std::string(); }
};

json CashierObject(const store::Cashier& c) {
  return json{{"id", c.id}, {"name", c.name}, {"role", c.role}};
}

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& io_, daemon::Writer& writer_, const store::Store& store_, Options opts,
       const daemon::Log& log_)
      : io(io_), writer(writer_), store(store_), config(store_.books.config()), options(std::move(opts)),
        log(log_), started(std::chrono::steady_clock::now()), ping(io_) {}
  ~Impl() {
    alive.reset();  // pending stream callbacks see this and touch nothing
    verifiers.join();
  }
  std::shared_ptr<int> alive = std::make_shared<int>(0);

  asio::io_context& io;
  daemon::Writer& writer;
  const store::Store& store;
  const store::Config& config;
  // Label signatures are checked here, off the loop and off the writer, so
  // a 1 ms ECDSA verify overlaps other terminals' commits.
  asio::thread_pool verifiers{2};
  Options options;
  const daemon::Log& log;
  std::chrono::steady_clock::time_point started;
  AnyServer server;  // a null HttpServer until Start
  std::uint16_t bound_port = 0;
  std::deque<ScanRecord> scans;
  std::map<std::string, Terminal> terminals;  // loop thread only
  std::list<std::shared_ptr<EventStream>> streams;
  asio::steady_timer ping;
  bool stopping = false;

  // Metrics (loop thread only).
  std::map<int, std::uint64_t> requests_by_status;
  std::map<std::string, std::uint64_t> scans_by_outcome;
  std::uint64_t sales_completed = 0;
  std::map<std::string, Session> sessions;            // by token; loop thread only
  std::map<std::string, LoginThrottle> throttles;     // by cashier id
  Caller caller;  // of the request being routed (set at the top of Route)
  std::uint64_t sales_voided = 0;
  std::uint64_t refunds = 0;

  // ------------------------------------------------------------ responses

  void Respond(const Request& req, const Reply& reply) {
    ++requests_by_status[reply.status];
    auto resp = req->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{static_cast<std::uint16_t>(reply.status)}, Reason(reply.status)});
    resp.append_header(restinio::http_field::content_type, "application/json");
    if (reply.status == 405) resp.append_header("Allow", allow);
    resp.set_body(reply.body);
    resp.done();
  }
  std::string allow;  // for the next 405 (set just before it)

  void RespondText(const Request& req, std::string text, const char* type) {
    ++requests_by_status[200];
    req->create_response()
        .append_header(restinio::http_field::content_type, type)
        .set_body(std::move(text))
        .done();
  }

  // Runs `work` on the writer; answers when it is durable, then `after`.
  void Submit(const Request& req, Durability durability, bool idempotent,
              std::function<Reply(store::Store&)> work,
              std::function<void(const Reply&)> after = {}) {
    daemon::Job job;
    job.durability = durability;
    if (idempotent) {
      const auto key = req->header().get_field_or("Idempotency-Key", "");
      if (!key.empty()) {
        if (key.size() > 128) {
          return Respond(req, ErrorReply(400, "invalid_idempotency_key",
                                         "an Idempotency-Key is at most 128 characters"));
        }
        job.idempotency_key = std::string(key);
        const std::string what = std::string(req->header().method().c_str()) + " " +
                                 std::string(req->header().path()) + "\n" + req->body();
        job.request_hash = crypto::ToHex(crypto::Sha256(what));
      }
    }
    job.work = std::move(work);
    job.done = [this, req, after = std::move(after)](Reply reply) {
      Respond(req, reply);
      if (after && !reply.replayed) after(reply);  // a replay changed nothing: no event, no count
    };
    writer.Submit(std::move(job));
  }

  // ---------------------------------------------------------- event stream

  void Broadcast(std::string_view event, const std::string& data) {
    if (streams.empty()) return;
    const std::string chunk = "event: " + std::string(event) + "\ndata: " + data + "\n\n";
    for (auto it = streams.begin(); it != streams.end(); ++it) {
      std::weak_ptr<EventStream> weak = *it;
      (*it)->append_chunk(restinio::writable_item_t{chunk});
      (*it)->flush([this, weak, life = std::weak_ptr<int>(alive)](const asio::error_code& ec) {
        if (ec && !life.expired()) DropStream(weak);
      });
    }
  }

  void DropStream(const std::weak_ptr<EventStream>& weak) {
    const auto s = weak.lock();
    streams.remove_if([&](const auto& p) { return p == s; });
  }

  void KeepStreamsAlive() {
    ping.expires_after(std::chrono::seconds(15));
    ping.async_wait([this](const asio::error_code& ec) {
      if (ec || stopping) return;
      for (auto& s : streams) {
        std::weak_ptr<EventStream> weak = s;
        s->append_chunk(restinio::writable_item_t{std::string(": ping\n\n")});
        s->flush([this, weak, life = std::weak_ptr<int>(alive)](const asio::error_code& e) {
          if (e && !life.expired()) DropStream(weak);
        });
      }
      KeepStreamsAlive();
    });
  }

  void RecordScan(ScanRecord rec) {
    ++scans_by_outcome[rec.outcome];
    Broadcast("scan", Dump(ScanJson(rec)));
    scans.push_front(std::move(rec));
    if (scans.size() > kMaxScansKept) scans.pop_back();
  }

  // --------------------------------------------------------------- routes

  restinio::request_handling_status_t Handle(Request req) {
    try {
      Route(req);
    } catch (const BadField& bad) {
      Respond(req, ErrorReply(400, bad.code, bad.message));
    } catch (const std::exception& e) {
      log.Error("request failed", {{"what", e.what()}});
      Respond(req, ErrorReply(500, "internal_error", "the agent hit an internal error"));
    }
    return restinio::request_accepted();
  }

  bool Authorised(const Request& req) const {
    const auto auth = req->header().get_field_or(restinio::http_field::authorization, "");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) return false;
    return crypto::ConstantTimeEqual(auth.substr(kBearer.size()), options.token);
  }

  // The body as a JSON object; an empty body is {} where `empty_ok`.
  json Body(const Request& req, bool empty_ok) {
    const std::string& body = req->body();
    if (body.empty()) {
      if (empty_ok) return json::object();
      throw BadField{"invalid_json", "the request needs a JSON object body"};
    }
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw BadField{"invalid_json", "the body is not valid JSON"};
    if (!j.is_object()) throw BadField{"invalid_json", "the body must be a JSON object"};
    return j;
  }

  void MethodNotAllowed(const Request& req, const char* allowed) {
    allow = allowed;
    Respond(req, ErrorReply(405, "method_not_allowed",
                            std::string("this route takes ") + allowed));
  }

  void Route(const Request& req) {
    const auto method = req->header().method();
    const bool get = method == restinio::http_method_get();
    const bool post = method == restinio::http_method_post();
    const bool del = method == restinio::http_method_delete();
    const auto path = req->header().path();
    const auto seg = Segments(path);

    // The screens need no token: they are what a cashier logs in with.
    if (path == "/" || path == "/store" || (!seg.empty() && seg[0] == "ui" && path.substr(0, 4) == "/ui/")) {
      return get ? Screen(req, path) : MethodNotAllowed(req, "GET");
    }
    if (req->body().size() > options.max_body_bytes) {
      return Respond(req, ErrorReply(413, "body_too_large",
                                     "the body is over " + std::to_string(options.max_body_bytes) +
                                         " bytes"));
    }
    if (seg.size() == 2 && seg[0] == "v1" && seg[1] == "login") {
      return post ? Login(req) : MethodNotAllowed(req, "POST");
    }
    caller = WhoIsCalling(req);
    if (!caller.admin && !caller.session) {
      return Respond(req, ErrorReply(401, "unauthorized",
                                     "a valid 'Authorization: Bearer {token}' header is required "
                                     "(the token is in {data-dir}/api-token, or log in: POST /v1/login)"));
    }
    const auto n = seg.size();
    if (n == 1 && seg[0] == "metrics") return get ? Metrics(req) : MethodNotAllowed(req, "GET");
    if (n < 2 || seg[0] != "v1") return NotFound(req);
    const auto& what = seg[1];
    if (n == 2 && what == "health") return get ? Health(req) : MethodNotAllowed(req, "GET");
    if (n == 2 && what == "events") return get ? Events(req) : MethodNotAllowed(req, "GET");
    if (n == 2 && what == "scans") return get ? Scans(req) : MethodNotAllowed(req, "GET");
    if (n == 2 && what == "scanners") return get ? Scanners(req) : MethodNotAllowed(req, "GET");
    if (what == "terminals") {
      if (n == 2) return get ? ListTerminals(req) : MethodNotAllowed(req, "GET");
      if (n > 4) return NotFound(req);
      const std::string t(seg[2]);
      if (!IsValidId(t)) {
        return Respond(req, ErrorReply(404, "terminal_not_found",
                                       "a terminal id is 1-64 of A-Z a-z 0-9 _ . -"));
      }
      if (n == 3) return get ? ShowTerminal(req, t) : MethodNotAllowed(req, "GET");
      if (seg[3] == "mode") return post ? SetMode(req, t) : MethodNotAllowed(req, "POST");
      if (seg[3] == "count") return post ? CommitCount(req, t) : MethodNotAllowed(req, "POST");
      return NotFound(req);
    }
    if (n == 2 && what == "refunds") return post ? RefundRoute(req) : MethodNotAllowed(req, "POST");
    if (n == 2 && what == "logout") return post ? Logout(req) : MethodNotAllowed(req, "POST");
    if (n == 2 && what == "session") return get ? ShowSession(req) : MethodNotAllowed(req, "GET");
    if (what == "cashiers") {
      if (!caller.manager()) {
        return Respond(req, ErrorReply(403, "forbidden", "managing cashiers needs a manager or the API token"));
      }
      if (n == 2) return get ? ListCashiers(req) : post ? AddCashier(req) : MethodNotAllowed(req, "GET, POST");
      if (n > 4) return NotFound(req);
      const std::string cid(seg[2]);
      if (!store::Shifts::IsValidCashierId(cid)) {
        return Respond(req, ErrorReply(404, "cashier_not_found", "no such cashier"));
      }
      if (n == 3) return del ? RemoveCashier(req, cid) : MethodNotAllowed(req, "DELETE");
      if (seg[3] == "pin") return post ? ResetPin(req, cid) : MethodNotAllowed(req, "POST");
      return NotFound(req);
    }
    if (what == "shifts") {
      if (n == 2) return get ? ListShifts(req) : post ? OpenShift(req) : MethodNotAllowed(req, "GET, POST");
      if (n > 4) return NotFound(req);
      const auto sid = PathId(seg[2]);
      if (!sid) return Respond(req, ErrorReply(404, "shift_not_found", "no such shift"));
      if (n == 3) return get ? ShowShift(req, *sid) : MethodNotAllowed(req, "GET");
      if (seg[3] == "report") return get ? ShiftReport(req, *sid) : MethodNotAllowed(req, "GET");
      if (seg[3] == "close") return post ? CloseShift(req, *sid) : MethodNotAllowed(req, "POST");
      return NotFound(req);
    }
    if (what == "sync") {
      if (n == 2) return get ? SyncStatus(req) : MethodNotAllowed(req, "GET");
      if (n == 3 && seg[2] == "now") return post ? SyncNow(req) : MethodNotAllowed(req, "POST");
      if (n == 5 && seg[2] == "alerts" && seg[4] == "ack") {
        return post ? AckAlert(req, std::string(seg[3])) : MethodNotAllowed(req, "POST");
      }
      return NotFound(req);
    }
    if (what == "stock") {
      if (n == 3 && seg[2] == "receive") return post ? Receive(req) : MethodNotAllowed(req, "POST");
      if (n == 3 && seg[2] == "counts") return post ? CountStock(req) : MethodNotAllowed(req, "POST");
      if (n == 3) return get ? ShowStock(req, seg[2]) : MethodNotAllowed(req, "GET");
      return NotFound(req);
    }
    if (what == "reservations") {
      if (n == 2) return get ? ListReservations(req) : MethodNotAllowed(req, "GET");
      if (n > 4) return NotFound(req);
      const auto rid = PathId(seg[2]);
      if (n == 3) {
        if (!get) return MethodNotAllowed(req, "GET");
        if (!rid) return Respond(req, ErrorReply(404, "reservation_not_found", "no such reservation"));
        return ShowReservation(req, *rid);
      }
      const auto& action = seg[3];
      static constexpr std::string_view kActions[] = {"accept", "reject", "release",
                                                      "pick",   "ship",   "handover"};
      if (std::find(std::begin(kActions), std::end(kActions), action) == std::end(kActions)) {
        return NotFound(req);
      }
      if (!post) return MethodNotAllowed(req, "POST");
      if (!rid) return Respond(req, ErrorReply(404, "reservation_not_found", "no such reservation"));
      return ReservationAction(req, *rid, action);
    }
    if (what != "sales") return NotFound(req);
    if (n == 2) return post ? OpenSale(req) : MethodNotAllowed(req, "POST");
    const std::string id(seg[2]);
    if (n == 3) return get ? ShowSale(req, id) : MethodNotAllowed(req, "GET");
    const auto& action = seg[3];
    if (n == 4 && action == "scans") return post ? Scan(req, id) : MethodNotAllowed(req, "POST");
    if (n == 4 && action == "member") return post ? Member(req, id) : MethodNotAllowed(req, "POST");
    if (n == 4 && action == "complete") return post ? Complete(req, id) : MethodNotAllowed(req, "POST");
    if (n == 4 && action == "void") return post ? Void(req, id) : MethodNotAllowed(req, "POST");
    if (n == 4 && action == "receipt") return get ? ReceiptRoute(req, id) : MethodNotAllowed(req, "GET");
    if (n == 4 && action == "print") return post ? PrintRoute(req, id) : MethodNotAllowed(req, "POST");
    if (n == 4 && action == "claim-qr.svg") return get ? ClaimQr(req, id) : MethodNotAllowed(req, "GET");
    if (n == 5 && action == "lines") {
      if (!del) return MethodNotAllowed(req, "DELETE");
      const std::string line(seg[4]);
      std::int64_t line_id = 0;
      const bool numeric = !line.empty() && line.size() <= 18 &&
                           line.find_first_not_of("0123456789") == std::string::npos;
      if (!numeric) return Respond(req, ErrorReply(404, "line_not_found", "no such line"));
      line_id = std::stoll(line);
      return Submit(req, Durability::relaxed, false, [id, line_id](store::Store& s) {
        auto r = s.sales.RemoveLine(id, line_id);
        return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
      });
    }
    NotFound(req);
  }

  void NotFound(const Request& req) {
    Respond(req, ErrorReply(404, "not_found", "no such route: " +
                                                  std::string(req->header().path().substr(0, 100))));
  }

  void Health(const Request& req) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    const daemon::WriterStats w = writer.stats();
    json storage{{"state", w.storage_full ? "full" : "ok"}, {"refusals", w.storage_refusals}};
    if (auto free = writer.FreeBytes()) storage["free_bytes"] = *free;
    Submit(req, Durability::relaxed, false, [this, uptime, storage, full = w.storage_full](store::Store& s) {
      auto depth = s.books.OutboxDepth();
      // Still 200: the agent answers and sells what it can; "degraded" tells
      // a monitor (or a manager's screen) that changes are being refused.
      return Reply{200, Dump(json{{"status", full ? "degraded" : "ok"},
                                  {"store_id", config.store_id},
                                  {"device_id", config.device_id},
                                  {"version", options.version},
                                  {"uptime_s", uptime},
                                  {"outbox_depth", depth ? *depth : -1},
                                  {"storage", storage}})};
    });
  }

  // ------------------------------------------------------------------ sync

  // A sale, void or refund is in the outbox: sync may push it now.
  void EventWritten() {
    if (options.sync.event_written) options.sync.event_written();
  }

  void SyncStatus(const Request& req) {
    std::string cloud = options.sync.status ? options.sync.status() : R"({"enabled":false})";
    Submit(req, Durability::relaxed, false, [cloud = std::move(cloud)](store::Store& s) {
      auto state = s.inbox.GetSyncState();
      if (!state) return ErrorReply(state.error());
      auto alerts = s.inbox.Alerts(false, 100);
      if (!alerts) return ErrorReply(alerts.error());
      json j = json::parse(cloud, nullptr, false);
      if (!j.is_object()) j = json::object();
      j["pending_events"] = state->last_seq - state->acked_seq;
      j["acked_seq"] = state->acked_seq;
      j["last_seq"] = state->last_seq;
      j["cursor"] = state->cursor;
      json list = json::array();
      for (const auto& a : *alerts) {
        json detail = json::parse(a.detail, nullptr, false);
        list.push_back({{"id", a.id},
                        {"code", a.code},
                        {"message", a.message},
                        {"source", a.source},
                        {"at", FormatTimestamp(a.at_ms)},
                        {"detail", detail.is_discarded() ? json::object() : detail}});
      }
      j["alerts"] = std::move(list);
      return Reply{200, Dump(j)};
    });
  }

  void SyncNow(const Request& req) {
    if (!options.sync.now) {
      return Respond(req, ErrorReply(409, "sync_disabled",
                                     "no cloud is configured (cloud.url in the config)"));
    }
    options.sync.now([this, req, life = std::weak_ptr<int>(alive)](std::string result) {
      asio::post(io, [this, req, life, result = std::move(result)] {
        if (!life.expired()) Respond(req, Reply{200, result});
      });
    });
  }

  void AckAlert(const Request& req, const std::string& id_text) {
    const bool numeric = !id_text.empty() && id_text.size() <= 18 &&
                         id_text.find_first_not_of("0123456789") == std::string::npos;
    if (!numeric) return Respond(req, ErrorReply(404, "alert_not_found", "no such alert"));
    const std::int64_t id = std::stoll(id_text);
    Submit(req, Durability::full, true, [id](store::Store& s) {
      auto ok = s.inbox.AcknowledgeAlert(id);
      return ok ? Reply{200, R"({"acknowledged":true})"} : ErrorReply(ok.error());
    });
  }

  void Metrics(const Request& req) {
    daemon::Job job;
    job.durability = Durability::relaxed;
    job.work = [](store::Store& s) {
      auto depth = s.books.OutboxDepth();
      return depth ? Reply{200, std::to_string(*depth)} : ErrorReply(depth.error());
    };
    job.done = [this, req](Reply reply) {
      if (reply.status != 200) return Respond(req, reply);
      RespondText(req, MetricsText(reply.body), "text/plain; version=0.0.4");
    };
    writer.Submit(std::move(job));
  }

  static std::string Seconds(std::int64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1000000),
                  static_cast<long long>(us % 1000000));
    return buf;
  }

  std::string MetricsText(const std::string& outbox_depth) {
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    family("sa_sales_completed_total", "counter", "Sales completed since the agent started.");
    out += "sa_sales_completed_total " + std::to_string(sales_completed) + "\n";
    if (options.sync.status) {
      const json st = json::parse(options.sync.status(), nullptr, false);
      if (st.is_object()) {
        family("sa_sync_online", "gauge", "1 while the last exchange with the cloud succeeded.");
        out += std::string("sa_sync_online ") + (st.value("online", false) ? "1" : "0") + "\n";
        family("sa_sync_pushed_events_total", "counter", "Events the cloud acknowledged since start.");
        out += "sa_sync_pushed_events_total " + std::to_string(st.value("pushed_events", 0)) + "\n";
        family("sa_sync_failures_total", "counter", "Failed sync cycles since start.");
        out += "sa_sync_failures_total " + std::to_string(st.value("failures", 0)) + "\n";
      }
    }
    family("sa_sales_voided_total", "counter", "Open sales voided since the agent started.");
    out += "sa_sales_voided_total " + std::to_string(sales_voided) + "\n";
    family("sa_refunds_total", "counter", "Refunds since the agent started.");
    out += "sa_refunds_total " + std::to_string(refunds) + "\n";
    family("sa_scans_total", "counter", "Scans by outcome (accepted or the refusal code).");
    for (const auto& [outcome, count] : scans_by_outcome) {
      out += "sa_scans_total{outcome=\"" + outcome + "\"} " + std::to_string(count) + "\n";
    }
    family("sa_http_responses_total", "counter", "HTTP responses by status.");
    for (const auto& [status, count] : requests_by_status) {
      out += "sa_http_responses_total{status=\"" + std::to_string(status) + "\"} " +
             std::to_string(count) + "\n";
    }
    const daemon::WriterStats w = writer.stats();
    family("sa_commit_seconds", "histogram", "Durable (fsync'd) batch commit latency.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < daemon::WriterStats::kBucketsUs.size(); ++i) {
      cumulative += w.bucket_counts[i];
      out += "sa_commit_seconds_bucket{le=\"" + Seconds(daemon::WriterStats::kBucketsUs[i]) +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    cumulative += w.bucket_counts.back();
    out += "sa_commit_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
    out += "sa_commit_seconds_sum " + Seconds(w.commit_us_sum) + "\n";
    out += "sa_commit_seconds_count " + std::to_string(cumulative) + "\n";
    family("sa_writer_batches_total", "counter", "Ledger transactions run by the writer.");
    out += "sa_writer_batches_total " + std::to_string(w.batches) + "\n";
    family("sa_writer_jobs_total", "counter", "Operations run by the writer (grouped in batches).");
    out += "sa_writer_jobs_total " + std::to_string(w.jobs) + "\n";
    family("sa_ledger_storage_full", "gauge", "1 while the ledger's disk is full and changes are refused.");
    out += std::string("sa_ledger_storage_full ") + (w.storage_full ? "1" : "0") + "\n";
    family("sa_ledger_storage_refusals_total", "counter", "Operations refused with 507 insufficient_storage.");
    out += "sa_ledger_storage_refusals_total " + std::to_string(w.storage_refusals) + "\n";
    family("sa_writer_max_batch", "gauge", "The most operations one batch has held.");
    out += "sa_writer_max_batch " + std::to_string(w.max_batch) + "\n";
    family("sa_outbox_depth", "gauge", "Events waiting to be pushed to the cloud.");
    out += "sa_outbox_depth " + outbox_depth + "\n";
    family("sa_event_streams", "gauge", "Open /v1/events streams.");
    out += "sa_event_streams " + std::to_string(streams.size()) + "\n";
    return out;
  }

  void Events(const Request& req) {
    if (streams.size() >= kMaxEventStreams) {
      return Respond(req, ErrorReply(503, "too_many_event_streams",
                                     "too many /v1/events streams are open"));
    }
    auto stream = std::make_shared<EventStream>(req->create_response<restinio::chunked_output_t>());
    stream->append_header(restinio::http_field::content_type, "text/event-stream");
    stream->append_header(restinio::http_field::cache_control, "no-cache");
    stream->append_chunk(restinio::writable_item_t{std::string(": store-agent events\n\n")});
    std::weak_ptr<EventStream> weak = stream;
    stream->flush([this, weak, life = std::weak_ptr<int>(alive)](const asio::error_code& ec) {
      if (ec && !life.expired()) DropStream(weak);
    });
    streams.push_back(std::move(stream));
    ++requests_by_status[200];
  }

  void Scans(const Request& req) {
    std::size_t limit = 50;
    const auto qp = restinio::parse_query(req->header().query());
    if (qp.has("limit")) {
      const std::string v(qp["limit"]);
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos) {
        return Respond(req, ErrorReply(400, "invalid_field", "limit must be 1 to 200"));
      }
      limit = std::clamp<std::size_t>(static_cast<std::size_t>(std::stoul(v)), 1, kMaxScansKept);
    }
    json out = json::array();
    for (const auto& s : scans) {
      if (out.size() >= limit) break;
      out.push_back(ScanJson(s));
    }
    Respond(req, Reply{200, Dump(json{{"scans", out}})});
  }

  void SaleChanged(const Reply& reply) {
    if (reply.status < 300) Broadcast("sale", reply.body);
  }

  void OpenSale(const Request& req) {
    const json body = Body(req, true);
    // A cashier's session names the till and who sells.
    const std::string terminal = StringField(body, "terminal", false).value_or(caller.terminal());
    Submit(req, Durability::relaxed, true, [terminal, cashier = caller.cashier()](store::Store& s) {
      auto r = s.sales.OpenSale(terminal, cashier);
      return r ? Reply{201, store::SaleJson(*r)} : ErrorReply(r.error());
    }, [this](const Reply& r) { SaleChanged(r); });
  }

  void ShowSale(const Request& req, const std::string& id) {
    Submit(req, Durability::relaxed, false, [id](store::Store& s) {
      auto r = s.sales.GetSale(id);
      return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
    });
  }

  void Scan(const Request& req, const std::string& id) {
    const json body = Body(req, false);
    const std::string payload = *StringField(body, "payload", true);
    // A manager letting the till sell a unit an order holds (stock_reserved).
    const std::optional<store::Override> override_reserved = OverrideField(body);
    const std::int64_t at = SystemClock().now_ms();
    auto record = [this, id, payload, at, overridden = override_reserved.has_value()](const Reply& r) {
      RecordScan({"api", payload.substr(0, 256), at, OutcomeOf(r), id, {}, "sale", {}});
      SaleChanged(r);
      if (overridden && r.status == 200) EventWritten();  // its stock.override, if one was needed
    };
    asio::post(verifiers, [this, req, id, payload, record, override_reserved] {
      auto checked = store.books.CheckCode(payload);  // parse + ECDSA, on a worker
      asio::post(io, [this, req, id, record, override_reserved, checked = std::move(checked)]() mutable {
        if (!checked) {
          const Reply r = ErrorReply(checked.error());
          Respond(req, r);
          return record(r);
        }
        Submit(req, Durability::relaxed, true,
               [id, override_reserved, checked = std::move(checked).value()](store::Store& s) {
                 auto r = s.sales.AddCheckedCode(id, checked, override_reserved);
                 return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
               },
               record);
      });
    });
  }

  // Parses and verifies `payload` on a worker, then (on the loop) answers a
  // refused code at once or hands the checked code to `then`.
  void WithCheckedCode(const Request& req, std::string payload,
                       std::function<void(store::CheckedCode)> then) {
    asio::post(verifiers, [this, req, payload = std::move(payload), then = std::move(then)] {
      auto checked = store.books.CheckCode(payload);
      asio::post(io, [this, req, then, checked = std::move(checked)]() mutable {
        if (!checked) return Respond(req, ErrorReply(checked.error()));
        then(std::move(checked).value());
      });
    });
  }

  static std::string OutcomeOf(const Reply& r) {
    if (r.status < 300) return "accepted";
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("error")) return j["error"].value("code", "error");
    return "error";
  }

  void Member(const Request& req, const std::string& id) {
    const json body = Body(req, false);
    const auto payload = StringField(body, "payload", false);
    const auto phone = StringField(body, "phone", false);
    if (payload.has_value() == phone.has_value()) {
      throw BadField{"invalid_field", "give exactly one of \"payload\" (a member code) or \"phone\""};
    }
    Submit(req, Durability::relaxed, true, [id, payload, phone](store::Store& s) {
      auto r = payload ? s.sales.BindMemberCode(id, *payload) : s.sales.BindPhone(id, *phone);
      return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
    }, [this](const Reply& r) { SaleChanged(r); });
  }

  void Complete(const Request& req, const std::string& id) {
    const json body = Body(req, false);
    const json* list = Field(body, "payments", true);
    if (!list->is_array()) throw BadField{"invalid_field", "\"payments\" must be an array"};
    std::vector<store::Payment> payments;
    for (const auto& p : *list) {
      if (!p.is_object()) throw BadField{"invalid_field", "each payment must be an object"};
      payments.push_back(store::Payment{*StringField(p, "method", true), AmountField(p, "amount"),
                                        StringField(p, "ref", false).value_or("")});
    }
    Submit(req, Durability::full, true, [id, payments](store::Store& s) {
      auto r = s.sales.Complete(id, payments);
      return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
    }, [this, id](const Reply& r) {
      if (r.status == 200) {
        ++sales_completed;
        EventWritten();
        // The completion is durable (answered): now the receipt may print.
        if (options.hardware.print && options.hardware.auto_print) PrintSale(id, [](const Reply&) {});
      }
      SaleChanged(r);
    });
  }

  void Void(const Request& req, const std::string& id) {
    const json body = Body(req, true);
    const std::string reason = StringField(body, "reason", false).value_or("");
    Submit(req, Durability::full, true, [id, reason](store::Store& s) {
      auto r = s.sales.Void(id, reason);
      return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
    }, [this](const Reply& r) {
      if (r.status == 200) {
        ++sales_voided;
        EventWritten();
      }
      SaleChanged(r);
    });
  }

  void RefundRoute(const Request& req) {
    const json body = Body(req, false);
    const std::string sale_id = *StringField(body, "sale_id", true);
    const json* list = Field(body, "serials", true);
    if (!list->is_array()) throw BadField{"invalid_field", "\"serials\" must be an array"};
    std::vector<store::UnitRef> units;
    for (const auto& item : *list) {
      if (item.is_string()) {
        units.emplace_back(item.get<std::string>());
      } else if (item.is_object()) {
        units.emplace_back(StringField(item, "gtin", false).value_or(""),
                           *StringField(item, "serial", true));
      } else {
        throw BadField{"invalid_field", "each serial is a string or {\"gtin\",\"serial\"}"};
      }
    }
    const std::string terminal = StringField(body, "terminal", false).value_or(caller.terminal());
    Submit(req, Durability::full, true, [sale_id, units, terminal, cashier = caller.cashier()](store::Store& s) {
      auto r = s.sales.RefundUnits(sale_id, units, terminal, cashier);
      return r ? Reply{201, store::RefundJson(*r)} : ErrorReply(r.error());
    }, [this](const Reply& r) {
      if (r.status == 201) {
        ++refunds;
        EventWritten();
      }
    });
  }

  void ReceiptRoute(const Request& req, const std::string& id) {
    const auto qp = restinio::parse_query(req->header().query());
    receipt::Width width = receipt::Width::mm80;
    if (qp.has("width")) {
      const auto w = qp["width"];
      if (w == "58") {
        width = receipt::Width::mm58;
      } else if (w != "80") {
        return Respond(req, ErrorReply(400, "invalid_field", "width is 58 or 80"));
      }
    }
    Submit(req, Durability::relaxed, false, [this, id, width](store::Store& s) {
      std::string claim_url;
      auto sale = CompletedSale(s, id, claim_url);
      if (!sale) return ErrorReply(sale.error());
      const std::string text = receipt::Text(*sale, options.shop, width, claim_url);
      const std::string escpos = receipt::EscPos(*sale, options.shop, width, claim_url);
      return Reply{200, Dump(json{{"sale_id", sale->id},
                                  {"receipt_no", sale->receipt_no},
                                  {"width", width == receipt::Width::mm58 ? 58 : 80},
                                  {"text", text},
                                  {"claim_url", claim_url.empty() ? json(nullptr) : json(claim_url)},
                                  {"escpos_base64", crypto::Base64UrlEncode(crypto::Bytes(
                                                        escpos.begin(), escpos.end()))}})};
    });
  }

  // A completed sale and its claim URL ("" when a member is bound): what a
  // receipt is made of. On the writer.
  Expected<store::Sale> CompletedSale(store::Store& s, const std::string& id, std::string& claim_url) {
    auto sale = s.sales.GetSale(id);
    if (!sale) return sale.error();
    if (sale->status != "completed") {
      return MakeError(ErrorKind::conflict, "sale_not_completed", "only a completed sale has a receipt");
    }
    if (!sale->member) {
      const std::string token = receipt::ClaimToken(*sale, options.claim_key);
      if (!token.empty()) claim_url = receipt::ClaimUrl(options.claim_host, token);
    }
    return sale;
  }

  // ------------------------------------------------------ cashiers, shifts

  Caller WhoIsCalling(const Request& req) {
    Caller c;
    if (Authorised(req)) {
      c.admin = true;
      return c;
    }
    const auto auth = req->header().get_field_or(restinio::http_field::authorization, "");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) return c;
    const std::string token(auth.substr(kBearer.size()));
    auto it = sessions.find(token);
    if (it == sessions.end()) return c;
    const auto now = std::chrono::steady_clock::now();
    if (now - it->second.last_used > kSessionIdle) {
      sessions.erase(it);
      return c;
    }
    it->second.last_used = now;
    c.session = &it->second;
    return c;
  }

  static std::string ExpiresAt() {
    return FormatTimestamp(SystemClock().now_ms() +
                           std::chrono::duration_cast<std::chrono::milliseconds>(kSessionIdle).count());
  }

  // The screens: / (cashier), /store (store), /ui/{file}; no token, no
  // inline script (CSP), always revalidated (a new agent build brings new
  // screens).
  void Screen(const Request& req, std::string_view path) {
    std::string name;
    if (path == "/") {
      name = "index.html";
    } else if (path == "/store") {
      name = "store.html";
    } else {
      name = std::string(path.substr(4));
    }
    auto asset = web::FindAsset(name, options.web_root);
    if (!asset) return NotFound(req);
    ++requests_by_status[200];
    req->create_response()
        .append_header(restinio::http_field::content_type, asset->content_type)
        .append_header(restinio::http_field::cache_control, "no-cache")
        .append_header("Content-Security-Policy", "default-src 'self'")
        .append_header("X-Content-Type-Options", "nosniff")
        .append_header("Referrer-Policy", "no-referrer")
        .set_body(std::move(asset->body))
        .done();
  }

  // Not an Idempotency-Key POST: a login changes nothing in the ledger, and
  // a stored answer would be a bearer token written to disk. A retry simply
  // logs in again.
  void Login(const Request& req) {
    const json body = Body(req, false);
    const std::string id = *StringField(body, "cashier", true);
    const std::string pin = *StringField(body, "pin", true);
    const std::string terminal = StringField(body, "terminal", false).value_or("");
    if (!terminal.empty() && !IsValidId(terminal)) {
      throw BadField{"invalid_field", "\"terminal\" is 1-64 of A-Z a-z 0-9 _ . -"};
    }
    const auto now = std::chrono::steady_clock::now();
    if (!store::Shifts::IsValidCashierId(id)) {
      return Respond(req, ErrorReply(401, "invalid_login", "unknown cashier or wrong PIN"));
    }
    if (auto t = throttles.find(id); t != throttles.end() && t->second.locked_until > now) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(t->second.locked_until - now).count() + 1;
      return Respond(req, ErrorReply(429, "too_many_attempts",
                                     "too many wrong PINs for this cashier: try again in " +
                                         std::to_string(left) + " s, or ask a manager to reset the PIN"));
    }
    auto creds = std::make_shared<std::optional<std::pair<store::Cashier, crypto::PinHash>>>();
    daemon::Job job;
    job.durability = Durability::relaxed;
    job.work = [id, creds](store::Store& s) {
      auto c = s.shifts.CashierCredentials(id);
      if (!c) return ErrorReply(c.error());
      *creds = std::move(c).value();
      return Reply{200, {}};
    };
    job.done = [this, req, id, pin, terminal, creds](Reply r) {
      if (r.status != 200) return Respond(req, r);
      // PBKDF2 is slow on purpose: off the loop and off the writer.
      asio::post(verifiers, [this, req, id, pin, terminal, creds, life = std::weak_ptr<int>(alive)] {
        static const crypto::PinHash dummy = crypto::HashPin("00000000", crypto::kPinIterations);
        // An unknown id costs the same time as a wrong PIN.
        const bool ok = *creds ? store::Shifts::IsValidPin(pin) && crypto::VerifyPin(pin, (*creds)->second)
                               : (crypto::VerifyPin(pin, dummy), false);
        asio::post(io, [this, req, id, terminal, creds, ok, life] {
          if (life.expired()) return;
          FinishLogin(req, id, terminal, ok ? std::optional((*creds)->first) : std::nullopt);
        });
      });
    };
    writer.Submit(std::move(job));
  }

  void FinishLogin(const Request& req, const std::string& id, const std::string& terminal,
                   std::optional<store::Cashier> cashier) {
    const auto now = std::chrono::steady_clock::now();
    if (!cashier) {
      if (throttles.size() >= kMaxThrottled) throttles.clear();  // bounded; a flood only resets counts
      auto& t = throttles[id];
      if (++t.failures >= kMaxLoginFailures) {
        t.failures = 0;
        t.locked_until = now + kLockout;
        log.Warn("cashier login locked", {{"cashier", id}, {"seconds", std::to_string(kLockout.count())}});
      }
      return Respond(req, ErrorReply(401, "invalid_login", "unknown cashier or wrong PIN"));
    }
    throttles.erase(id);
    if (sessions.size() >= kMaxSessions) {
      // Drop the idlest: a device that logs in and never out must not grow this forever.
      auto oldest = std::min_element(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      sessions.erase(oldest);
    }
    crypto::Bytes raw(32);
    crypto::RandomBytes(raw);
    const std::string token = crypto::Base64UrlEncode(raw);
    sessions[token] = Session{*cashier, terminal, now};
    log.Info("cashier logged in", {{"cashier", cashier->id}, {"terminal", terminal}});
    Respond(req, Reply{200, Dump(json{{"token", token},
                                      {"cashier", CashierObject(*cashier)},
                                      {"terminal", terminal},
                                      {"expires_at", ExpiresAt()}})});
  }

  void Logout(const Request& req) {
    bool ended = false;
    if (caller.session) {
      for (auto it = sessions.begin(); it != sessions.end(); ++it) {
        if (&it->second == caller.session) {
          sessions.erase(it);
          ended = true;
          break;
        }
      }
      caller.session = nullptr;
    }
    Respond(req, Reply{200, Dump(json{{"logged_out", ended}})});
  }

  void ShowSession(const Request& req) {
    if (!caller.session) {
      return Respond(req, Reply{200, Dump(json{{"cashier", nullptr}, {"terminal", nullptr},
                                               {"shift", nullptr}, {"admin", true}})});
    }
    json who = CashierObject(caller.session->cashier);
    const std::string terminal = caller.session->terminal;
    Submit(req, Durability::relaxed, false, [who, terminal](store::Store& s) {
      json shift = nullptr;
      if (!terminal.empty()) {
        auto open = s.shifts.ListShifts(terminal, "open", 1);
        if (!open) return ErrorReply(open.error());
        if (!open->empty()) shift = json::parse(store::ShiftJson(open->front()));
      }
      return Reply{200, Dump(json{{"cashier", who},
                                  {"terminal", terminal.empty() ? json(nullptr) : json(terminal)},
                                  {"expires_at", ExpiresAt()},
                                  {"shift", shift},
                                  {"admin", false}})};
    });
  }

  // A PIN from the body: 4-8 digits (400 invalid_pin otherwise).
  static std::string PinField(const json& body) {
    std::string pin = *StringField(body, "pin", true);
    if (!store::Shifts::IsValidPin(pin)) throw BadField{"invalid_pin", "a PIN is 4 to 8 digits"};
    return pin;
  }

  // Hashes the PIN on a worker (PBKDF2 is slow on purpose), then runs `then` on the loop.
  void WithPinHash(const std::string& pin, std::function<void(crypto::PinHash)> then) {
    asio::post(verifiers, [this, pin, then = std::move(then), iterations = options.pin_iterations,
                           life = std::weak_ptr<int>(alive)] {
      crypto::PinHash h = crypto::HashPin(pin, iterations);
      asio::post(io, [then, h = std::move(h), life]() mutable {
        if (!life.expired()) then(std::move(h));
      });
    });
  }

  void AddCashier(const Request& req) {
    const json body = Body(req, false);
    const std::string id = *StringField(body, "id", true);
    const std::string name = *StringField(body, "name", true);
    const std::string role = StringField(body, "role", false).value_or("cashier");
    const std::string pin = PinField(body);
    if (!store::Shifts::IsValidCashierId(id)) {
      throw BadField{"invalid_cashier_id", "a cashier id is 1 to 32 of A-Z a-z 0-9 _ -"};
    }
    WithPinHash(pin, [this, req, id, name, role](crypto::PinHash h) {
      Submit(req, Durability::full, true, [id, name, role, h](store::Store& s) {
        auto r = s.shifts.AddCashier(id, name, role, h);
        return r ? Reply{201, Dump(CashierObject(*r))} : ErrorReply(r.error());
      });
    });
  }

  void ListCashiers(const Request& req) {
    Submit(req, Durability::relaxed, false, [](store::Store& s) {
      auto r = s.shifts.Cashiers();
      if (!r) return ErrorReply(r.error());
      json list = json::array();
      for (const auto& c : *r) list.push_back(json::parse(store::CashierJson(c)));
      return Reply{200, Dump(json{{"cashiers", list}})};
    });
  }

  void ResetPin(const Request& req, const std::string& id) {
    const json body = Body(req, false);
    const std::string pin = PinField(body);
    WithPinHash(pin, [this, req, id](crypto::PinHash h) {
      Submit(req, Durability::full, true, [id, h](store::Store& s) {
        auto r = s.shifts.SetCashierPin(id, h);
        return r ? Reply{200, store::CashierJson(*r)} : ErrorReply(r.error());
      }, [this, id](const Reply& r) {
        if (r.status == 200) throttles.erase(id);  // a manager's reset lifts a lockout
      });
    });
  }

  void RemoveCashier(const Request& req, const std::string& id) {
    Submit(req, Durability::full, false, [id](store::Store& s) {
      auto r = s.shifts.DeactivateCashier(id);
      return r ? Reply{200, store::CashierJson(*r)} : ErrorReply(r.error());
    }, [this, id](const Reply& r) {
      if (r.status != 200) return;
      // A removed cashier's sessions end now, not at their idle timeout.
      std::erase_if(sessions, [&](const auto& kv) { return kv.second.cashier.id == id; });
    });
  }

  void OpenShift(const Request& req) {
    const json body = Body(req, false);
    const std::string terminal = StringField(body, "terminal", caller.terminal().empty()).value_or(caller.terminal());
    const MinorUnits opening = AmountField(body, "opening_float");
    Submit(req, Durability::full, true, [terminal, opening, cashier = caller.cashier()](store::Store& s) {
      auto r = s.shifts.OpenShift(terminal, cashier, opening);
      return r ? Reply{201, store::ShiftJson(*r)} : ErrorReply(r.error());
    });
  }

  void ListShifts(const Request& req) {
    const auto qp = restinio::parse_query(req->header().query());
    const std::string terminal = qp.has("terminal") ? std::string(qp["terminal"]) : "";
    const std::string status = qp.has("status") ? std::string(qp["status"]) : "";
    if (!status.empty() && status != "open" && status != "closed") {
      return Respond(req, ErrorReply(400, "invalid_field", "status is open or closed"));
    }
    if (!terminal.empty() && !IsValidId(terminal)) {
      return Respond(req, ErrorReply(400, "invalid_field", "terminal is 1-64 of A-Z a-z 0-9 _ . -"));
    }
    Submit(req, Durability::relaxed, false, [terminal, status](store::Store& s) {
      auto r = s.shifts.ListShifts(terminal, status, 200);
      if (!r) return ErrorReply(r.error());
      json list = json::array();
      for (const auto& sh : *r) list.push_back(json::parse(store::ShiftJson(sh)));
      return Reply{200, Dump(json{{"shifts", list}})};
    });
  }

  void ShowShift(const Request& req, const std::string& id) {
    Submit(req, Durability::relaxed, false, [id](store::Store& s) {
      auto r = s.shifts.GetShift(id);
      return r ? Reply{200, store::ShiftJson(*r)} : ErrorReply(r.error());
    });
  }

  void ShiftReport(const Request& req, const std::string& id) {
    Submit(req, Durability::relaxed, false, [id](store::Store& s) {
      auto r = s.shifts.ReportOf(id);
      return r ? Reply{200, store::ShiftReportJson(*r)} : ErrorReply(r.error());
    });
  }

  void CloseShift(const Request& req, const std::string& id) {
    const json body = Body(req, false);
    const MinorUnits counted = AmountField(body, "counted_cash");
    Submit(req, Durability::full, true, [id, counted](store::Store& s) {
      auto r = s.shifts.CloseShift(id, counted);
      if (!r) return ErrorReply(r.error());
      json warnings = json::array();
      if (r->report.pending_events > 0) {
        warnings.push_back(json{{"code", "events_pending_sync"},
                                {"message", std::to_string(r->report.pending_events) +
                                                " events have not reached the cloud yet; keep the agent "
                                                "online until they sync"},
                                {"pending_events", r->report.pending_events}});
      }
      return Reply{200, Dump(json{{"shift", json::parse(store::ShiftJson(r->shift))},
                                  {"report", json::parse(store::ShiftReportJson(r->report))},
                                  {"warnings", warnings}})};
    }, [this](const Reply& r) {
      if (r.status == 200) EventWritten();  // shift.closed is in the outbox
    });
  }

  // The receipt's claim URL as a QR code (image/svg+xml) for the screen.
  void ClaimQr(const Request& req, const std::string& id) {
    auto url = std::make_shared<std::string>();
    daemon::Job job;
    job.durability = Durability::relaxed;
    job.work = [this, id, url](store::Store& s) {
      auto sale = CompletedSale(s, id, *url);
      if (!sale) return ErrorReply(sale.error());
      if (url->empty()) {
        return ErrorReply(404, "no_claim_url", "this sale has no claim URL (a member is bound, or no claim key)");
      }
      return Reply{200, {}};
    };
    job.done = [this, req, url](Reply r) {
      if (r.status != 200) return Respond(req, r);
      auto m = qr::Encode(*url);
      if (!m) return Respond(req, ErrorReply(m.error()));
      ++requests_by_status[200];
      req->create_response()
          .append_header(restinio::http_field::content_type, "image/svg+xml")
          .append_header(restinio::http_field::cache_control, "no-cache")
          .set_body(qr::Svg(*m))
          .done();
    };
    writer.Submit(std::move(job));
  }

  // ------------------------------------------------------------ hardware

  void Scanners(const Request& req) {
    const std::string list = options.hardware.scanners ? options.hardware.scanners() : "[]";
    Respond(req, Reply{200, "{\"scanners\":" + list + "}"});
  }

  // Prints a completed sale's receipt: its bytes are made on the writer (a
  // read), then sent by the daemon's printer hook off the loop. `done` runs
  // on the loop with "" or why it failed.
  void PrintSale(const std::string& id, std::function<void(Reply)> done) {
    auto bytes = std::make_shared<std::string>();
    daemon::Job job;
    job.durability = Durability::relaxed;
    job.work = [this, id, bytes](store::Store& s) {
      std::string claim_url;
      auto sale = CompletedSale(s, id, claim_url);
      if (!sale) return ErrorReply(sale.error());
      *bytes = receipt::EscPos(*sale, options.shop, options.hardware.print_width, claim_url);
      return Reply{200, {}};
    };
    job.done = [this, id, bytes, done = std::move(done)](Reply r) {
      if (r.status != 200) return done(r);
      const std::size_t size = bytes->size();
      options.hardware.print(std::move(*bytes), [this, life = std::weak_ptr<int>(alive), id, size,
                                                  done](std::string error) {
        if (life.expired()) return;
        asio::post(io, [this, life, id, size, done, error = std::move(error)] {
          if (life.expired()) return;
          json j = {{"sale_id", id}, {"printed", error.empty()}, {"bytes", size}};
          if (!error.empty()) j["error"] = error;
          Broadcast("printer", Dump(j));
          if (!error.empty()) {
            log.Warn("receipt not printed", {{"sale_id", id}, {"why", error}});
            return done(ErrorReply(503, "printer_unavailable", "the receipt printer: " + error));
          }
          done(Reply{200, Dump(j)});
        });
      });
    };
    writer.Submit(std::move(job));
  }

  void PrintRoute(const Request& req, const std::string& id) {
    (void)Body(req, true);
    if (!options.hardware.print) {
      return Respond(req, ErrorReply(409, "no_printer", "no receipt printer is configured ([printer] target)"));
    }
    PrintSale(id, [this, req](Reply r) { Respond(req, r); });
  }

  Terminal& TerminalOf(const std::string& t) {
    auto [it, fresh] = terminals.try_emplace(t);
    if (fresh) {
      const auto m = options.hardware.terminal_modes.find(t);
      if (m != options.hardware.terminal_modes.end()) it->second.mode = m->second;
    }
    return it->second;
  }

  json TerminalJson(const std::string& t, const Terminal& term) const {
    json count = json::array();
    for (const auto& [gtin, units] : term.Tally()) count.push_back({{"gtin", gtin}, {"units", units}});
    return json{{"terminal", t},
                {"mode", term.mode},
                {"order_id", term.order_id.empty() ? json(nullptr) : json(term.order_id)},
                {"count", count}};
  }

  void ListTerminals(const Request& req) {
    for (const auto& [t, mode] : options.hardware.terminal_modes) (void)TerminalOf(t);
    json out = json::array();
    for (const auto& [t, term] : terminals) out.push_back(TerminalJson(t, term));
    Respond(req, Reply{200, Dump(json{{"terminals", out}})});
  }

  void ShowTerminal(const Request& req, const std::string& t) {
    json j = TerminalJson(t, TerminalOf(t));
    Submit(req, Durability::relaxed, false, [t, j = std::move(j)](store::Store& s) mutable {
      auto open = s.sales.OpenSaleOf(t);
      if (!open) return ErrorReply(open.error());
      j["open_sale"] = *open ? json(**open) : json(nullptr);
      return Reply{200, Dump(j)};
    });
  }

  // {"mode": "sale"|"receive"|"count"|"pick", "order_id" (pick), "discard"
  // (leave count mode with units not committed)}.
  void SetMode(const Request& req, const std::string& t) {
    const json body = Body(req, false);
    const std::string mode = *StringField(body, "mode", true);
    if (mode != "sale" && mode != "receive" && mode != "count" && mode != "pick") {
      throw BadField{"invalid_field", "\"mode\" must be sale, receive, count or pick"};
    }
    const std::string order_id = StringField(body, "order_id", false).value_or("");
    const json* discard = Field(body, "discard", false);
    if (discard && !discard->is_boolean()) throw BadField{"invalid_field", "\"discard\" must be true or false"};
    if (mode == "pick" && order_id.empty()) {
      throw BadField{"missing_field", "\"order_id\" is required in pick mode"};
    }
    if (mode != "pick" && !order_id.empty()) {
      throw BadField{"invalid_field", "\"order_id\" is for pick mode only"};
    }
    Terminal& term = TerminalOf(t);
    if (term.mode == "count" && mode != "count" && !term.Tally().empty() && !(discard && discard->get<bool>())) {
      return Respond(req, ErrorReply(409, "count_uncommitted",
                                     "this terminal has counted units not committed: POST "
                                     "/v1/terminals/" + t + "/count, or set \"discard\": true"));
    }
    auto apply = [this, req, t, mode, order_id] {
      Terminal& target = TerminalOf(t);
      if (target.mode == "count" && mode != "count") {
        target.serials.clear();
        target.plain.clear();
      }
      target.mode = mode;
      target.order_id = order_id;
      log.Info("terminal mode", {{"terminal", t}, {"mode", mode}, {"order_id", order_id}});
      const std::string j = Dump(TerminalJson(t, target));
      Broadcast("terminal", j);
      Respond(req, Reply{200, j});
    };
    if (mode != "pick") return apply();
    // The order must exist and be open for picking.
    daemon::Job job;
    job.durability = Durability::relaxed;
    job.work = [order_id](store::Store& s) {
      auto r = s.stock.GetReservation(order_id);
      if (!r) return ErrorReply(r.error());
      if (r->status != "accepted") {
        return ErrorReply(409, "reservation_not_pickable",
                          "order " + order_id + " is " + r->status + "; only an accepted order is picked");
      }
      return Reply{200, {}};
    };
    job.done = [this, req, apply](Reply r) {
      if (r.status != 200) return Respond(req, r);
      apply();
    };
    writer.Submit(std::move(job));
  }

  // Commits the terminal's tally: one stock count per GTIN (each its own
  // transaction and event). A GTIN whose count is refused stays in the tally.
  void CommitCount(const Request& req, const std::string& t) {
    (void)Body(req, true);
    Terminal& term = TerminalOf(t);
    if (term.mode != "count") {
      return Respond(req, ErrorReply(409, "not_counting", "terminal " + t + " is not in count mode"));
    }
    const auto tally = term.Tally();
    auto committed = std::make_shared<std::vector<std::string>>();
    Submit(req, Durability::full, true, [tally, committed](store::Store& s) {
      json results = json::array();
      bool all = true;
      for (const auto& [gtin, units] : tally) {
        auto r = s.stock.Count(gtin, units);
        if (r) {
          committed->push_back(gtin);
          json j = StockJson(*r);
          j["counted"] = units;
          results.push_back(std::move(j));
        } else {
          all = false;
          results.push_back({{"gtin", gtin}, {"counted", units},
                             {"error", {{"code", r.error().code}, {"message", r.error().message}}}});
        }
      }
      return Reply{all ? 200 : 422, Dump(json{{"counts", results}, {"committed", all}})};
    }, [this, t, committed](const Reply& r) {
      Terminal& now = TerminalOf(t);
      for (const auto& gtin : *committed) {
        now.serials.erase(gtin);
        now.plain.erase(gtin);
      }
      if (!committed->empty()) {
        EventWritten();
        Broadcast("stock", r.body);
      }
    });
  }

  // A driver's scan, as the terminal's mode says.
  void RouteScan(const std::string& source, const std::string& terminal, const std::string& payload,
                 std::function<void()> handled) {
    const std::int64_t at = SystemClock().now_ms();
    const Terminal& term = TerminalOf(terminal);
    ScanRecord base{source, payload.substr(0, 256), at, {}, {}, terminal, term.mode, term.order_id};
    auto sale_id = std::make_shared<std::string>();
    auto finish = [this, base, sale_id, handled](const Reply& reply, std::string outcome = {}) {
      ScanRecord rec = base;
      rec.outcome = outcome.empty() ? OutcomeOf(reply) : std::move(outcome);
      rec.sale_id = *sale_id;
      RecordScan(std::move(rec));
      if (base.mode == "sale") SaleChanged(reply);
      if (base.mode == "receive") StockChanged(reply);
      if (base.mode == "pick") ReservationChanged(reply);
      if (handled) handled();
    };
    asio::post(verifiers, [this, terminal, payload, mode = term.mode, order_id = term.order_id,
                           sale_id, finish] {
      auto checked = store.books.CheckCode(payload);  // parse + ECDSA, off the loop and the writer
      asio::post(io, [this, terminal, mode, order_id, sale_id, finish,
                      checked = std::move(checked)]() mutable {
        if (!checked) return finish(ErrorReply(checked.error()));
        if (mode == "count") return Tally(terminal, *checked, finish);
        daemon::Job job;
        if (mode == "sale") {
          job.durability = Durability::relaxed;
          job.work = [terminal, sale_id, checked = std::move(checked).value()](store::Store& s) {
            auto current = s.sales.OpenSaleOf(terminal);
            if (!current) return ErrorReply(current.error());
            if (!*current) {
              auto opened = s.sales.OpenSale(terminal);
              if (!opened) return ErrorReply(opened.error());
              *current = opened->id;
            }
            *sale_id = **current;
            auto r = s.sales.AddCheckedCode(**current, checked);
            return r ? Reply{200, store::SaleJson(*r)} : ErrorReply(r.error());
          };
        } else if (mode == "receive") {
          job.durability = Durability::full;
          job.work = [checked = std::move(checked).value()](store::Store& s) {
            auto r = s.stock.Receive(checked);
            if (!r) return ErrorReply(r.error());
            json j = StockJson(*r);
            j["serial"] = checked.code.serial.empty() ? json(nullptr) : json(checked.code.serial);
            return Reply{200, Dump(j)};
          };
        } else {  // pick
          job.durability = Durability::full;
          job.work = [order_id, checked = std::move(checked).value()](store::Store& s) {
            auto r = s.stock.Pick(order_id, checked);
            return r ? Reply{200, Dump(ReservationJson(*r))} : ErrorReply(r.error());
          };
        }
        job.done = [finish](Reply reply) { finish(reply); };
        writer.Submit(std::move(job));
      });
    });
  }

  // Count mode: the unit joins the terminal's tally (nothing is written
  // until the count is committed).
  template <class Finish>
  void Tally(const std::string& terminal, const store::CheckedCode& checked, Finish& finish) {
    const auto gtin = Gtin14(checked.code.gtin);
    if (!gtin) {
      return finish(ErrorReply(422, "malformed_code", "the code names no GTIN to count"));
    }
    Terminal& term = TerminalOf(terminal);
    if (term.mode != "count") {  // the mode changed while the code was checked
      return finish(ErrorReply(409, "not_counting", "terminal " + terminal + " left count mode"));
    }
    bool fresh = true;
    if (checked.code.serial.empty()) {
      ++term.plain[*gtin];
    } else {
      fresh = term.serials[*gtin].insert(checked.code.serial).second;
    }
    const json j = {{"terminal", terminal}, {"gtin", *gtin}, {"units", term.Units(*gtin)}};
    Broadcast("count", Dump(j));
    finish(Reply{200, Dump(j)}, fresh ? "counted" : "already_counted");
  }

  // ---------------------------------------------------- stock and orders

  // A stock move or an order's step is in the outbox: show it, push it.
  void StockChanged(const Reply& reply) {
    if (reply.status != 200) return;
    EventWritten();
    Broadcast("stock", reply.body);
  }
  void ReservationChanged(const Reply& reply) {
    if (reply.status != 200) return;
    EventWritten();
    Broadcast("reservation", reply.body);
  }

  static std::optional<std::string> Gtin14(std::string_view text) {
    auto g = codes::NormaliseGtin(text);
    return g ? std::optional<std::string>(*g) : std::nullopt;
  }

  void ShowStock(const Request& req, std::string_view gtin_text) {
    const auto gtin = Gtin14(gtin_text);
    if (!gtin) {
      return Respond(req, ErrorReply(400, "invalid_gtin",
                                     "a GTIN has 8, 12, 13 or 14 digits with a good check digit"));
    }
    Submit(req, Durability::relaxed, false, [gtin = *gtin](store::Store& s) {
      auto r = s.stock.Level(gtin);
      return r ? Reply{200, Dump(StockJson(*r))} : ErrorReply(r.error());
    });
  }

  void Receive(const Request& req) {
    const json body = Body(req, false);
    std::string payload = *StringField(body, "payload", true);
    WithCheckedCode(req, std::move(payload), [this, req](store::CheckedCode checked) {
      Submit(req, Durability::full, true, [checked = std::move(checked)](store::Store& s) {
        auto r = s.stock.Receive(checked);
        if (!r) return ErrorReply(r.error());
        json j = StockJson(*r);
        j["serial"] = checked.code.serial.empty() ? json(nullptr) : json(checked.code.serial);
        return Reply{200, Dump(j)};
      }, [this](const Reply& r) { StockChanged(r); });
    });
  }

  void CountStock(const Request& req) {
    const json body = Body(req, false);
    const auto gtin = Gtin14(*StringField(body, "gtin", true));
    if (!gtin) {
      throw BadField{"invalid_gtin", "\"gtin\" must be 8, 12, 13 or 14 digits with a good check digit"};
    }
    const json* counted = Field(body, "counted", true);
    constexpr std::int64_t kMaxCount = 1'000'000'000;
    if (!counted->is_number_integer() || counted->get<std::int64_t>() < 0 ||
        (counted->is_number_unsigned() && counted->get<std::uint64_t>() > kMaxCount) ||
        counted->get<std::int64_t>() > kMaxCount) {
      throw BadField{"invalid_field", "\"counted\" must be an integer from 0 to 1000000000"};
    }
    Submit(req, Durability::full, true, [gtin = *gtin, n = counted->get<std::int64_t>()](store::Store& s) {
      auto r = s.stock.Count(gtin, n);
      return r ? Reply{200, Dump(StockJson(*r))} : ErrorReply(r.error());
    }, [this](const Reply& r) { StockChanged(r); });
  }

  void ListReservations(const Request& req) {
    const auto qp = restinio::parse_query(req->header().query());
    bool all = false;
    if (qp.has("all")) {
      const auto v = qp["all"];
      if (v == "1" || v == "true") {
        all = true;
      } else if (v != "0" && v != "false") {
        return Respond(req, ErrorReply(400, "invalid_field", "all is 1 or 0"));
      }
    }
    std::size_t limit = 200;
    if (qp.has("limit")) {
      const std::string v(qp["limit"]);
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(v) < 1 || std::stoul(v) > 1000) {
        return Respond(req, ErrorReply(400, "invalid_field", "limit must be 1 to 1000"));
      }
      limit = static_cast<std::size_t>(std::stoul(v));
    }
    Submit(req, Durability::relaxed, false, [all, limit](store::Store& s) {
      auto r = s.stock.Reservations(all, limit);
      if (!r) return ErrorReply(r.error());
      json list = json::array();
      for (const auto& one : *r) list.push_back(ReservationJson(one));
      return Reply{200, Dump(json{{"reservations", std::move(list)}})};
    });
  }

  void ShowReservation(const Request& req, const std::string& id) {
    Submit(req, Durability::relaxed, false, [id](store::Store& s) {
      auto r = s.stock.GetReservation(id);
      return r ? Reply{200, Dump(ReservationJson(*r))} : ErrorReply(r.error());
    });
  }

  // One step of an order on the writer: durable, idempotent, pushed.
  void ChangeReservation(const Request& req,
                         std::function<Expected<store::Reservation>(store::Store&)> step) {
    Submit(req, Durability::full, true, [step = std::move(step)](store::Store& s) {
      auto r = step(s);
      return r ? Reply{200, Dump(ReservationJson(*r))} : ErrorReply(r.error());
    }, [this](const Reply& r) { ReservationChanged(r); });
  }

  void ReservationAction(const Request& req, const std::string& id, std::string_view action) {
    if (action == "accept") {
      (void)Body(req, true);
      return ChangeReservation(req, [id](store::Store& s) { return s.stock.Accept(id); });
    }
    if (action == "reject" || action == "release") {
      const std::string reason = ReasonField(Body(req, true));
      if (action == "reject") {
        return ChangeReservation(req, [id, reason](store::Store& s) { return s.stock.Reject(id, reason); });
      }
      return ChangeReservation(req, [id, reason](store::Store& s) { return s.stock.Release(id, reason); });
    }
    if (action == "ship") {
      const json body = Body(req, false);
      const std::string carrier = ShortField(body, "carrier", 64);
      const std::string tracking = ShortField(body, "tracking_no", 64);
      return ChangeReservation(
          req, [id, carrier, tracking](store::Store& s) { return s.stock.Ship(id, carrier, tracking); });
    }
    if (action == "handover") {
      const std::string code = ShortField(Body(req, false), "pickup_code", 64);
      return ChangeReservation(req, [id, code](store::Store& s) { return s.stock.HandOver(id, code); });
    }
    // pick: one unit per call, its code checked on a worker first.
    std::string payload = *StringField(Body(req, false), "payload", true);
    WithCheckedCode(req, std::move(payload), [this, req, id](store::CheckedCode checked) {
      ChangeReservation(req, [id, checked = std::move(checked)](store::Store& s) {
        return s.stock.Pick(id, checked);
      });
    });
  }
};

Server::Server(asio::io_context& io, daemon::Writer& writer, const store::Store& store,
               Options options, const daemon::Log& log)
    : impl_(std::make_unique<Impl>(io, writer, store, std::move(options), log)) {}

Server::~Server() = default;

namespace {

// Either server type, set up alike; `tune` adds what only one of them has
// (the TLS context).
template <class S, class Tune>
std::unique_ptr<S> MakeServer(Server::Impl& d, Tune tune) {
  // RESTinio's own cap drops a connection outright; below it, oversized
  // bodies get a JSON 413 from the handler.
  const std::size_t hard_cap = std::max<std::size_t>(d.options.max_body_bytes * 4, 1 << 20);
  return std::make_unique<S>(
      restinio::external_io_context(d.io), [&d, hard_cap, &tune](auto& settings) {
        settings.address(d.options.host)
            .port(d.options.port)
            .request_handler([&d](Request req) { return d.Handle(std::move(req)); })
            .acceptor_post_bind_hook(
                [&d](asio::ip::tcp::acceptor& acceptor) { d.bound_port = acceptor.local_endpoint().port(); })
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_body_size(hard_cap)
                                          .max_url_size(8192)
                                          .max_field_count(100)
                                          .max_field_value_size(8192))
            .max_parallel_connections(kMaxConnections)
            .read_next_http_message_timelimit(std::chrono::seconds(15))
            .write_http_response_timelimit(std::chrono::seconds(15))
            .handle_request_timeout(std::chrono::seconds(30));
        tune(settings);
      });
}

}  // namespace

void Server::Start(std::function<void(std::uint16_t)> ready, std::function<void(std::string)> failed) {
  Impl& d = *impl_;
  if (d.options.tls_cert_pem.empty() != d.options.tls_key_pem.empty()) {
    return asio::post(d.io, [failed = std::move(failed)] {
      failed("HTTPS needs both a certificate and its private key");
    });
  }
  if (d.options.tls_cert_pem.empty()) {
    d.server = MakeServer<HttpServer>(d, [](auto&) {});
  } else {
    std::shared_ptr<asio::ssl::context> tls;
    std::string why = MakeTlsContext(d.options.tls_cert_pem, d.options.tls_key_pem, tls);
    // The key lives on in the TLS context only.
    ::OPENSSL_cleanse(d.options.tls_key_pem.data(), d.options.tls_key_pem.size());
    d.options.tls_key_pem.clear();
    if (!why.empty()) {
      return asio::post(d.io, [failed = std::move(failed), why = std::move(why)] { failed(why); });
    }
    d.server = MakeServer<HttpsServer>(d, [&tls](auto& settings) { settings.tls_context(tls); });
  }
  std::visit(
      [&d, &ready, &failed](auto& server) {
        server->open_async(
            [&d, ready = std::move(ready)] {
              d.KeepStreamsAlive();
              ready(d.bound_port);
            },
            [failed = std::move(failed)](std::exception_ptr ex) {
              std::string what = "cannot listen";
              try {
                std::rethrow_exception(ex);
              } catch (const std::exception& e) {
                what = e.what();
              } catch (...) {
              }
              failed(what);
            });
      },
      d.server);
}

void Server::Stop(std::function<void()> stopped) {
  Impl& d = *impl_;
  d.stopping = true;
  d.ping.cancel();
  d.streams.clear();
  std::visit(
      [&stopped](auto& server) {
        if (!server) return stopped();
        server->close_async([stopped] { stopped(); }, [stopped](std::exception_ptr) { stopped(); });
      },
      d.server);
}

void Server::OnScan(const std::string& source, const std::string& terminal,
                    const std::string& payload, std::function<void()> handled) {
  impl_->RouteScan(source, terminal, payload, std::move(handled));
}

}  // namespace sa::api
