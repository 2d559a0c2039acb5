// SPDX-License-Identifier: Apache-2.0
#include "store.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "domain_internal.hpp"
#include "json_adapter.hpp"

namespace sa::store {
namespace {

using ledger::Durability;
using ledger::Statement;
using ledger::Transaction;
using detail::BadRequest;
using detail::Conflict;
using detail::Guarded;
using detail::NotFound;
using detail::Refused;

Error NotOpen(std::string_view id, const std::string& status) {
  return Conflict("sale_not_open", "sale " + std::string(id) + " is " + status +
                                       "; only an open sale can change");
}

constexpr std::int64_t kMaxLines = 500;

bool KnownMethod(std::string_view m) {
  static const std::set<std::string_view> kMethods = {"cash",     "card",   "wechat",
                                                      "alipay",   "unionpay", "voucher"};
  return kMethods.count(m) > 0;
}

}  // namespace

Store::Store(ledger::Database& db, Config config, const Clock& clock)
    : db_(db), config_(std::move(config)), clock_(clock) {
  ReloadKeys();
}

std::string Store::NextCounter(std::string_view name) {
  db_.Cached("INSERT INTO counters(name, value) VALUES(?, 1) "
             "ON CONFLICT(name) DO UPDATE SET value = value + 1")
      .Bind(1, name)
      .Run();
  auto st = db_.Cached("SELECT value FROM counters WHERE name = ?");
  st.Bind(1, name);
  st.Step();
  return std::to_string(st.Int(0));
}

void Store::AppendEvent(std::string_view type, const std::string& payload) {
  // The sequence comes from a counter in the same transaction: a rollback
  // takes the number back with it, so per-device seq has no gaps.
  const std::int64_t seq = std::stoll(NextCounter("outbox_seq"));
  const std::int64_t now = clock_.now_ms();
  db_.Cached("INSERT INTO outbox(seq, id, type, at_ms, payload) VALUES(?, ?, ?, ?, ?)")
      .Bind(1, seq)
      .Bind(2, crypto::NewUuidV7(now))
      .Bind(3, type)
      .Bind(4, now)
      .Bind(5, payload)
      .Run();
}

std::optional<Error> Store::CheckOpen(std::string_view sale_id) {
  auto status = SaleStatus(sale_id);
  if (!status) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
  if (*status != "open") return NotOpen(sale_id, *status);
  return std::nullopt;
}

std::optional<std::string> Store::SaleStatus(std::string_view sale_id) {
  auto st = db_.Cached("SELECT status FROM sales WHERE id = ?");
  st.Bind(1, sale_id);
  if (!st.Step()) return std::nullopt;
  return st.Text(0);
}

std::optional<Product> Store::FindProduct(std::string_view gtin14) {
  try {
    return LookupProduct(gtin14);
  } catch (const ledger::Failure&) {
    return std::nullopt;
  }
}

std::optional<Product> Store::LookupProduct(std::string_view gtin14) {
  {
    auto st = db_.Cached(
        "SELECT gtin, name, price_minor, currency, tax_rate_bp FROM products WHERE gtin = ?");
    st.Bind(1, gtin14);
    if (!st.Step()) return std::nullopt;
    return Product{st.Text(0), st.Text(1), st.Int(2), st.Text(3), static_cast<int>(st.Int(4))};
  }
}

Sale Store::LoadSale(std::string_view sale_id) {
  Sale sale;
  {
    auto st = db_.Cached(
        "SELECT s.id, s.status, s.terminal, s.currency, s.total_minor, s.tendered_minor, "
        "s.change_minor, s.receipt_no, s.opened_at_ms, s.closed_at_ms, m.member_id, "
        "m.phone_masked, s.member IS NOT NULL, coalesce(s.cashier, ''), coalesce(s.shift_id, '') "
        "FROM sales s LEFT JOIN members m ON m.id = s.member WHERE s.id = ?");
    st.Bind(1, sale_id);
    if (!st.Step()) throw ledger::Failure(NotFound("sale_not_found", "no such sale"));
    sale.id = st.Text(0);
    sale.status = st.Text(1);
    sale.terminal = st.Text(2);
    sale.currency = st.Text(3);
    sale.total = st.Int(4);
    if (!st.IsNull(5)) sale.tendered = st.Int(5);
    if (!st.IsNull(6)) sale.change = st.Int(6);
    sale.receipt_no = st.Text(7);
    sale.opened_at_ms = st.Int(8);
    if (!st.IsNull(9)) sale.closed_at_ms = st.Int(9);
    if (st.Int(12) != 0) sale.member = Member{st.Text(10), st.Text(11)};
    sale.cashier = st.Text(13);
    sale.shift_id = st.Text(14);
  }
  {
    auto st = db_.Cached(
        "SELECT id, gtin, serial, name, unit_price_minor, qty, signature FROM sale_lines "
        "WHERE sale_id = ? ORDER BY id");
    st.Bind(1, sale_id);
    while (st.Step()) {
      Line line{st.Int(0), st.Text(1), st.Text(2), st.Text(3), st.Int(4), st.Int(5), 0, st.Text(6)};
      line.amount = line.unit_price * line.qty;  // bounded: checked when the line was added
      sale.lines.push_back(std::move(line));
    }
  }
  {
    auto st = db_.Cached(
        "SELECT method, amount_minor, coalesce(ref, '') FROM payments WHERE sale_id = ? "
        "ORDER BY id");
    st.Bind(1, sale_id);
    while (st.Step()) sale.payments.push_back(Payment{st.Text(0), st.Int(1), st.Text(2)});
  }
  return sale;
}

Expected<Sale> Store::GetSale(std::string_view sale_id) {
  return Guarded([&]() -> Expected<Sale> {
    if (!SaleStatus(sale_id)) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
    return LoadSale(sale_id);
  });
}

Expected<std::optional<std::string>> Store::OpenSaleOf(std::string_view terminal) {
  return Guarded([&]() -> Expected<std::optional<std::string>> {
    auto st = db_.Cached("SELECT id FROM sales WHERE status = 'open' AND terminal = ? "
                         "ORDER BY opened_at_ms DESC, id DESC LIMIT 1");
    st.Bind(1, terminal);
    if (!st.Step()) return std::optional<std::string>();
    return std::optional<std::string>(st.Text(0));
  });
}

Expected<Sale> Store::OpenSale(std::string_view terminal, std::string_view cashier) {
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  return Guarded([&]() -> Expected<Sale> {
    const std::int64_t now = clock_.now_ms();
    const std::string id = crypto::NewUuidV7(now);
    Transaction tx(db_, Durability::relaxed);
    db_.Cached("INSERT INTO sales(id, status, terminal, currency, opened_at_ms, cashier) "
               "VALUES(?, 'open', ?, ?, ?, ?)")
        .Bind(1, id)
        .Bind(2, terminal)
        .Bind(3, config_.currency)
        .Bind(4, now)
        .BindOptional(5, cashier.empty() ? std::nullopt : std::optional(std::string(cashier)))
        .Run();
    tx.Commit();
    return LoadSale(id);
  });
}

Expected<Sale> Store::Scan(std::string_view sale_id, std::string_view payload) {
  auto checked = CheckCode(payload);
  if (!checked) return checked.error();
  return AddCheckedCode(sale_id, *checked);
}

Expected<CheckedCode> Store::CheckCode(std::string_view payload) const {
  auto parsed = codes::Parse(payload, config_.parse);
  if (!parsed) {
    const Error& e = parsed.error();
    if (e.code == "member_code_malformed") return e;
    return Refused("malformed_code", e.message, e.code);
  }
  CheckedCode checked{std::move(parsed).value(), codes::SignatureState::absent};
  const bool member = checked.code.kind == codes::Kind::member_code;
  checked.signature =
      codes::VerifySignature(checked.code, member ? CurrentKeys()->member : CurrentKeys()->brand);
  return checked;
}

Expected<Sale> Store::AddCheckedCode(std::string_view sale_id, const CheckedCode& checked,
                                     const std::optional<Override>& override_reserved) {
  const codes::Code& code = checked.code;
  if (code.kind == codes::Kind::member_code) return BindMember(sale_id, code, checked.signature);
  const auto sig = checked.signature;
  if (sig == codes::SignatureState::invalid) {
    return Refused("code_forged", "the label's signature does not match any brand key: "
                                  "treat this unit as counterfeit");
  }
  if (sig == codes::SignatureState::absent && config_.require_signature) {
    return Refused("code_forged", "this store accepts signed labels only and this one is not "
                                  "signed");
  }

  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::relaxed);
    if (auto refused = CheckOpen(sale_id)) return *refused;

