// SPDX-License-Identifier: Apache-2.0
// The reference cloud: device identity, signed requests, idempotent ingest
// with per-device acked_seq, the per-store change feed, double-sale detection
// and the operator API. State lives in {data-dir}/oms-sim.db, so a restarted
// oms-sim still knows every device, event and change.
#include "cloud.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "codes.hpp"
#include "crypto.hpp"
#include "ledger.hpp"
#include "sync.hpp"

namespace sa::omssim {
namespace {

// Ordered: an event is stored and shown with its keys in the order the device
// sent them, and our own answers read in a stable order.
using json = nlohmann::ordered_json;
using ledger::Transaction;

constexpr std::int64_t kDefaultPullLimit = 500;
constexpr std::int64_t kMaxPullLimit = 1000;
constexpr std::int64_t kDefaultOrderTtlS = 1800;
constexpr std::int64_t kMaxDelayMs = 60'000;  // below RESTinio's handling time limit

// oms-sim's own schema. The file is opened through ledger::Database for its
// RAII and error handling, at schema version 0, so none of the device's
// migrations run on it.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  key TEXT NOT NULL,                        -- base64url of the 32 key bytes
  acked_seq INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER, agent_version TEXT,
  PRIMARY KEY(store_id, device_id));
-- Every seq dealt with (accepted or rejected): what makes a resend a duplicate.
CREATE TABLE IF NOT EXISTS ingested(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL, seq INTEGER NOT NULL,
  event_id TEXT NOT NULL, status TEXT NOT NULL,
  PRIMARY KEY(store_id, device_id, seq));
CREATE TABLE IF NOT EXISTS events(
  n INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  seq INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_store ON events(store_id, n);
CREATE TABLE IF NOT EXISTS rejected(
  n INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  seq INTEGER NOT NULL, text TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rejected_store ON rejected(store_id, n);
-- The feed. One global sequence gives every store strictly increasing cursors.
CREATE TABLE IF NOT EXISTS changes(
  cursor INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL,
  type TEXT NOT NULL, at_ms INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_store ON changes(store_id, cursor);
-- Units sold by accepted sales, until a refund puts them back (§8).
CREATE TABLE IF NOT EXISTS sold_units(
  store_id TEXT NOT NULL, gtin TEXT NOT NULL, serial TEXT NOT NULL,
  device_id TEXT NOT NULL, sale_id TEXT NOT NULL, refunded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sold_units_unit ON sold_units(store_id, serial, gtin);
CREATE TABLE IF NOT EXISTS orders(
  store_id TEXT NOT NULL, order_id TEXT NOT NULL, status TEXT NOT NULL,
  PRIMARY KEY(store_id, order_id));
)sql";

const std::set<std::string_view> kEventTypes = {
    "sale.completed",       "sale.voided",           "refund.completed",
    "member.bound",         "stock.received",        "stock.counted",
    "reservation.accepted", "reservation.rejected",  "reservation.picked",
    "reservation.shipped",  "reservation.handed_over", "reservation.released",
    "reservation.expired",  "reservation.cancel_refused", "stock.override",
    "code.diverted",        "shift.closed"};

// A request refused. Thrown anywhere below a handler (a transaction in
// flight rolls back as it unwinds) and turned into its Reply at the top.
struct Refusal {
  int status = 400;
  std::string code;
  std::string message;
  std::string allow;
};

[[noreturn]] void Refuse(int status, std::string code, std::string message) {
  throw Refusal{status, std::move(code), std::move(message), {}};
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^
                                              static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

// Decimal digits only, no sign, no spaces.
std::optional<std::int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s[0] == '-') return std::nullopt;
  return v;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

std::map<std::string, std::string> QueryOf(std::string_view target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = std::min(path.find('/', i), path.size());
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// ------------------------------------------------------------ field checks

const json* Field(const json& o, const char* name, bool required) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null()) {
    if (required) Refuse(400, "missing_field", std::string("the body needs \"") + name + "\"");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> StringField(const json& o, const char* name, bool required) {
  const json* f = Field(o, name, required);
  if (!f) return std::nullopt;
  if (!f->is_string() || (required && f->get_ref<const std::string&>().empty())) {
    Refuse(400, "invalid_field", std::string("\"") + name + "\" must be a non-empty string");
  }
  return f->get<std::string>();
}

std::optional<std::int64_t> IntField(const json& o, const char* name, bool required,
                                     std::int64_t min, std::int64_t max) {
  const json* f = Field(o, name, required);
  if (!f) return std::nullopt;
  const bool ok = f->is_number_integer() &&
                  !(f->is_number_unsigned() && f->get<std::uint64_t>() > std::uint64_t{1} << 62) &&
                  f->get<std::int64_t>() >= min && f->get<std::int64_t>() <= max;
  if (!ok) {
    Refuse(400, "invalid_field", std::string("\"") + name + "\" must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max));
  }
  return f->get<std::int64_t>();
}

std::string GtinOf(std::string_view text) {
  auto gtin = codes::NormaliseGtin(text);
  if (!gtin) Refuse(400, "invalid_field", "gtin \"" + std::string(text) + "\": " + gtin.error().message);
  return *gtin;
}

std::string GtinField(const json& o) { return GtinOf(*StringField(o, "gtin", true)); }

json ParseObject(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) Refuse(400, "bad_request", "the body must be a JSON object");
  return doc;
}

// --------------------------------------------------------------- catalog CSV

// RFC 4180 rows (quotes, doubled quotes, CRLF), blank lines skipped.
std::vector<std::vector<std::string>> SplitCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool started = false;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    started = false;
    if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && !started) {
      quoted = started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
    } else {
      if (c == '"') Refuse(400, "bad_request", "CSV: a quote inside an unquoted field");
      field.push_back(c);
      started = true;
    }
  }
  if (quoted) Refuse(400, "bad_request", "CSV: a quoted field is not closed");
  if (started || !row.empty()) end_row();
  return rows;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// A tax rate in basis points, in integer arithmetic. "13%" and "6.5%" are
// percents; so are bare "13" and "6.5" (PROTOCOL.md's "decimal percent").
// A bare value of at most 1 ("0.13", "0.065", "1") is a fraction, as the
// device's own import reads it, so one file imports the same on both sides.
std::optional<std::int64_t> TaxRateBp(std::string s) {
  bool percent = !s.empty() && s.back() == '%';
  if (percent) s.pop_back();
  const std::size_t dot = s.find('.');
  const std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if ((whole.empty() && frac.empty()) || whole.size() > 3 || frac.size() > 4) return std::nullopt;
  for (char c : whole + frac) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::int64_t w = whole.empty() ? 0 : std::stoll(whole);
  const bool frac_zero = frac.find_first_not_of('0') == std::string::npos;
  if (!percent && !(w == 0 || (w == 1 && frac_zero))) percent = true;
  const std::size_t places = percent ? 2 : 4;
  if (frac.size() > places) return std::nullopt;
  frac.resize(places, '0');
  const std::int64_t bp = w * (percent ? 100 : 10000) + std::stoll(frac);
  if (bp > 10000) return std::nullopt;
  return bp;
}

json CatalogRow(std::string gtin, std::string name, std::int64_t price, std::string currency,
                std::int64_t tax_bp) {
  return json{{"gtin", std::move(gtin)},
              {"name", std::move(name)},
              {"price_minor", price},
              {"currency", std::move(currency)},
              {"tax_rate_bp", tax_bp}};
}

std::vector<json> CatalogFromCsv(std::string_view csv) {
  const auto rows = SplitCsv(csv);
  if (rows.empty()) Refuse(400, "bad_request", "CSV: expected a header gtin,name,price_minor[,tax_rate]");
  std::vector<std::string> header;
  for (const auto& f : rows[0]) header.push_back(Trim(f));
  const bool with_tax = header.size() == 4 && header[3] == "tax_rate";
  if (!(header.size() == 3 || with_tax) || header[0] != "gtin" || header[1] != "name" ||
      header[2] != "price_minor") {
    Refuse(400, "bad_request", "CSV: the header must be gtin,name,price_minor[,tax_rate]");
  }
  std::vector<json> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::string at = "CSV row " + std::to_string(r + 1) + ": ";
    if (rows[r].size() != header.size()) {
      Refuse(400, "bad_request", at + "expected " + std::to_string(header.size()) + " fields");
    }
    const std::string name = Trim(rows[r][1]);
    if (name.empty()) Refuse(400, "invalid_field", at + "the name is empty");
    const auto price = ParseInt(Trim(rows[r][2]));
    if (!price) Refuse(400, "invalid_field", at + "price_minor must be a whole number of minor units");
    std::int64_t tax = 0;
    if (with_tax) {
      const auto bp = TaxRateBp(Trim(rows[r][3]));
      if (!bp) Refuse(400, "invalid_field", at + "tax_rate must be a percent like 13 or 6.5 (0..100)");
      tax = *bp;
    }
    out.push_back(CatalogRow(GtinOf(Trim(rows[r][0])), name, *price, "CNY", tax));
  }
  return out;
}

std::vector<json> CatalogFromJson(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) Refuse(400, "bad_request", "expected a JSON array of products");
  std::vector<json> out;
  for (const auto& row : doc) {
    if (!row.is_object()) Refuse(400, "bad_request", "each product is a JSON object");
    const std::string currency = StringField(row, "currency", false).value_or("CNY");
    if (currency.size() != 3 || currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      Refuse(400, "invalid_field", "\"currency\" must be an ISO 4217 code like CNY");
    }
    out.push_back(CatalogRow(GtinField(row), *StringField(row, "name", true),
                             *IntField(row, "price_minor", true, 0, 1'000'000'000'000), currency,
                             IntField(row, "tax_rate_bp", false, 0, 10000).value_or(0)));
  }
  return out;
}

}  // namespace

