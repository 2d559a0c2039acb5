// SPDX-License-Identifier: Apache-2.0
#include "books.hpp"

#include <algorithm>
#include <limits>
#include <random>

#include "part.hpp"

namespace sa::store {

using part::Guarded;
using part::Refused;

Books::Books(ledger::Database& db, Config config, const Clock& clock)
    : db_(db), config_(std::move(config)), clock_(clock) {
  ReloadKeys();
  // 2^40 apart at random: no two processes share a generation (a cart
  // priced before a restart is priced again when it is paid).
  std::random_device random;
  pricing_generation_ = static_cast<std::int64_t>(random() & 0x7fffff) << 40;
}

Expected<CheckedCode> Books::CheckCode(std::string_view payload) const {
  if (IsCouponCode(payload)) {
    auto coupon = ParseCouponCode(payload);
    if (!coupon) return coupon.error();
    CheckedCode checked;
    const auto raw = crypto::Base64UrlDecode(coupon->signature);
    checked.signature = raw && raw->size() == crypto::kRawSignatureSize &&
                                config_.coupon_keys.Verify(coupon->SignedMessage(), *raw)
                            ? codes::SignatureState::valid
                            : codes::SignatureState::invalid;
    checked.coupon = std::move(coupon).value();
    return checked;
  }
  if (IsStaffCode(payload)) {
    auto staff = ParseStaffCode(payload);
    if (!staff) return staff.error();
    CheckedCode checked;
    const auto raw = crypto::Base64UrlDecode(staff->signature);
    checked.signature = raw && keys_.load()->member.Verify(staff->SignedMessage(), *raw)
                            ? codes::SignatureState::valid
                            : codes::SignatureState::invalid;
    checked.staff = std::move(staff).value();
    return checked;
  }
  auto parsed = codes::Parse(payload, config_.parse);
  if (!parsed) {
    const Error& e = parsed.error();
    if (e.code == "member_code_malformed") return e;
    return Refused("malformed_code", e.message, e.code);
  }
  CheckedCode checked{std::move(parsed).value(), codes::SignatureState::absent, std::nullopt,
                      std::nullopt};
  const bool member = checked.code.kind == codes::Kind::member_code;
  const auto keys = keys_.load();
  checked.signature = codes::VerifySignature(checked.code, member ? keys->member : keys->brand);
  return checked;
}

std::optional<Product> Books::FindProduct(std::string_view gtin14) {
  try {
    return LookupProduct(gtin14);
  } catch (const ledger::Failure&) {
    return std::nullopt;
  }
}

std::optional<Product> Books::LookupProduct(std::string_view gtin14) {
  auto st = db_.Cached(
      "SELECT gtin, name, price_minor, currency, tax_rate_bp, coalesce(name_zh, ''), signed, "
      "coalesce(category, ''), serialised, tax_included FROM products WHERE gtin = ?");
  st.Bind(1, gtin14);
  if (!st.Step()) return std::nullopt;
  Product p;
  p.gtin = st.Text(0);
  p.name = st.Text(1);
  p.price_minor = st.Int(2);
  p.currency = st.Text(3);
  p.tax_rate_bp = static_cast<int>(st.Int(4));  // 0..10000 (the schema's check)
  p.name_zh = st.Text(5);
  if (!st.IsNull(6)) p.requires_signature = st.Int(6) != 0;
  p.category = st.Text(7);
  if (!st.IsNull(8)) p.serialised = st.Int(8) != 0;
  p.tax_included = st.Int(9) != 0;
  return p;
}

std::optional<Error> Books::ApplySerialRule(const Product& product, codes::Code& code) {
  if (!product.serialised) return std::nullopt;
  if (*product.serialised && !code.serialised()) {
    return Refused("serial_required", "GTIN " + code.gtin +
                                          " is sold unit by unit: scan the unit's own label "
                                          "(with its serial), not the plain barcode");
  }
  if (!*product.serialised) code.serial.clear();
  return std::nullopt;
}

bool Books::RequiresSignature(std::string_view gtin14) {
  const auto product = FindProduct(gtin14);
  return product && product->requires_signature ? *product->requires_signature
                                                : config_.require_signature;
}

std::string Books::NextCounter(std::string_view name) {
  db_.Cached(
         "INSERT INTO counters(name, value) VALUES(?, 1) "
         "ON CONFLICT(name) DO UPDATE SET value = value + 1")
      .Bind(1, name)
      .Run();
  auto st = db_.Cached("SELECT value FROM counters WHERE name = ?");
  st.Bind(1, name);
  st.Step();
  return std::to_string(st.Int(0));
}

void Books::Append(std::string_view type, const std::string& payload) {
  Append(type, payload, clock_.now_ms());
}

void Books::Append(std::string_view type, const std::string& payload, std::int64_t now) {
  const std::int64_t seq = std::stoll(NextCounter("outbox_seq"));
  db_.Cached("INSERT INTO outbox(seq, id, type, at_ms, payload) VALUES(?, ?, ?, ?, ?)")
      .Bind(1, seq)
      .Bind(2, crypto::NewUuidV7(now))
      .Bind(3, type)
      .Bind(4, now)
      .Bind(5, payload)
      .Run();
}

Expected<std::vector<Event>> Books::OutboxAfter(std::int64_t seq, std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Event>> {
    std::vector<Event> out;
    auto st = db_.Cached(
        "SELECT seq, id, type, at_ms, payload FROM outbox WHERE seq > ? "
        "ORDER BY seq LIMIT ?");
    st.Bind(1, seq).Bind(2, static_cast<std::int64_t>(limit));
    while (st.Step()) {
      out.push_back(Event{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Text(4)});
    }
    return out;
  });
}