    auto product = LookupProduct(code.gtin);
    if (!product) {
      return Refused("unknown_product", "GTIN " + code.gtin + " is not in this store's catalog");
    }
    if (code.serialised()) {
      auto revoked = db_.Cached("SELECT 1 FROM revocations WHERE gtin = ? AND serial = ?");
      revoked.Bind(1, code.gtin).Bind(2, code.serial);
      if (revoked.Step()) {
        return Refused("code_revoked", "the brand has revoked this label (" + code.gtin + " / " +
                                           code.serial + "); do not sell this unit");
      }
      if (auto region = DivertedTo(code.gtin, code.serial)) {
        // Anti-diversion: the event and the alert are kept even when the
        // scan is refused; they are what the brand wants to know.
        const bool refuse = config_.refuse_diverted;
        AppendEvent("code.diverted", events::CodeDiverted(code.gtin, code.serial, *region,
                                                         config_.region, sale_id, refuse));
        InsertAlert(Alert{0, "code_diverted",
                          "unit " + code.gtin + " / " + code.serial + " was shipped to region " +
                              *region + ", not to this store's region " + config_.region,
                          events::UnitDetail(code.gtin, code.serial, *region), "device", 0, false},
                    "diverted:" + code.gtin + ":" + code.serial);
        if (refuse) {
          tx.Commit();
          return Refused("code_diverted", "this unit was shipped to region " + *region +
                                              ", not to this store: do not sell it; the brand "
                                              "has been told");
        }
      }
      auto in_cart = db_.Cached(
          "SELECT l.sale_id FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
          "WHERE l.gtin = ? AND l.serial = ? AND s.status = 'open'");
      in_cart.Bind(1, code.gtin).Bind(2, code.serial);
      if (in_cart.Step()) {
        const bool here = in_cart.Text(0) == sale_id;
        return Conflict("serial_in_cart", here ? "this unit is already in this sale"
                                               : "this unit is in another open sale");
      }
      auto sold = db_.Cached("SELECT 1 FROM units WHERE gtin = ? AND serial = ? AND state = 'sold'");
      sold.Bind(1, code.gtin).Bind(2, code.serial);
      if (sold.Step()) {
        return Conflict("serial_already_sold",
                        "this unit (" + code.gtin + " / " + code.serial + ") was already sold");
      }
    }
    if (auto refused = ReservedRefusal(sale_id, code, override_reserved)) return *refused;
    const std::int64_t now = clock_.now_ms();
    const std::string sig_name(codes::SignatureName(sig));
    bool merged = false;
    if (!code.serialised()) {
      // Another scan of the same plain GTIN adds to its line.
      auto bump = db_.Cached(
          "UPDATE sale_lines SET qty = qty + 1 WHERE id = (SELECT id FROM sale_lines "
          "WHERE sale_id = ? AND gtin = ? AND serial IS NULL AND qty < 9999 LIMIT 1)");
      bump.Bind(1, sale_id).Bind(2, code.gtin).Run();
      merged = db_.Changes() > 0;
    }
    if (!merged) {
      auto ins = db_.Cached(
          "INSERT INTO sale_lines(sale_id, gtin, serial, name, unit_price_minor, qty, "
          "code_kind, signature, added_at_ms) VALUES(?, ?, ?, ?, ?, 1, ?, ?, ?)");
      ins.Bind(1, sale_id).Bind(2, code.gtin);
      if (code.serialised()) {
        ins.Bind(3, code.serial);
      } else {
        ins.BindNull(3);
      }
      ins.Bind(4, product->name)
          .Bind(5, product->price_minor)
          .Bind(6, codes::KindName(code.kind))
          .Bind(7, sig_name)
          .Bind(8, now)
          .Run();
    }
    // Prices are capped at import (kMaxPriceMinor), quantities at 9999 and
    // lines at kMaxLines, so this sum cannot overflow 64 bits.
    auto total = db_.Cached(
        "SELECT coalesce(sum(unit_price_minor * qty), 0), count(*) FROM sale_lines "
        "WHERE sale_id = ?");
    total.Bind(1, sale_id);
    total.Step();
    if (total.Int(1) > kMaxLines) {
      return Conflict("sale_too_large", "a sale holds at most " + std::to_string(kMaxLines) +
                                            " lines; complete this one and open another");
    }
    db_.Cached("UPDATE sales SET total_minor = ? WHERE id = ?")
        .Bind(1, total.Int(0))
        .Bind(2, sale_id)
        .Run();
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Store::RemoveLine(std::string_view sale_id, std::int64_t line_id) {
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::relaxed);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    db_.Cached("DELETE FROM sale_lines WHERE id = ? AND sale_id = ?")
        .Bind(1, line_id)
        .Bind(2, sale_id)
        .Run();
    if (db_.Changes() == 0) {
      return NotFound("line_not_found", "sale " + std::string(sale_id) + " has no line " +
                                            std::to_string(line_id));
    }
    db_.Cached("UPDATE sales SET total_minor = (SELECT coalesce(sum(unit_price_minor * qty), 0) "
               "FROM sale_lines WHERE sale_id = ?1) WHERE id = ?1")
        .Bind(1, sale_id)
        .Run();
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Store::BindMemberCode(std::string_view sale_id, std::string_view payload) {
  auto parsed = codes::Parse(payload, config_.parse);
  if (!parsed) {
    if (parsed.error().code == "member_code_malformed") return parsed.error();
    return Refused("member_code_malformed", parsed.error().message, parsed.error().code);
  }
  if (parsed->kind != codes::Kind::member_code) {
    return Refused("not_a_member_code", "that is a product label, not a member code");
  }
  return BindMember(sale_id, *parsed, codes::VerifySignature(*parsed, CurrentKeys()->member));
}

Expected<Sale> Store::BindMember(std::string_view sale_id, const codes::Code& code,
                                 codes::SignatureState signature) {
  if (signature != codes::SignatureState::valid) {
    return Refused("member_code_forged", "the member code is not signed by the member service");
  }
  const std::int64_t now_s = clock_.now_ms() / 1000;
  const std::int64_t skew = code.issued_at - now_s;
  if (skew > config_.member_code_window_s || -skew > config_.member_code_window_s) {
    return Refused("member_code_expired",
                   "the member code is " + std::to_string(skew < 0 ? -skew : skew) +
                       " s from this device's clock (window " +
                       std::to_string(config_.member_code_window_s) +
                       " s): ask the member to refresh it");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::relaxed);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    auto used = db_.Cached(
        "INSERT INTO member_codes_used(member_id, issued_at, used_at_ms) VALUES(?, ?, ?) "
        "ON CONFLICT DO NOTHING");
    used.Bind(1, code.member_id).Bind(2, code.issued_at).Bind(3, clock_.now_ms()).Run();
    if (db_.Changes() == 0) {
      return Refused("member_code_replayed", "this member code was already used; ask the member "
                                             "to refresh it");
    }
    db_.Cached("INSERT INTO members(member_id, first_seen_ms) VALUES(?, ?) ON CONFLICT DO NOTHING")
        .Bind(1, code.member_id)
        .Bind(2, clock_.now_ms())
        .Run();
    db_.Cached("UPDATE sales SET member = (SELECT id FROM members WHERE member_id = ?) "
               "WHERE id = ?")
        .Bind(1, code.member_id)
        .Bind(2, sale_id)
        .Run();
    AppendEvent("member.bound", events::MemberBoundByCode(sale_id, code.member_id));
    tx.Commit();
    return LoadSale(sale_id);
  });
}