Reply ErrorReply(int status, std::string_view code, std::string_view message) {
  return Reply{status, Dump(json{{"error", {{"code", code}, {"message", message}}}}), {}};
}

// ------------------------------------------------------------------- faults

void Faults::Set(const FaultSettings& settings) { Update(settings, true); }

void Faults::Update(const FaultSettings& settings, bool reseed) {
  const std::uint64_t seed = reseed ? settings.seed : settings_.seed;
  settings_ = settings;
  settings_.seed = seed;
  if (reseed) rng_.seed(seed);
}

Fault Faults::Next() {
  // One draw per kind, in a fixed order, and at most one fault per request.
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto hit = [&](double p) { return uniform(rng_) < p; };
  if (hit(settings_.drop)) return Fault::drop;
  if (hit(settings_.error)) return Fault::error;
  if (hit(settings_.cut)) return Fault::cut;
  if (hit(settings_.delay)) return Fault::delay;
  return Fault::none;
}

// -------------------------------------------------------------------- cloud

struct Cloud::Impl {
  Impl(Options o, const Clock& c, std::unique_ptr<ledger::Database> d)
      : options(std::move(o)), clock(c), db(std::move(d)), faults(options.faults) {}

  Options options;
  const Clock& clock;
  std::unique_ptr<ledger::Database> db;
  Faults faults;

  // The signed-request headers (§2), checked for presence and freshness.
  struct Caller {
    std::string store;
    std::string device;
    std::int64_t timestamp_ms = 0;
    std::string path;  // from /sync/ on, with the query, as sent
  };

  // ---------------------------------------------------------------- feed