Expected<std::int64_t> Books::EachEvent(std::int64_t from_ms, std::int64_t until_ms,
                                        const std::function<bool(const Event&)>& each) {
  return Guarded([&]() -> Expected<std::int64_t> {
    // Its own statement (not the cache): `each` may run other queries.
    ledger::Statement st(db_,
                         "SELECT seq, id, type, at_ms, payload FROM outbox "
                         "WHERE at_ms >= ? AND at_ms < ? ORDER BY seq");
    st.Bind(1, from_ms).Bind(2, until_ms);
    std::int64_t n = 0;
    while (st.Step()) {
      ++n;
      if (!each(Event{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Text(4)})) break;
    }
    return n;
  });
}

Expected<std::int64_t> Books::OutboxDepth() {
  return Guarded([&]() -> Expected<std::int64_t> {
    auto st = db_.Cached(
        "SELECT coalesce((SELECT max(seq) FROM outbox), 0) - "
        "coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0)");
    st.Step();
    return st.Int(0);
  });
}

Expected<std::optional<RememberedAnswer>> Books::RecallAnswer(std::string_view key,
                                                              std::string_view request_hash) {
  using Out = std::optional<RememberedAnswer>;
  return Guarded([&]() -> Expected<Out> {
    auto seen = db_.Cached("SELECT request_hash, status, response FROM idempotency WHERE key = ?");
    seen.Bind(1, key);
    if (!seen.Step()) return Out();
    if (seen.Text(0) != request_hash) {
      return part::Conflict("idempotency_key_reused",
                            "this Idempotency-Key was used for a different request");
    }
    return Out(RememberedAnswer{static_cast<int>(seen.Int(1)), seen.Text(2)});
  });
}

Expected<void> Books::RememberAnswer(std::string_view key, std::string_view request_hash,
                                     const RememberedAnswer& answer) {
  return Guarded([&]() -> Expected<void> {
    db_.Cached(
           "INSERT INTO idempotency(key, request_hash, status, response, created_at_ms) "
           "VALUES(?, ?, ?, ?, ?)")
        .Bind(1, key)
        .Bind(2, request_hash)
        .Bind(3, static_cast<std::int64_t>(answer.status))
        .Bind(4, answer.body)
        .Bind(5, clock_.now_ms())
        .Run();
    return {};
  });
}

std::optional<std::string> Books::DivertedTo(std::string_view gtin14, std::string_view serial) {
  if (config_.region.empty()) return std::nullopt;
  auto st = db_.Cached(
      "SELECT region FROM allocations WHERE gtin = ?1 AND serial_from <= ?2 AND serial_to >= ?2 "
      "AND length(serial_from) = length(?2) AND region <> ?3 LIMIT 1");
  st.Bind(1, gtin14).Bind(2, serial).Bind(3, config_.region);
  if (!st.Step()) return std::nullopt;
  // A range allocated to this store's region as well is not a diversion.
  auto ours = db_.Cached(
      "SELECT 1 FROM allocations WHERE gtin = ?1 AND serial_from <= ?2 AND serial_to >= ?2 "
      "AND length(serial_from) = length(?2) AND region = ?3 LIMIT 1");
  ours.Bind(1, gtin14).Bind(2, serial).Bind(3, config_.region);
  if (ours.Step()) return std::nullopt;
  return st.Text(0);
}