std::string MaskPhone(std::string_view digits) {
  if (digits.size() >= 11) {
    return std::string(digits.substr(0, 3)) + "****" + std::string(digits.substr(digits.size() - 4));
  }
  const std::size_t keep = digits.size() / 4;
  return std::string(digits.substr(0, keep)) + std::string(digits.size() - 2 * keep, '*') +
         std::string(digits.substr(digits.size() - keep));
}

Expected<Sale> Store::BindPhone(std::string_view sale_id, std::string_view phone) {
  // Normalise: digits only, an optional leading + and China's 86 country code.
  std::string digits;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || (c == '+' && i == 0)) {
      continue;
    } else {
      return Refused("phone_invalid", "a phone number has digits, spaces, '-' and a leading '+' "
                                      "only");
    }
  }
  if (digits.size() == 13 && digits.substr(0, 2) == "86") digits.erase(0, 2);
  if (digits.size() < 7 || digits.size() > 15) {
    return Refused("phone_invalid", "a phone number has 7 to 15 digits");
  }
  if (config_.phone_hash_key.empty()) {
    return Refused("phone_binding_unavailable",
                   "this device has no phone hash key configured; bind by member code instead");
  }
  const std::string hash = crypto::ToHex(crypto::HmacSha256(config_.phone_hash_key, digits));
  const std::string masked = MaskPhone(digits);
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::relaxed);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    db_.Cached("INSERT INTO members(phone_hash, phone_masked, first_seen_ms) VALUES(?, ?, ?) "
               "ON CONFLICT DO NOTHING")
        .Bind(1, hash)
        .Bind(2, masked)
        .Bind(3, clock_.now_ms())
        .Run();
    db_.Cached("UPDATE sales SET member = (SELECT id FROM members WHERE phone_hash = ?) "
               "WHERE id = ?")
        .Bind(1, hash)
        .Bind(2, sale_id)
        .Run();
    AppendEvent("member.bound", events::MemberBoundByPhone(sale_id, hash, masked));
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Store::Complete(std::string_view sale_id, const std::vector<Payment>& payments) {
  if (payments.empty()) return BadRequest("invalid_payments", "at least one payment is needed");
  if (payments.size() > 16) return BadRequest("invalid_payments", "at most 16 payments per sale");
  MinorUnits paid = 0;
  MinorUnits cash = 0;
  for (const auto& p : payments) {
    if (!KnownMethod(p.method)) {
      return Refused("unknown_payment_method",
                     "payment method '" + p.method.substr(0, 32) +
                         "' is not one of cash, card, wechat, alipay, unionpay, voucher");
    }
    if (p.amount <= 0) return BadRequest("invalid_amount", "a payment amount must be positive");
    if (p.ref.size() > 128) return BadRequest("invalid_payments", "a payment ref is at most 128 characters");
    auto sum = AddMinor(paid, p.amount);
    if (!sum) return BadRequest("amount_overflow", "the payments add up to more than can be counted");
    paid = *sum;
    if (p.method == "cash") cash += p.amount;  // cash <= paid, cannot overflow
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::full);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    Sale sale = LoadSale(sale_id);
    if (sale.lines.empty()) return Refused("sale_empty", "the sale has no lines to pay for");
    const MinorUnits total = sale.total;
    if (paid < total) {
      return Refused("payment_mismatch", "payments add up to " + std::to_string(paid) +
                                             ", short of the total " + std::to_string(total));
    }
    const MinorUnits change = paid - total;
    if (change > cash) {
      return Refused("payment_mismatch",
                     "payments exceed the total by " + std::to_string(change) +
                         "; only cash may exceed it (change is given in cash)");
    }
    const std::int64_t now = clock_.now_ms();
    for (const auto& line : sale.lines) {
      if (line.serial.empty()) continue;
      // A revocation may have arrived from the cloud while the unit sat in the cart.
      auto revoked = db_.Cached("SELECT 1 FROM revocations WHERE gtin = ? AND serial = ?");
      revoked.Bind(1, line.gtin).Bind(2, line.serial);
      if (revoked.Step()) {
        return Refused("code_revoked", "the brand revoked unit " + line.gtin + " / " + line.serial +
                                           " after it was scanned; remove it from the sale");
      }
      // Invariant 4: the units row is the one place a serial is sold; the
      // conditional upsert refuses a second sale even if a check above missed it.
      db_.Cached("INSERT INTO units(gtin, serial, state, sale_id, updated_at_ms) "
                 "VALUES(?1, ?2, 'sold', ?3, ?4) ON CONFLICT(gtin, serial) DO UPDATE "
                 "SET state = 'sold', sale_id = ?3, updated_at_ms = ?4 WHERE state <> 'sold'")
          .Bind(1, line.gtin)
          .Bind(2, line.serial)
          .Bind(3, sale_id)
          .Bind(4, now)
          .Run();
      if (db_.Changes() == 0) {
        return Conflict("serial_already_sold", "unit " + line.gtin + " / " + line.serial +
                                                   " was already sold; remove it from the sale");
      }
    }
    for (const auto& line : sale.lines) {
      db_.Cached("INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
                 "VALUES(?, ?, ?, 'sale', ?, ?)")
          .Bind(1, line.gtin)
          .BindOptional(2, line.serial.empty() ? std::nullopt : std::optional(line.serial))
          .Bind(3, -line.qty)
          .Bind(4, sale_id)
          .Bind(5, now)
          .Run();
    }
    for (const auto& p : payments) {
      db_.Cached("INSERT INTO payments(sale_id, method, amount_minor, ref) VALUES(?, ?, ?, ?)")
          .Bind(1, sale_id)
          .Bind(2, p.method)
          .Bind(3, p.amount)
          .Bind(4, p.ref)
          .Run();
    }
    const std::string counter = NextCounter("receipt_no");
    std::string receipt = config_.device_id + "-" + std::string(counter.size() < 6 ? 6 - counter.size() : 0, '0') + counter;
    // The sale counts in the shift open on its terminal now (none: no shift).
    db_.Cached("UPDATE sales SET status = 'completed', tendered_minor = ?, change_minor = ?, "
               "receipt_no = ?, closed_at_ms = ?, shift_id = (SELECT sh.id FROM shifts sh "
               "WHERE sh.terminal = sales.terminal AND sh.status = 'open') WHERE id = ?")
        .Bind(1, paid)
        .Bind(2, change)
        .Bind(3, receipt)
        .Bind(4, now)
        .Bind(5, sale_id)
        .Run();
    sale = LoadSale(sale_id);
    std::string phone_hash;
    if (sale.member && sale.member->member_id.empty()) {
      auto st = db_.Cached("SELECT m.phone_hash FROM sales s JOIN members m ON m.id = s.member "
                           "WHERE s.id = ?");
      st.Bind(1, sale_id);
      if (st.Step()) phone_hash = st.Text(0);
    }
    AppendEvent("sale.completed", events::SaleCompleted(sale, phone_hash));
    tx.Commit();  // synchronous=FULL: the WAL is fsync'd before this returns
    return sale;
  });
}