  std::int64_t AppendChange(const std::string& store, std::string_view type, const json& data) {
    db->Cached("INSERT INTO changes(store_id, type, at_ms, data) VALUES(?, ?, ?, ?)")
        .Bind(1, store)
        .Bind(2, type)
        .Bind(3, clock.now_ms())
        .Bind(4, Dump(data))
        .Run();
    auto st = db->Cached("SELECT last_insert_rowid()");
    st.Step();
    return st.Int(0);
  }

  json Page(const std::string& store, std::int64_t after, std::int64_t limit) {
    auto st = db->Cached(
        "SELECT cursor, type, at_ms, data FROM changes WHERE store_id = ? AND cursor > ? "
        "ORDER BY cursor LIMIT ?");
    st.Bind(1, store).Bind(2, after).Bind(3, limit + 1);
    json changes = json::array();
    bool more = false;
    std::int64_t cursor = after;
    while (st.Step()) {
      if (static_cast<std::int64_t>(changes.size()) == limit) {
        more = true;
        break;
      }
      cursor = st.Int(0);
      changes.push_back(json{{"cursor", cursor},
                             {"type", st.Text(1)},
                             {"at", FormatTimestamp(st.Int(2))},
                             {"data", json::parse(st.Text(3))}});
    }
    return json{{"changes", std::move(changes)}, {"cursor", cursor}, {"more", more}};
  }

  // ------------------------------------------------------------- devices

  std::optional<std::string> DeviceKey(const std::string& store, const std::string& device) {
    auto st = db->Cached("SELECT key FROM devices WHERE store_id = ? AND device_id = ?");
    st.Bind(1, store).Bind(2, device);
    if (!st.Step()) return std::nullopt;
    return st.Text(0);
  }

  void Touch(const Caller& c) {
    db->Cached("UPDATE devices SET last_seen_ms = ? WHERE store_id = ? AND device_id = ?")
        .Bind(1, clock.now_ms())
        .Bind(2, c.store)
        .Bind(3, c.device)
        .Run();
  }

  // ------------------------------------------------------------ protocol

  Caller ReadCaller(const Request& r) {
    if (r.sa_store.empty() || r.sa_device.empty() || r.sa_timestamp.empty() ||
        r.sa_signature.empty()) {
      Refuse(401, "unsigned",
             "a protocol request carries X-SA-Store, X-SA-Device, X-SA-Timestamp and X-SA-Signature");
    }
    const auto ts = ParseInt(r.sa_timestamp);
    if (!ts) Refuse(401, "unsigned", "X-SA-Timestamp must be Unix milliseconds");
    const std::int64_t skew = *ts - clock.now_ms();
    if (skew > sync::kMaxSkewMs || skew < -sync::kMaxSkewMs) {
      Refuse(401, "clock_skew", "X-SA-Timestamp is " + std::to_string(skew) +
                                    " ms from the server's clock (X-SA-Server-Time)");
    }
    const auto from = r.target.find("/sync/");
    return Caller{r.sa_store, r.sa_device, *ts,
                  from == std::string::npos ? r.target : r.target.substr(from)};
  }

  void CheckSignature(const Caller& c, const crypto::Bytes& key, const Request& r) {
    const sync::SignedRequest signed_request{r.method, c.path, c.timestamp_ms,
                                             c.store,  c.device, r.body};
    if (!sync::VerifySignature(key, signed_request, r.sa_signature)) {
      Refuse(401, "bad_signature", "X-SA-Signature does not match the request");
    }
  }

  // A known device whose signature is good.
  void Authenticate(const Caller& c, const Request& r) {
    const auto key_text = DeviceKey(c.store, c.device);
    if (!key_text) {
      Refuse(401, "unknown_device",
             "device " + c.device + " of store " + c.store + " is not registered");
    }
    const auto key = crypto::Base64UrlDecode(*key_text);
    CheckSignature(c, key.value_or(crypto::Bytes{}), r);
  }

  // gzip or identity (§4); a gzip body without its header is accepted too.
  std::string DecodeBody(const Request& r) {
    std::string enc = r.content_encoding;
    for (char& ch : enc) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const bool magic = r.body.size() >= 2 && r.body[0] == '\x1f' && r.body[1] == '\x8b';
    if (enc == "gzip" || (enc.empty() && magic)) {
      auto plain = sync::Gunzip(r.body, sync::kMaxBodyBytes);
      if (!plain) {
        if (plain.error().code == "too_large") Refuse(413, "too_large", plain.error().message);
        Refuse(400, "bad_body", "the body is not a whole gzip stream: " + plain.error().message);
      }
      return std::move(plain).value();
    }
    if (!enc.empty() && enc != "identity") {
      Refuse(400, "bad_body", "Content-Encoding " + r.content_encoding + " is not gzip");
    }
    if (r.body.size() > sync::kMaxBodyBytes) Refuse(413, "too_large", "the body is over 8 MiB");
    return r.body;
  }

  // The request body's own store_id/device_id must be the signer's.
  static void CheckIds(const json& doc, const Caller& c) {
    for (const auto& [name, want] : {std::pair{"store_id", &c.store}, std::pair{"device_id", &c.device}}) {
      auto it = doc.find(name);
      if (it == doc.end() || !it->is_string()) {
        Refuse(400, "bad_body", std::string("the body needs \"") + name + "\"");
      }
      if (it->get_ref<const std::string&>() != *want) {
        Refuse(400, "store_mismatch", std::string("the body's ") + name + " is not the X-SA-" +
                                          (name[0] == 's' ? "Store" : "Device") + " header's");
      }
    }
  }