void Books::InsertAlert(const Alert& alert, std::string_view dedupe_key) {
  auto st = db_.Cached(
      "INSERT INTO alerts(code, message, detail, source, dedupe_key, at_ms) "
      "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING");
  st.Bind(1, alert.code).Bind(2, alert.message).Bind(3, alert.detail).Bind(4, alert.source);
  if (dedupe_key.empty()) {
    st.BindNull(5);
  } else {
    st.Bind(5, dedupe_key);
  }
  st.Bind(6, alert.at_ms != 0 ? alert.at_ms : clock_.now_ms()).Run();
}

void Books::ReloadKeys() {
  auto keys = std::make_shared<Keys>(Keys{config_.brand_keys, config_.member_keys});
  // Additions in the order they came, then retirements: a retired key stays
  // retired whichever source (config file or cloud) brought it.
  std::vector<std::pair<bool, std::string>> retired;
  if (db_.UserVersion() < 3) {  // a ledger opened at an older schema (tests): no cloud keys
    keys_.store(std::move(keys));
    return;
  }
  auto st = db_.Cached("SELECT kind, pem, retired FROM cloud_keys ORDER BY at_ms, pem");
  while (st.Step()) {
    auto key = crypto::VerifyKey::FromPem(st.Text(1));
    if (!key) continue;  // checked before it was stored
    const bool brand = st.Text(0) == "brand";
    if (st.Int(2) != 0) {
      retired.emplace_back(brand, key->Fingerprint());
    } else {
      (brand ? keys->brand : keys->member).Add(*key);
    }
  }
  for (const auto& [brand, fingerprint] : retired) {
    (brand ? keys->brand : keys->member).Remove(fingerprint);
  }
  keys_.store(std::move(keys));
}

namespace {
constexpr MinorUnits kMaxMinor = std::numeric_limits<MinorUnits>::max();
}  // namespace

MinorUnits IncludedVat(MinorUnits amount, int rate_bp) {
  if (rate_bp <= 0) return 0;
  rate_bp = std::min(rate_bp, 10000);  // 0..100 %: the ledger and every import refuse more
  // amount x r / (10000 + r), split as q x d + rem so nothing overflows:
  // |q x r| is at most |amount|, and |rem| x r x 2 < 2 x 10^8. q and rem
  // share amount's sign, so rounding rem's part rounds the whole.
  const std::int64_t d = 10000 + rate_bp;
  const std::int64_t q = amount / d, rem = amount % d;
  const std::int64_t part = (2 * (rem < 0 ? -rem : rem) * rate_bp + d) / (2 * d);
  return q * rate_bp + (rem < 0 ? -part : part);
}

MinorUnits AddedVat(MinorUnits net, int rate_bp) {
  if (rate_bp <= 0) return 0;
  rate_bp = std::min(rate_bp, 10000);
  // Half away from zero; __int128 as a line's net may reach 5 x 10^18.
  const __int128 twice = static_cast<__int128>(net) * rate_bp * 2;
  const __int128 q = (twice < 0 ? -twice : twice) + 10000;
  const __int128 tax = q / 20000;
  return static_cast<MinorUnits>(net < 0 ? -tax : tax);
}

MinorUnits LineAmount(MinorUnits net, int rate_bp, bool tax_added) {
  return tax_added ? net + AddedVat(net, rate_bp) : net;
}

void AddToTaxBands(std::vector<TaxBand>& bands, int rate_bp, MinorUnits amount) {
  auto it = std::lower_bound(bands.begin(), bands.end(), rate_bp,
                             [](const TaxBand& b, int r) { return b.rate_bp < r; });
  if (it == bands.end() || it->rate_bp != rate_bp) it = bands.insert(it, TaxBand{rate_bp, 0, 0});
  // The ledger's lines cannot overflow these sums (prices, quantities and
  // lines are capped); a sale made up elsewhere (a test, a fuzzer) saturates
  // at +-INT64_MAX rather than wrap.
  auto add = [](MinorUnits& to, MinorUnits v) {
    if (__builtin_add_overflow(to, v, &to)) to = v < 0 ? -kMaxMinor : kMaxMinor;
    to = std::max(to, -kMaxMinor);  // so that a refund's -vat never overflows
  };
  add(it->amount, amount);
  add(it->vat, IncludedVat(amount, rate_bp));
}

std::string FormatRate(int rate_bp) {
  std::string out = std::to_string(rate_bp / 100);
  if (const int frac = rate_bp % 100; frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
  return out + "%";
}

}  // namespace sa::store