Expected<Sale> Store::Void(std::string_view sale_id, std::string_view reason) {
  if (reason.size() > 200 || !ValidUtf8(reason)) {
    return BadRequest("invalid_reason", "a reason is at most 200 characters of UTF-8");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_, Durability::full);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    const std::int64_t now = clock_.now_ms();
    db_.Cached("UPDATE sales SET status = 'voided', closed_at_ms = ?, void_reason = ?, "
               "shift_id = (SELECT sh.id FROM shifts sh WHERE sh.terminal = sales.terminal "
               "AND sh.status = 'open') WHERE id = ?")
        .Bind(1, now)
        .Bind(2, reason)
        .Bind(3, sale_id)
        .Run();
    Sale sale = LoadSale(sale_id);
    AppendEvent("sale.voided", events::SaleVoided(sale, reason));
    tx.Commit();
    return sale;
  });
}

Expected<Refund> Store::RefundUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                                    std::string_view terminal, std::string_view cashier) {
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  if (units.empty()) return BadRequest("nothing_to_refund", "name at least one serial to refund");
  if (units.size() > 1000) return BadRequest("nothing_to_refund", "at most 1000 serials per refund");
  return Guarded([&]() -> Expected<Refund> {
    Transaction tx(db_, Durability::full);
    auto status = SaleStatus(sale_id);
    if (!status) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
    if (*status != "completed") {
      return Conflict("sale_not_completed", "only a completed sale can be refunded; sale " +
                                                std::string(sale_id) + " is " + *status);
    }
    const Sale sale = LoadSale(sale_id);
    const std::int64_t now = clock_.now_ms();
    Refund refund;
    refund.id = crypto::NewUuidV7(now);
    refund.sale_id = sale_id;
    refund.currency = sale.currency;
    std::vector<const Line*> lines;
    std::set<std::int64_t> taken;
    for (const auto& unit : units) {
      const Line* found = nullptr;
      int matches = 0;
      for (const auto& line : sale.lines) {
        if (!unit.serial.empty() && line.serial == unit.serial &&
            (unit.gtin.empty() || unit.gtin == line.gtin)) {
          found = &line;
          ++matches;
        }
      }
      if (matches == 0) {
        return Refused("serial_not_in_sale",
                       "no unit of sale " + std::string(sale_id) + " has that serial" +
                           (unit.gtin.empty() ? "" : " and GTIN"));
      }
      if (matches > 1) {
        return Refused("serial_ambiguous", "two units of this sale share that serial; name the "
                                           "GTIN as well");
      }
      if (!taken.insert(found->id).second) {
        return BadRequest("nothing_to_refund", "a unit is named twice");
      }
      auto done = db_.Cached("SELECT 1 FROM refund_lines WHERE line_id = ?");
      done.Bind(1, found->id);
      if (done.Step()) {
        return Conflict("serial_already_refunded", "unit " + found->gtin + " / " + found->serial +
                                                       " was already refunded");
      }
      lines.push_back(found);
      refund.amount += found->amount;
    }
    const std::string where = terminal.empty() ? sale.terminal : std::string(terminal);
    db_.Cached("INSERT INTO refunds(id, sale_id, amount_minor, at_ms, terminal, cashier, shift_id) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM shifts WHERE terminal = ?5 "
               "AND status = 'open'))")
        .Bind(1, refund.id)
        .Bind(2, sale_id)
        .Bind(3, refund.amount)
        .Bind(4, now)
        .Bind(5, where)
        .BindOptional(6, cashier.empty() ? std::nullopt : std::optional(std::string(cashier)))
        .Run();
    // Paid back by the sale's own methods, in the order it was paid, each up
    // to what it took (cash net of change) less what earlier refunds gave back.
    {
      std::vector<std::pair<std::string, MinorUnits>> left;
      for (const auto& p : sale.payments) {
        auto it = std::find_if(left.begin(), left.end(), [&](const auto& e) { return e.first == p.method; });
        if (it == left.end()) {
          left.emplace_back(p.method, p.amount);
        } else {
          it->second += p.amount;
        }
      }
      for (auto& [method, amount] : left) {
        if (method == "cash") amount -= sale.change.value_or(0);
        auto before = db_.Cached(
            "SELECT coalesce(sum(rp.amount_minor), 0) FROM refund_payments rp "
            "JOIN refunds r ON r.id = rp.refund_id WHERE r.sale_id = ? AND rp.method = ?");
        before.Bind(1, sale_id).Bind(2, method);
        before.Step();
        amount -= before.Int(0);
      }
      MinorUnits owed = refund.amount;
      for (const auto& [method, amount] : left) {
        if (owed <= 0) break;
        const MinorUnits take = std::min(owed, amount);
        if (take <= 0) continue;
        db_.Cached("INSERT INTO refund_payments(refund_id, method, amount_minor) VALUES(?, ?, ?)")
            .Bind(1, refund.id)
            .Bind(2, method)
            .Bind(3, take)
            .Run();
        owed -= take;
      }
    }
    for (const Line* line : lines) {
      db_.Cached("INSERT INTO refund_lines(refund_id, line_id) VALUES(?, ?)")
          .Bind(1, refund.id)
          .Bind(2, line->id)
          .Run();
      // The unit goes back to stock: it may be sold again.
      db_.Cached("UPDATE units SET state = 'in_stock', sale_id = NULL, updated_at_ms = ? "
                 "WHERE gtin = ? AND serial = ? AND state = 'sold'")
          .Bind(1, now)
          .Bind(2, line->gtin)
          .Bind(3, line->serial)
          .Run();
      db_.Cached("INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
                 "VALUES(?, ?, 1, 'refund', ?, ?)")
          .Bind(1, line->gtin)
          .Bind(2, line->serial)
          .Bind(3, refund.id)
          .Bind(4, now)
          .Run();
      refund.serials.push_back(line->serial);
    }
    AppendEvent("refund.completed", events::RefundCompleted(refund, sale, lines));
    tx.Commit();
    return refund;
  });
}