  Reply Register(const Request& r) {
    const Caller c = ReadCaller(r);
    const json doc = json::parse(DecodeBody(r), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) Refuse(400, "bad_body", "the body is not a JSON object");
    CheckIds(doc, c);
    const auto key_it = doc.find("key");
    std::optional<crypto::Bytes> key;
    if (key_it != doc.end() && key_it->is_string()) key = crypto::Base64UrlDecode(key_it->get<std::string>());
    if (!key || key->size() != sync::kDeviceKeyBytes) {
      Refuse(400, "bad_body", "\"key\" must be base64url (no padding) of 32 bytes");
    }
    // Signed with the key it introduces: proof that the caller holds it.
    CheckSignature(c, *key, r);
    const std::string key_text = crypto::Base64UrlEncode(*key);
    std::string agent_version;
    if (auto v = doc.find("agent_version"); v != doc.end() && v->is_string()) agent_version = *v;

    Transaction tx(*db);
    const auto known = DeviceKey(c.store, c.device);
    std::string status = "known";
    if (known && !ConstantTimeEqual(*known, key_text)) {
      Refuse(409, "device_key_mismatch",
             "the cloud holds another key for device " + c.device + " of store " + c.store +
                 "; an operator must re-provision it");
    }
    if (!known) {
      if (options.strict) {
        Refuse(403, "device_not_provisioned",
               "device " + c.device + " of store " + c.store + " was not provisioned (strict cloud)");
      }
      db->Cached("INSERT INTO devices(store_id, device_id, key) VALUES(?, ?, ?)")
          .Bind(1, c.store)
          .Bind(2, c.device)
          .Bind(3, key_text)
          .Run();
      status = "registered";
    }
    db->Cached("UPDATE devices SET last_seen_ms = ?, agent_version = ? "
               "WHERE store_id = ? AND device_id = ?")
        .Bind(1, clock.now_ms())
        .Bind(2, agent_version)
        .Bind(3, c.store)
        .Bind(4, c.device)
        .Run();
    tx.Commit();
    return Reply{200, Dump(json{{"status", status}}), {}};
  }

  // §4 step 1: what is wrong with an envelope, or "".
  static std::string EnvelopeProblem(const json& ev, const Caller& c) {
    if (!ev.is_object()) return "an event must be a JSON object";
    auto str = [&](const char* name) {
      auto it = ev.find(name);
      return it != ev.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
    };
    for (const char* name : {"id", "type", "at", "store_id", "device_id"}) {
      if (!str(name)) return std::string("\"") + name + "\" must be a non-empty string";
    }
    if (!SeqOf(ev)) return "\"seq\" must be an integer >= 1";
    if (auto p = ev.find("payload"); p == ev.end() || !p->is_object()) return "\"payload\" must be an object";
    if (ev["store_id"] != c.store) return "its store_id is not the request's";
    if (ev["device_id"] != c.device) return "its device_id is not the request's";
    return "";
  }

  static std::optional<std::int64_t> SeqOf(const json& ev) {
    if (!ev.is_object()) return std::nullopt;
    auto it = ev.find("seq");
    if (it == ev.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > (std::uint64_t{1} << 62)) return std::nullopt;
    const std::int64_t seq = it->get<std::int64_t>();
    if (seq < 1) return std::nullopt;
    return seq;
  }

  static std::string IdOf(const json& ev) {
    if (!ev.is_object()) return "";
    auto it = ev.find("id");
    return it != ev.end() && it->is_string() ? it->get<std::string>() : "";
  }

  // §6: what a known type's payload must hold, or "".
  static std::string PayloadProblem(std::string_view type, const json& payload) {
    if (type == "sale.completed") {
      auto id = payload.find("id");
      if (id == payload.end() || !id->is_string()) return "a sale needs its \"id\" (a string)";
      auto lines = payload.find("lines");
      if (lines == payload.end() || !lines->is_array()) return "a sale needs its \"lines\" (an array)";
    }
    return "";
  }

  std::optional<std::string> IngestedId(const Caller& c, std::int64_t seq) {
    auto st = db->Cached(
        "SELECT event_id FROM ingested WHERE store_id = ? AND device_id = ? AND seq = ?");
    st.Bind(1, c.store).Bind(2, c.device).Bind(3, seq);
    if (!st.Step()) return std::nullopt;
    return st.Text(0);
  }

  void MarkIngested(const Caller& c, std::int64_t seq, const std::string& id, std::string_view status) {
    db->Cached("INSERT INTO ingested(store_id, device_id, seq, event_id, status) VALUES(?, ?, ?, ?, ?)")
        .Bind(1, c.store)
        .Bind(2, c.device)
        .Bind(3, seq)
        .Bind(4, id)
        .Bind(5, status)
        .Run();
  }

  static json Result(std::int64_t seq, const json& ev, std::string_view status) {
    json id = nullptr;
    if (ev.is_object() && ev.contains("id")) id = ev["id"];
    return json{{"seq", seq}, {"id", std::move(id)}, {"status", status}};
  }

  // Records a rejected event; `at_seq` when it takes its seq (acked_seq moves).
  json Reject(const Caller& c, const json& ev, std::int64_t seq, std::string_view code,
              const std::string& message, bool at_seq) {
    if (at_seq) MarkIngested(c, seq, IdOf(ev), "rejected");
    db->Cached("INSERT INTO rejected(store_id, device_id, seq, text, code, message) "
               "VALUES(?, ?, ?, ?, ?, ?)")
        .Bind(1, c.store)
        .Bind(2, c.device)
        .Bind(3, seq)
        .Bind(4, Dump(ev))
        .Bind(5, code)
        .Bind(6, message)
        .Run();
    json out = Result(seq, ev, "rejected");
    out["error"] = json{{"code", code}, {"message", message}};
    return out;
  }

  // §4 step 4: the event at acked_seq + 1.
  json Ingest(const Caller& c, const json& ev, std::int64_t seq) {
    const std::string type = ev["type"].get<std::string>();
    const json& payload = ev["payload"];
    if (!kEventTypes.count(type)) {
      return Reject(c, ev, seq, "unknown_type", "unknown event type " + type, true);
    }
    if (auto problem = PayloadProblem(type, payload); !problem.empty()) {
      return Reject(c, ev, seq, "bad_payload", problem, true);
    }
    const std::string id = IdOf(ev);
    MarkIngested(c, seq, id, "accepted");
    db->Cached("INSERT INTO events(store_id, device_id, seq, event_id, type, text) "
               "VALUES(?, ?, ?, ?, ?, ?)")
        .Bind(1, c.store)
        .Bind(2, c.device)
        .Bind(3, seq)
        .Bind(4, id)
        .Bind(5, type)
        .Bind(6, Dump(ev))
        .Run();
    if (type == "sale.completed") SaleCompleted(c, payload);
    if (type == "refund.completed") RefundCompleted(c, payload);
    return Result(seq, ev, "accepted");
  }

  // §8: a unit another live sale already holds raises serial_sold_twice.
  void SaleCompleted(const Caller& c, const json& sale) {
    const std::string sale_id = sale["id"].get<std::string>();
    for (const auto& line : sale["lines"]) {
      if (!line.is_object()) continue;
      auto serial_it = line.find("serial");
      if (serial_it == line.end() || !serial_it->is_string()) continue;
      const std::string serial = serial_it->get<std::string>();
      if (serial.empty()) continue;
      auto gtin_it = line.find("gtin");
      const std::string gtin = gtin_it != line.end() && gtin_it->is_string() ? gtin_it->get<std::string>() : "";

      auto st = db->Cached(
          "SELECT device_id, sale_id FROM sold_units WHERE store_id = ? AND serial = ? AND gtin = ? "
          "AND refunded = 0 AND sale_id <> ? ORDER BY rowid");
      st.Bind(1, c.store).Bind(2, serial).Bind(3, gtin).Bind(4, sale_id);
      json sales = json::array();
      while (st.Step()) sales.push_back(json{{"device_id", st.Text(0)}, {"sale_id", st.Text(1)}});
      if (!sales.empty()) {
        sales.push_back(json{{"device_id", c.device}, {"sale_id", sale_id}});
        std::string who;
        for (const auto& s : sales) {
          who += (who.empty() ? "" : ", ") + s["sale_id"].get<std::string>() + " on " +
                 s["device_id"].get<std::string>();
        }
        AppendChange(c.store, "alert",
                     json{{"code", "serial_sold_twice"},
                          {"message", "unit " + gtin + " serial " + serial +
                                          " was sold more than once: sales " + who},
                          {"gtin", gtin},
                          {"serial", serial},
                          {"sales", std::move(sales)}});
      }
      db->Cached("INSERT INTO sold_units(store_id, gtin, serial, device_id, sale_id) VALUES(?, ?, ?, ?, ?)")
          .Bind(1, c.store)
          .Bind(2, gtin)
          .Bind(3, serial)
          .Bind(4, c.device)
          .Bind(5, sale_id)
          .Run();
    }
  }

  // A refund puts its units back: selling them again is no double sale.
  void RefundCompleted(const Caller& c, const json& refund) {
    auto sale_it = refund.find("sale_id");
    auto lines = refund.find("lines");
    if (sale_it == refund.end() || !sale_it->is_string() || lines == refund.end() || !lines->is_array()) {
      return;
    }
    for (const auto& line : *lines) {
      if (!line.is_object()) continue;
      auto serial = line.find("serial");
      if (serial == line.end() || !serial->is_string()) continue;
      auto gtin = line.find("gtin");
      const std::string g = gtin != line.end() && gtin->is_string() ? gtin->get<std::string>() : "";
      db->Cached("UPDATE sold_units SET refunded = 1 WHERE store_id = ? AND sale_id = ? "
                 "AND serial = ? AND (gtin = ? OR ? = '')")
          .Bind(1, c.store)
          .Bind(2, sale_it->get<std::string>())
          .Bind(3, serial->get<std::string>())
          .Bind(4, g)
          .Bind(5, g)
          .Run();
    }
  }