Expected<void> Store::Revoke(std::string_view gtin14, std::string_view serial,
                             std::string_view reason) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_, Durability::full);
    db_.Cached("INSERT INTO revocations(gtin, serial, reason, at_ms) VALUES(?, ?, ?, ?) "
               "ON CONFLICT DO NOTHING")
        .Bind(1, gtin14)
        .Bind(2, serial)
        .Bind(3, reason)
        .Bind(4, clock_.now_ms())
        .Run();
    tx.Commit();
    return {};
  });
}

Expected<std::vector<Event>> Store::OutboxAfter(std::int64_t seq, std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Event>> {
    std::vector<Event> out;
    auto st = db_.Cached("SELECT seq, id, type, at_ms, payload FROM outbox WHERE seq > ? "
                         "ORDER BY seq LIMIT ?");
    st.Bind(1, seq).Bind(2, static_cast<std::int64_t>(limit));
    while (st.Step()) {
      out.push_back(Event{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Text(4)});
    }
    return out;
  });
}

Expected<std::int64_t> Store::OutboxDepth() {
  return Guarded([&]() -> Expected<std::int64_t> {
    auto st = db_.Cached(
        "SELECT coalesce((SELECT max(seq) FROM outbox), 0) - "
        "coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0)");
    st.Step();
    return st.Int(0);
  });
}

}  // namespace sa::store