  Reply Push(const Request& r) {
    const Caller c = ReadCaller(r);
    Authenticate(c, r);
    const json doc = json::parse(DecodeBody(r), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) Refuse(400, "bad_body", "the body is not a JSON object");
    CheckIds(doc, c);
    const auto events = doc.find("events");
    if (events == doc.end() || !events->is_array() || events->empty()) {
      Refuse(400, "bad_body", "\"events\" must be an array of 1.." +
                                  std::to_string(sync::kMaxBatchEvents) + " events");
    }
    if (events->size() > sync::kMaxBatchEvents) {
      Refuse(413, "too_large", "a batch holds at most " + std::to_string(sync::kMaxBatchEvents) + " events");
    }

    // All or nothing: a broken envelope anywhere throws, and the
    // transaction rolls back whatever the batch did before it.
    Transaction tx(*db);
    auto st = db->Cached("SELECT acked_seq FROM devices WHERE store_id = ? AND device_id = ?");
    st.Bind(1, c.store).Bind(2, c.device);
    std::int64_t acked = st.Step() ? st.Int(0) : 0;
    json results = json::array();
    std::optional<std::int64_t> expected;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const json& ev = (*events)[i];
      const auto seq = SeqOf(ev);
      const std::string id = IdOf(ev);
      // A resent event is a duplicate whatever its shape: that also covers
      // a broken envelope rejected earlier whose answer was lost.
      if (seq && !id.empty() && *seq <= acked && IngestedId(c, *seq) == id) {
        results.push_back(Result(*seq, ev, "duplicate"));
        continue;
      }
      if (const std::string problem = EnvelopeProblem(ev, c); !problem.empty()) {
        if (!seq || *seq != acked + 1) {
          Refuse(400, "bad_body", "event " + std::to_string(i) + ": " + problem);
        }
        results.push_back(Reject(c, ev, *seq, "bad_envelope", problem, true));
        acked = *seq;
        continue;
      }
      if (*seq <= acked) {
        results.push_back(Reject(c, ev, *seq, "seq_reused",
                                 "seq " + std::to_string(*seq) +
                                     " was already taken by another event of this device",
                                 false));
        continue;
      }
      if (*seq > acked + 1) {
        expected = acked + 1;
        break;
      }
      results.push_back(Ingest(c, ev, *seq));
      acked = *seq;
    }
    db->Cached("UPDATE devices SET acked_seq = ?, last_seen_ms = ? WHERE store_id = ? AND device_id = ?")
        .Bind(1, acked)
        .Bind(2, clock.now_ms())
        .Bind(3, c.store)
        .Bind(4, c.device)
        .Run();
    tx.Commit();
    json answer{{"acked_seq", acked}, {"results", std::move(results)}};
    if (expected) answer["expected_seq"] = *expected;
    return Reply{200, Dump(answer), {}};
  }

  // after/limit of a pull (and of the admin feed view).
  static std::pair<std::int64_t, std::int64_t> PageParams(const std::string& target) {
    const auto q = QueryOf(target);
    std::int64_t after = 0;
    std::int64_t limit = kDefaultPullLimit;
    if (auto it = q.find("after"); it != q.end()) {
      const auto v = ParseInt(it->second);
      if (!v) Refuse(400, "bad_request", "after must be a cursor (an integer >= 0)");
      after = *v;
    }
    if (auto it = q.find("limit"); it != q.end()) {
      const auto v = ParseInt(it->second);
      if (!v || *v < 1 || *v > kMaxPullLimit) Refuse(400, "bad_request", "limit must be 1..1000");
      limit = *v;
    }
    return {after, limit};
  }

  Reply Pull(const Request& r) {
    const Caller c = ReadCaller(r);
    Authenticate(c, r);
    const auto [after, limit] = PageParams(r.target);
    Touch(c);
    return Reply{200, Dump(Page(c.store, after, limit)), {}};
  }

  // --------------------------------------------------------------- admin

  static void Need(const Request& r, std::string_view allowed) {
    // `allowed` is one method or "GET, POST"; the request's must be one of them.
    std::string_view rest = allowed;
    while (!rest.empty()) {
      const auto comma = rest.find(", ");
      if (rest.substr(0, comma) == r.method) return;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 2);
    }
    throw Refusal{405, "method_not_allowed", r.method + " is not allowed here", std::string(allowed)};
  }

  Reply Ok(const json& j) { return Reply{200, Dump(j), {}}; }

  // One change for a store's feed, answered with its cursor.
  Reply Offer(const std::string& store, std::string_view type, const json& data) {
    const std::int64_t cursor = AppendChange(store, type, data);
    return Ok(json{{"cursor", cursor}, {"type", type}, {"data", data}});
  }

  Reply FaultsJson() {
    const auto& s = faults.settings();
    return Ok(json{{"drop", s.drop},   {"delay", s.delay},       {"error", s.error},
                   {"cut", s.cut},     {"delay_ms", s.delay_ms}, {"seed", s.seed}});
  }

  Reply PutFaults(const Request& r) {
    const json doc = ParseObject(r.body);
    FaultSettings s;
    for (const auto& [name, out] : {std::pair{"drop", &s.drop}, std::pair{"delay", &s.delay},
                                    std::pair{"error", &s.error}, std::pair{"cut", &s.cut}}) {
      const json* f = Field(doc, name, false);
      if (!f) continue;
      if (!f->is_number() || f->get<double>() < 0 || f->get<double>() > 1) {
        Refuse(400, "invalid_field", std::string("\"") + name + "\" must be a fraction from 0 to 1");
      }
      *out = f->get<double>();
    }
    s.delay_ms = IntField(doc, "delay_ms", false, 0, kMaxDelayMs).value_or(0);
    const auto seed = IntField(doc, "seed", false, 0, std::int64_t{1} << 62);
    s.seed = static_cast<std::uint64_t>(seed.value_or(0));
    faults.Update(s, seed.has_value());
    return FaultsJson();
  }

  Reply StoreRoute(const Request& r, const std::vector<std::string>& segs) {
    const std::string& store = segs[3];
    const std::string& what = segs[4];
    if (segs.size() == 7 && what == "orders" && segs[6] == "cancel") {
      Need(r, "POST");
      return CancelOrder(store, segs[5]);
    }
    if (segs.size() != 5) Refuse(404, "not_found", "no such admin route");
    if (what == "events") {
      Need(r, "GET");
      return ListEvents(store);
    }
    if (what == "rejected") {
      Need(r, "GET");
      return ListRejected(store);
    }
    if (what == "devices") {
      Need(r, "GET, POST");
      return r.method == "GET" ? ListDevices(store) : ProvisionDevice(store, r);
    }
    if (what == "alerts") {
      Need(r, "GET");
      return ListAlerts(store);
    }
    if (what == "changes") {
      Need(r, "GET");
      const auto [after, limit] = PageParams(r.target);
      return Ok(Page(store, after, limit));
    }
    if (what == "orders") {
      Need(r, "POST");
      return OfferOrder(store, ParseObject(r.body));
    }
    if (what == "revocations") {
      Need(r, "POST");
      const json doc = ParseObject(r.body);
      return Offer(store, "revocation",
                   json{{"gtin", GtinField(doc)},
                        {"serial", *StringField(doc, "serial", true)},
                        {"reason", StringField(doc, "reason", false).value_or("revoked")}});
    }
    if (what == "catalog") {
      Need(r, "PUT");
      return PutCatalog(store, r);
    }
    if (what == "allocations") {
      Need(r, "POST");
      return Allocate(store, ParseObject(r.body));
    }
    if (what == "keys") {
      Need(r, "POST");
      return PublishKey(store, ParseObject(r.body));
    }
    if (what == "stock") {
      Need(r, "POST");
      const json doc = ParseObject(r.body);
      return Offer(store, "stock.snapshot",
                   json{{"gtin", GtinField(doc)},
                        {"on_hand", *IntField(doc, "on_hand", true, 0, 1'000'000'000)}});
    }
    Refuse(404, "not_found", "no such admin route");
  }

  Reply ListEvents(const std::string& store) {
    // Built as text: each event exactly as stored.
    auto st = db->Cached("SELECT text FROM events WHERE store_id = ? ORDER BY n");
    st.Bind(1, store);
    std::string out = "{\"events\":[";
    bool first = true;
    while (st.Step()) {
      if (!first) out += ",";
      first = false;
      out += st.Text(0);
    }
    out += "]}";
    return Reply{200, std::move(out), {}};
  }

  Reply ListRejected(const std::string& store) {
    auto st = db->Cached("SELECT text, code, message FROM rejected WHERE store_id = ? ORDER BY n");
    st.Bind(1, store);
    json events = json::array();
    while (st.Step()) {
      events.push_back(json{{"event", json::parse(st.Text(0))},
                            {"error", {{"code", st.Text(1)}, {"message", st.Text(2)}}}});
    }
    return Ok(json{{"events", std::move(events)}});
  }

  Reply ListDevices(const std::string& store) {
    auto st = db->Cached(
        "SELECT device_id, acked_seq, last_seen_ms, agent_version FROM devices WHERE store_id = ? "
        "ORDER BY device_id");
    st.Bind(1, store);
    json devices = json::array();
    while (st.Step()) {
      devices.push_back(json{{"device_id", st.Text(0)},
                             {"acked_seq", st.Int(1)},
                             {"last_seen", st.IsNull(2) ? json(nullptr) : json(FormatTimestamp(st.Int(2)))},
                             {"agent_version", st.IsNull(3) ? json(nullptr) : json(st.Text(3))}});
    }
    return Ok(json{{"devices", std::move(devices)}});
  }

  // Provisions, or re-provisions after a device_key_mismatch: the new key
  // replaces the old one and the device keeps its acked_seq.
  Reply ProvisionDevice(const std::string& store, const Request& r) {
    const json doc = ParseObject(r.body);
    const std::string device = *StringField(doc, "device_id", true);
    const auto key = crypto::Base64UrlDecode(*StringField(doc, "key", true));
    if (!key || key->size() != sync::kDeviceKeyBytes) {
      Refuse(400, "invalid_field", "\"key\" must be base64url (no padding) of 32 bytes");
    }
    db->Cached("INSERT INTO devices(store_id, device_id, key) VALUES(?, ?, ?) "
               "ON CONFLICT(store_id, device_id) DO UPDATE SET key = excluded.key")
        .Bind(1, store)
        .Bind(2, device)
        .Bind(3, crypto::Base64UrlEncode(*key))
        .Run();
    return Ok(json{{"device_id", device}, {"status", "provisioned"}});
  }

  Reply ListAlerts(const std::string& store) {
    auto st = db->Cached(
        "SELECT cursor, at_ms, data FROM changes WHERE store_id = ? AND type = 'alert' ORDER BY cursor");
    st.Bind(1, store);
    json alerts = json::array();
    while (st.Step()) {
      json alert{{"cursor", st.Int(0)}, {"at", FormatTimestamp(st.Int(1))}};
      alert.update(json::parse(st.Text(2)));
      alerts.push_back(std::move(alert));
    }
    return Ok(json{{"alerts", std::move(alerts)}});
  }

  Reply OfferOrder(const std::string& store, const json& doc) {
    const std::string id = *StringField(doc, "id", true);
    const std::string kind = *StringField(doc, "kind", true);
    if (kind != "ship_from_store" && kind != "pickup") {
      Refuse(400, "invalid_field", "\"kind\" is ship_from_store or pickup");
    }
    const json* lines = Field(doc, "lines", true);
    if (!lines->is_array() || lines->empty()) Refuse(400, "invalid_field", "\"lines\" must be a non-empty array");
    json out_lines = json::array();
    for (const auto& line : *lines) {
      if (!line.is_object()) Refuse(400, "invalid_field", "each line is {\"gtin\",\"qty\"}");
      out_lines.push_back(json{{"gtin", GtinField(line)}, {"qty", *IntField(line, "qty", true, 1, 1'000'000)}});
    }
    json data{{"id", id},
              {"kind", kind},
              {"lines", std::move(out_lines)},
              {"ttl_s", IntField(doc, "ttl_s", false, 1, 365LL * 24 * 3600).value_or(kDefaultOrderTtlS)}};
    if (kind == "pickup") data["pickup_code"] = *StringField(doc, "pickup_code", true);

    Transaction tx(*db);
    auto st = db->Cached("SELECT 1 FROM orders WHERE store_id = ? AND order_id = ?");
    st.Bind(1, store).Bind(2, id);
    if (st.Step()) Refuse(409, "order_exists", "order " + id + " was already offered to store " + store);
    db->Cached("INSERT INTO orders(store_id, order_id, status) VALUES(?, ?, 'offered')")
        .Bind(1, store)
        .Bind(2, id)
        .Run();
    Reply reply = Offer(store, "order.offered", data);
    tx.Commit();
    return reply;
  }

  Reply CancelOrder(const std::string& store, const std::string& id) {
    Transaction tx(*db);
    auto st = db->Cached("SELECT status FROM orders WHERE store_id = ? AND order_id = ?");
    st.Bind(1, store).Bind(2, id);
    if (!st.Step()) Refuse(404, "order_not_found", "store " + store + " has no order " + id);
    // Cancelling twice is answered the same and offers nothing new.
    if (st.Text(0) == "cancelled") return Ok(json{{"id", id}, {"status", "cancelled"}});
    db->Cached("UPDATE orders SET status = 'cancelled' WHERE store_id = ? AND order_id = ?")
        .Bind(1, store)
        .Bind(2, id)
        .Run();
    Reply reply = Offer(store, "order.cancelled", json{{"id", id}});
    tx.Commit();
    return reply;
  }

  Reply PutCatalog(const std::string& store, const Request& r) {
    const auto first = r.body.find_first_not_of(" \t\r\n");
    const bool is_json = r.content_type.find("json") != std::string::npos ||
                         (first != std::string::npos && r.body[first] == '[');
    const std::vector<json> rows = is_json ? CatalogFromJson(r.body) : CatalogFromCsv(r.body);
    if (rows.empty()) Refuse(400, "bad_request", "the catalog has no products");
    Transaction tx(*db);
    std::int64_t cursor = 0;
    for (const auto& row : rows) cursor = AppendChange(store, "catalog.upsert", row);
    tx.Commit();
    return Ok(json{{"upserted", rows.size()}, {"cursor", cursor}});
  }

  Reply Allocate(const std::string& store, const json& doc) {
    const std::string from = *StringField(doc, "serial_from", true);
    const std::string to = *StringField(doc, "serial_to", true);
    if (from.size() != to.size() || from > to) {
      Refuse(400, "invalid_field", "serial_from and serial_to must have the same length, from <= to");
    }
    json data{{"gtin", GtinField(doc)},
              {"serial_from", from},
              {"serial_to", to},
              {"region", *StringField(doc, "region", true)}};
    if (auto lot = StringField(doc, "lot", false)) data["lot"] = *lot;
    return Offer(store, "allocation", data);
  }

  Reply PublishKey(const std::string& store, const json& doc) {
    const std::string kind = *StringField(doc, "kind", true);
    const std::string action = *StringField(doc, "action", true);
    const std::string pem = *StringField(doc, "pem", true);
    if (kind != "brand" && kind != "member") Refuse(400, "invalid_field", "\"kind\" is brand or member");
    if (action != "add" && action != "retire") Refuse(400, "invalid_field", "\"action\" is add or retire");
    if (auto key = crypto::VerifyKey::FromPem(pem); !key) {
      Refuse(400, "invalid_field", "\"pem\": " + key.error().message);
    }
    return Offer(store, "key." + kind, json{{"action", action}, {"pem", pem}});
  }
};

// ----------------------------------------------------------------- public

Cloud::Cloud(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cloud::~Cloud() = default;

Expected<std::unique_ptr<Cloud>> Cloud::Open(Options options, const Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return MakeError(ErrorKind::internal, "data_dir_unavailable",
                     "cannot create " + options.data_dir + ": " + ec.message());
  }
  ledger::Database::Options db_options;
  db_options.target_version = 0;  // our own schema below, none of the device's
  auto db = ledger::Database::Open(options.data_dir + "/oms-sim.db", db_options);
  if (!db) return db.error();
  try {
    (*db)->Exec(kSchema);
  } catch (const ledger::Failure& f) {
    return f.error().WithContext("creating oms-sim's tables");
  }
  return std::unique_ptr<Cloud>(
      new Cloud(std::make_unique<Impl>(std::move(options), clock, std::move(db).value())));
}

Fault Cloud::NextFault() { return impl_->faults.Next(); }
std::int64_t Cloud::delay_ms() const { return impl_->faults.settings().delay_ms; }

namespace {

template <class F>
Reply Guard(F&& handle) {
  try {
    return handle();
  } catch (const Refusal& r) {
    Reply reply = ErrorReply(r.status, r.code, r.message);
    reply.allow = r.allow;
    return reply;
  } catch (const ledger::Failure& f) {
    return ErrorReply(500, "internal_error", f.error().message);
  } catch (const nlohmann::json::exception& e) {
    return ErrorReply(400, "bad_body", e.what());
  }
}

}  // namespace

Reply Cloud::Protocol(const Request& r) {
  return Guard([&]() -> Reply {
    const std::string_view path = PathOf(r.target);
    if (path == sync::kPathRegister) {
      Impl::Need(r, "POST");
      return impl_->Register(r);
    }
    if (path == sync::kPathEvents) {
      Impl::Need(r, "POST");
      return impl_->Push(r);
    }
    if (path == sync::kPathChanges) {
      Impl::Need(r, "GET");
      return impl_->Pull(r);
    }
    Refuse(404, "not_found", "no protocol path " + std::string(path));
  });
}

Reply Cloud::Admin(const Request& r) {
  return Guard([&]() -> Reply {
    const std::string& token = impl_->options.admin_token;
    if (!token.empty() && !ConstantTimeEqual(r.authorization, "Bearer " + token)) {
      Refuse(401, "unauthorized", "admin requests need Authorization: Bearer {--admin-token}");
    }
    const auto segs = Segments(PathOf(r.target));
    if (segs.size() == 3 && segs[0] == "admin" && segs[1] == "v1" && segs[2] == "faults") {
      Impl::Need(r, "GET, PUT");
      return r.method == "GET" ? impl_->FaultsJson() : impl_->PutFaults(r);
    }
    if (segs.size() >= 5 && segs[0] == "admin" && segs[1] == "v1" && segs[2] == "stores") {
      return impl_->StoreRoute(r, segs);
    }
    Refuse(404, "not_found", "no admin path " + std::string(PathOf(r.target)));
  });
}

}  // namespace sa::omssim
