// SPDX-License-Identifier: Apache-2.0
// A sale's life at the till: opened, lines scanned in and out, completed
// with its payments, or voided.
#include "sales.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "part.hpp"
#include "sale_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::CheckReason;
using part::Conflict;
using part::Guarded;
using part::NotFound;
using part::Refused;

Error NotOpen(std::string_view id, const std::string& status) {
  return Conflict("sale_not_open",
                  "sale " + std::string(id) + " is " + status + "; only an open sale can change");
}

constexpr std::int64_t kMaxLines = 500;
bool KnownMethod(std::string_view m) {
  static const std::set<std::string_view> kMethods = {"cash",   "card",     "wechat",
                                                      "alipay", "unionpay", "voucher"};
  return kMethods.count(m) > 0;
}

}  // namespace

Sales::Sales(Books& books, Stock& stock)
    : books_(books), stock_(stock), db_(books.db()), config_(books.config()) {}

std::optional<Error> Sales::CheckOpen(std::string_view sale_id) {
  auto status = SaleStatus(sale_id);
  if (!status) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
  if (*status != "open") return NotOpen(sale_id, *status);
  return std::nullopt;
}

std::optional<std::string> Sales::SaleStatus(std::string_view sale_id) {
  auto st = db_.Cached("SELECT status FROM sales WHERE id = ?");
  st.Bind(1, sale_id);
  if (!st.Step()) return std::nullopt;
  return st.Text(0);
}

Sale Sales::LoadSale(std::string_view sale_id) {
  Sale sale;
  {
    auto st = db_.Cached(
        "SELECT s.id, s.status, s.terminal, s.currency, s.total_minor, s.tendered_minor, "
        "s.change_minor, s.receipt_no, s.opened_at_ms, s.closed_at_ms, m.member_id, "
        "m.phone_masked, s.member IS NOT NULL, coalesce(s.cashier, ''), coalesce(s.shift_id, ''), "
        "coalesce(s.price_group, ''), s.discount_bp, s.discount_amount_minor, "
        "coalesce(s.discount_reason, ''), coalesce(s.discount_approved_by, ''), "
        "coalesce(s.discount_approved_via, ''), coalesce(s.guide_id, ''), "
        "coalesce(s.guide_via, '') FROM sales s LEFT JOIN members m ON m.id = "
        "s.member WHERE s.id = ?");
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
    if (st.Int(12) != 0) sale.member = Member{st.Text(10), st.Text(11), false};
    sale.cashier = st.Text(13);
    sale.shift_id = st.Text(14);
    sale.price_group = st.Text(15);
    sale.guide_id = st.Text(21);
    sale.guide_via = st.Text(22);
    if (!st.IsNull(16) || !st.IsNull(17)) {
      sale.discount = Sale::Discount{static_cast<int>(st.IsNull(16) ? 0 : st.Int(16)),
                                     st.IsNull(17) ? 0 : st.Int(17), st.Text(18),
                                     Approval{st.Text(19), st.Text(20)}, 0};
    }
  }
  if (!sale.member && sale.status == "completed") {
    auto st = db_.Cached("SELECT member_id FROM sale_claims WHERE sale_id = ?");
    st.Bind(1, sale_id);
    if (st.Step()) sale.member = Member{st.Text(0), "", true};
  }
  {
    auto st = db_.Cached(
        "SELECT id, gtin, serial, name, unit_price_minor, qty, signature, "
        "coalesce(name_zh, ''), list_price_minor, coalesce(price_reason, ''), "
        "coalesce(price_approved_by, ''), coalesce(price_approved_via, ''), tax_rate_bp, "
        "discount_minor, coalesce(catalog_price_minor, unit_price_minor), coalesce(price_list, "
        "''), "
        "coalesce(price_list_name, ''), label_priced, net_weight_g, tax_added FROM sale_lines "
        "WHERE sale_id = ? ORDER BY id");
    st.Bind(1, sale_id);
    while (st.Step()) {
      Line line;
      line.id = st.Int(0);
      line.gtin = st.Text(1);
      line.serial = st.Text(2);
      line.name = st.Text(3);
      line.unit_price = st.Int(4);
      line.qty = st.Int(5);
      line.signature = st.Text(6);
      line.name_zh = st.Text(7);
      if (!st.IsNull(8)) {
        line.price_change = Line::PriceChange{st.Int(8), st.Text(9), {st.Text(10), st.Text(11)}};
      }
      line.gross = line.unit_price * line.qty;          // bounded: checked when the line was added
      line.tax_rate_bp = static_cast<int>(st.Int(12));  // 0..10000 (the schema's check)
      line.tax_added = st.Int(19) != 0;
      // Pricing takes at most the gross off.
      line.amount = LineAmount(line.gross - st.Int(13), line.tax_rate_bp, line.tax_added);
      line.vat = IncludedVat(line.amount, line.tax_rate_bp);
      line.catalog_price = st.Int(14);
      line.price_list = st.Text(15);
      line.price_list_name = st.Text(16);
      line.label_priced = st.Int(17) != 0;
      if (!st.IsNull(18)) line.net_weight_g = st.Int(18);
      sale.lines.push_back(std::move(line));
    }
  }
  {
    auto st = db_.Cached(
        "SELECT coupon_id, type, amount_minor, min_spend_minor FROM sale_coupons "
        "WHERE sale_id = ? ORDER BY n");
    st.Bind(1, sale_id);
    while (st.Step())
      sale.coupons.push_back(SaleCoupon{st.Text(0), st.Text(1), st.Int(2), st.Int(3), 0});
  }
  {
    // The lines' discounts, in line order (sale.lines is too).
    auto st = db_.Cached(
        "SELECT line_id, promotion_id, name, amount_minor FROM sale_line_discounts "
        "WHERE sale_id = ? ORDER BY line_id, n");
    st.Bind(1, sale_id);
    auto line = sale.lines.begin();
    while (st.Step()) {
      while (line != sale.lines.end() && line->id < st.Int(0)) ++line;
      if (line == sale.lines.end()) break;
      if (line->id == st.Int(0)) {
        line->discounts.push_back(pricing::Discount{st.Text(1), st.Text(2), st.Int(3)});
        for (auto& c : sale.coupons) {
          if (st.Text(1) == "coupon:" + c.id) c.applied += st.Int(3);
        }
        if (sale.discount && st.Text(1) == pricing::kSaleDiscountId) {
          sale.discount->applied += st.Int(3);
        }
      }
    }
  }
  {
    auto st = db_.Cached(
        "SELECT method, amount_minor, coalesce(ref, '') FROM payments WHERE sale_id = ? "
        "ORDER BY id");
    st.Bind(1, sale_id);
    while (st.Step()) sale.payments.push_back(Payment{st.Text(0), st.Int(1), st.Text(2)});
  }
  if (sale.status == "completed") {
    auto st = db_.Cached(
        "SELECT id, at_ms, coalesce(reason, ''), coalesce(approved_by, ''), "
        "coalesce(approved_via, ''), amount_minor FROM refunds WHERE sale_id = ? AND kind = "
        "'void'");
    st.Bind(1, sale_id);
    if (st.Step()) {
      sale.post_void =
          PostVoid{st.Text(0), st.Int(1), st.Text(2), Approval{st.Text(3), st.Text(4)}, st.Int(5)};
    }
    for (auto& line : sale.lines) line.refunded = QtyRefunded(line.id);
  }
  return sale;
}

Expected<Sale> Sales::GetSale(std::string_view sale_id) {
  return Guarded([&]() -> Expected<Sale> {
    if (!SaleStatus(sale_id)) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
    return LoadSale(sale_id);
  });
}

Expected<std::vector<std::string>> Sales::IdsMatching(std::string_view fragment,
                                                      std::size_t limit) {
  if (fragment.size() < 4 || fragment.size() > 36 ||
      fragment.find_first_not_of("0123456789abcdef-") != std::string_view::npos) {
    return BadRequest("invalid_field", "a sale id or a part of one is 4 to 36 of 0-9 a-f and '-'");
  }
  return Guarded([&]() -> Expected<std::vector<std::string>> {
    // The fragment holds no LIKE wildcard (checked above).
    auto st = db_.Cached(
        "SELECT id FROM sales WHERE id LIKE ?1 || '%' OR id LIKE '%' || ?1 "
        "ORDER BY opened_at_ms DESC, id DESC LIMIT ?2");
    st.Bind(1, fragment).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::string> ids;
    while (st.Step()) ids.push_back(st.Text(0));
    return ids;
  });
}

Expected<std::optional<std::string>> Sales::OpenSaleOf(std::string_view terminal) {
  return Guarded([&]() -> Expected<std::optional<std::string>> {
    auto st = db_.Cached(
        "SELECT id FROM sales WHERE status = 'open' AND terminal = ? "
        "ORDER BY opened_at_ms DESC, id DESC LIMIT 1");
    st.Bind(1, terminal);
    if (!st.Step()) return std::optional<std::string>();
    return std::optional<std::string>(st.Text(0));
  });
}

Expected<Sale> Sales::OpenSale(std::string_view terminal, std::string_view cashier) {
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  return Guarded([&]() -> Expected<Sale> {
    const std::int64_t now = books_.now_ms();
    const std::string id = crypto::NewUuidV7(now);
    Transaction tx(db_);
    db_.Cached(
           "INSERT INTO sales(id, status, terminal, currency, opened_at_ms, cashier) "
           "VALUES(?, 'open', ?, ?, ?, ?)")
        .Bind(1, id)
        .Bind(2, terminal)
        .Bind(3, config_.currency)
        .Bind(4, now)
        .BindTextOrNull(5, cashier)
        .Run();
    tx.Commit();
    return LoadSale(id);
  });
}

Expected<Sale> Sales::Scan(std::string_view sale_id, std::string_view payload) {
  auto checked = books_.CheckCode(payload);
  if (!checked) return checked.error();
  return AddCheckedCode(sale_id, *checked);
}

Expected<Sale> Sales::AddCheckedCode(std::string_view sale_id, const CheckedCode& checked,
                                     const std::optional<Override>& override_reserved) {
  if (checked.coupon) return AddCoupon(sale_id, *checked.coupon, checked.signature);
  if (checked.staff) return SetGuide(sale_id, *checked.staff, checked.signature);
  codes::Code code = checked.code;  // a serial is dropped for a product sold by quantity
  if (code.kind == codes::Kind::member_code) return BindMember(sale_id, code, checked.signature);
  const auto sig = checked.signature;
  if (sig == codes::SignatureState::invalid) {
    return Refused("code_forged",
                   "the label's signature does not match any brand key: "
                   "treat this unit as counterfeit");
  }
  if (sig == codes::SignatureState::absent && books_.RequiresSignature(code.gtin)) {
    return Refused("code_forged", "GTIN " + code.gtin +
                                      " sells with a signed label only and this one is not signed");
  }

  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    if (auto refused = stock_.CaseRefusal(code)) return *refused;
    auto product = books_.LookupProduct(code.gtin);
    if (!product) {
      return Refused("unknown_product", "GTIN " + code.gtin + " is not in this store's catalog");
    }
    if (code.serialised()) {
      // By the label's serial, whatever the product: a revoked or diverted
      // unit of one sold by quantity is refused too.
      if (auto refused = UnitRefusal(sale_id, code)) {
        // A refused diverted unit keeps its event and alert: they are what
        // the brand wants to know.
        if (refused->code == "code_diverted") tx.Commit();
        return *refused;
      }
    }
    if (auto refused = Books::ApplySerialRule(*product, code)) return *refused;
    if (auto refused = stock_.RefusalAtTill(sale_id, code, override_reserved)) return *refused;
    auto label_price = LabelPrice(code, *product);
    if (!label_price) return label_price.error();
    AddLine(sale_id, code, *product, sig, *label_price);
    DropSaleDiscount(sale_id);  // a manager discounted the cart without it
    if (Reprice(sale_id, books_.now_ms()) > kMaxLines) {
      return Conflict("sale_too_large", "a sale holds at most " + std::to_string(kMaxLines) +
                                            " lines; complete this one and open another");
    }
    tx.Commit();
    return LoadSale(sale_id);
  });
}

std::optional<Error> Sales::UnitRefusal(std::string_view sale_id, const codes::Code& code) {
  auto revoked = db_.Cached("SELECT 1 FROM revocations WHERE gtin = ? AND serial = ?");
  revoked.Bind(1, code.gtin).Bind(2, code.serial);
  if (revoked.Step()) {
    return Refused("code_revoked", "the brand has revoked this label (" + code.gtin + " / " +
                                       code.serial + "); do not sell this unit");
  }
  if (auto region = books_.DivertedTo(code.gtin, code.serial)) {
    // Anti-diversion: the event and the alert are written whether the scan
    // is refused or only warned about.
    const bool refuse = config_.refuse_diverted;
    books_.Append("code.diverted", events::CodeDiverted(code.gtin, code.serial, *region,
                                                        config_.region, sale_id, refuse));
    books_.InsertAlert(
        Alert{0, "code_diverted",
              "unit " + code.gtin + " / " + code.serial + " was shipped to region " + *region +
                  ", not to this store's region " + config_.region,
              events::UnitDetail(code.gtin, code.serial, *region), "device", 0, false},
        "diverted:" + code.gtin + ":" + code.serial);
    if (refuse) {
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
  return std::nullopt;
}

void Sales::AddLine(std::string_view sale_id, const codes::Code& code, const Product& product,
                    codes::SignatureState signature, std::optional<MinorUnits> label_price) {
  if (!code.serialised() && !label_price) {
    // Another scan of the same plain GTIN adds to its line.
    auto bump = db_.Cached(
        "UPDATE sale_lines SET qty = qty + 1 WHERE id = (SELECT id FROM sale_lines "
        "WHERE sale_id = ? AND gtin = ? AND serial IS NULL AND qty < 9999 AND "
        "list_price_minor IS NULL AND label_priced = 0 LIMIT 1)");
    bump.Bind(1, sale_id).Bind(2, code.gtin).Run();
    if (db_.Changes() > 0) return;
  }
  auto ins = db_.Cached(
      "INSERT INTO sale_lines(sale_id, gtin, serial, name, unit_price_minor, qty, "
      "code_kind, signature, added_at_ms, name_zh, tax_rate_bp, category, catalog_price_minor, "
      "label_priced, net_weight_g, tax_added) VALUES(?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?)");
  ins.Bind(1, sale_id).Bind(2, code.gtin);
  if (code.serialised()) {
    ins.Bind(3, code.serial);
  } else {
    ins.BindNull(3);
  }
  const MinorUnits price = label_price.value_or(product.price_minor);
  ins.Bind(4, product.name)
      .Bind(5, price)
      .Bind(6, codes::KindName(code.kind))
      .Bind(7, std::string(codes::SignatureName(signature)))
      .Bind(8, books_.now_ms())
      .BindTextOrNull(9, product.name_zh)
      .Bind(10, static_cast<std::int64_t>(product.tax_rate_bp))
      .BindTextOrNull(11, product.category)
      .Bind(12, price)
      .Bind(13, std::int64_t{label_price ? 1 : 0});
  if (label_price && code.measure && code.measure->net_weight_g) {
    ins.Bind(14, *code.measure->net_weight_g);
  } else {
    ins.BindNull(14);
  }
  ins.Bind(15, std::int64_t{product.tax_included ? 0 : 1});
  ins.Run();
}

Error Sales::NoLine(std::string_view sale_id, std::int64_t line_id) {
  return NotFound("line_not_found",
                  "sale " + std::string(sale_id) + " has no line " + std::to_string(line_id));
}

Expected<Sale> Sales::RemoveLine(std::string_view sale_id, std::int64_t line_id) {
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    db_.Cached("DELETE FROM sale_lines WHERE id = ? AND sale_id = ?")
        .Bind(1, line_id)
        .Bind(2, sale_id)
        .Run();
    if (db_.Changes() == 0) {
      return NoLine(sale_id, line_id);
    }
    DropSaleDiscount(sale_id);
    Reprice(sale_id, books_.now_ms());
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Sales::ChangePrice(std::string_view sale_id, std::int64_t line_id,
                                  MinorUnits unit_price, std::string_view reason,
                                  const Approval& approved) {
  if (unit_price < 0) return BadRequest("invalid_amount", "a price is 0 or more minor units");
  if (auto bad = CheckReason(reason, "the price changes")) return *bad;
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    auto line = db_.Cached(
        "SELECT coalesce(list_price_minor, unit_price_minor) FROM sale_lines "
        "WHERE id = ? AND sale_id = ?");
    line.Bind(1, line_id).Bind(2, sale_id);
    if (!line.Step()) {
      return NoLine(sale_id, line_id);
    }
    const MinorUnits list = line.Int(0);
    if (unit_price > list) {
      return Refused("price_above_list", "a price changed at the till is at most the catalog's (" +
                                             FormatMinor(list) + "), not " +
                                             FormatMinor(unit_price));
    }
    db_.Cached(
           "UPDATE sale_lines SET list_price_minor = ?1, unit_price_minor = ?2, price_reason = ?3, "
           "price_approved_by = ?4, price_approved_via = ?5 WHERE id = ?6")
        .Bind(1, list)
        .Bind(2, unit_price)
        .Bind(3, reason)
        .BindTextOrNull(4, approved.manager)
        .Bind(5, approved.via)
        .Bind(6, line_id)
        .Run();
    DropSaleDiscount(sale_id);
    Reprice(sale_id, books_.now_ms());
    tx.Commit();
    return LoadSale(sale_id);
  });
}

std::optional<Error> Sales::CheckTender(const std::vector<Payment>& payments, Tender& tender) {
  if (payments.size() > 16) return BadRequest("invalid_payments", "at most 16 payments per sale");
  for (const auto& p : payments) {
    if (!KnownMethod(p.method)) {
      return Refused("unknown_payment_method",
                     "payment method '" + p.method.substr(0, 32) +
                         "' is not one of cash, card, wechat, alipay, unionpay, voucher");
    }
    if (p.amount <= 0) return BadRequest("invalid_amount", "a payment amount must be positive");
    if (p.ref.size() > 128)
      return BadRequest("invalid_payments", "a payment ref is at most 128 characters");
    auto sum = AddMinor(tender.paid, p.amount);
    if (!sum)
      return BadRequest("amount_overflow", "the payments add up to more than can be counted");
    tender.paid = *sum;
    if (p.method == "cash") tender.cash += p.amount;  // cash <= paid, cannot overflow
  }
  return std::nullopt;
}

std::optional<Error> Sales::CheckCovers(const Tender& tender, MinorUnits due) {
  if (tender.paid < due) {
    return Refused("payment_mismatch", "payments add up to " + std::to_string(tender.paid) +
                                           ", short of the " + std::to_string(due) + " due");
  }
  const MinorUnits change = tender.paid - due;
  if (change > tender.cash) {
    return Refused("payment_mismatch", "payments exceed what is due by " + std::to_string(change) +
                                           "; only cash may exceed it (change is given in cash)");
  }
  return std::nullopt;
}

Expected<Sale> Sales::Complete(std::string_view sale_id, const std::vector<Payment>& payments) {
  if (payments.empty()) return BadRequest("invalid_payments", "at least one payment is needed");
  Tender tender;
  if (auto refused = CheckTender(payments, tender)) return *refused;
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    // Priced at the moment it is paid: a promotion that began or ended
    // while the cart was open counts as it stands now.
    const std::int64_t now = books_.now_ms();
    if (PricesMayHaveMoved(sale_id, now)) Reprice(sale_id, now);
    Sale sale = LoadSale(sale_id);
    if (sale.lines.empty()) return Refused("sale_empty", "the sale has no lines to pay for");
    if (auto refused = CheckCovers(tender, sale.total)) return *refused;
    std::string phone_hash;
    auto settled = Settle(sale, payments, tender.paid - sale.total, now, phone_hash);
    if (!settled) return settled.error();
    // At the sale's closed_at: a post-void re-states this very event.
    books_.Append("sale.completed", events::SaleCompleted(*settled, phone_hash), now);
    if (!settled->coupons.empty()) {
      // The redemption waits for the cloud's ack of this event (the offline cap).
      db_.Cached(
             "UPDATE coupons_used SET event_seq = (SELECT max(seq) FROM outbox) WHERE sale_id = ?")
          .Bind(1, sale_id)
          .Run();
    }
    tx.Commit();  // synchronous=FULL: the WAL is fsync'd before this returns
    return settled;
  });
}

Expected<Sale> Sales::Settle(const Sale& sale, const std::vector<Payment>& payments,
                             MinorUnits change, std::int64_t now, std::string& phone_hash) {
  const std::string& sale_id = sale.id;
  MinorUnits tendered = 0;
  for (const auto& p : payments) tendered += p.amount;  // checked by CheckTender
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
    db_.Cached(
           "INSERT INTO units(gtin, serial, state, sale_id, updated_at_ms) "
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
  std::vector<UnitKey> sold;
  for (const auto& line : sale.lines) {
    if (!line.serial.empty()) sold.emplace_back(line.gtin, line.serial);
  }
  stock_.BreakOut(sold);
  for (const auto& line : sale.lines) {
    db_.Cached(
           "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
           "VALUES(?, ?, ?, 'sale', ?, ?)")
        .Bind(1, line.gtin)
        .BindTextOrNull(2, line.serial)
        .Bind(3, -line.qty)
        .Bind(4, sale_id)
        .Bind(5, now)
        .Run();
  }
  for (const auto& c : sale.coupons) {
    if (c.applied == 0) continue;  // short of its spend: not used, the customer keeps it
    if (auto refused = OverOfflineCap(c.type, 1)) return *refused;
    db_.Cached(
           "INSERT INTO coupons_used(coupon_id, type, sale_id, at_ms) VALUES(?, ?, ?, ?) "
           "ON CONFLICT DO NOTHING")
        .Bind(1, c.id)
        .Bind(2, c.type)
        .Bind(3, sale_id)
        .Bind(4, now)
        .Run();
    if (db_.Changes() == 0) {
      return Conflict("coupon_used", "coupon " + c.id +
                                         " was used in this store meanwhile; "
                                         "take it out of the sale");
    }
  }
  for (const auto& p : payments) {
    db_.Cached("INSERT INTO payments(sale_id, method, amount_minor, ref) VALUES(?, ?, ?, ?)")
        .Bind(1, sale_id)
        .Bind(2, p.method)
        .Bind(3, p.amount)
        .Bind(4, p.ref)
        .Run();
  }
  const std::string counter = books_.NextCounter("receipt_no");
  std::string receipt = config_.device_id + "-" +
                        std::string(counter.size() < 6 ? 6 - counter.size() : 0, '0') + counter;
  // The sale counts in the shift open on its terminal now (none: no shift).
  db_.Cached(
         "UPDATE sales SET status = 'completed', tendered_minor = ?, change_minor = ?, "
         "receipt_no = ?, closed_at_ms = ?, shift_id = (SELECT sh.id FROM shifts sh "
         "WHERE sh.terminal = sales.terminal AND sh.status = 'open') WHERE id = ?")
      .Bind(1, tendered)
      .Bind(2, change)
      .Bind(3, receipt)
      .Bind(4, now)
      .Bind(5, sale_id)
      .Run();
  Sale done = LoadSale(sale_id);
  if (done.member && done.member->member_id.empty()) {
    auto st = db_.Cached(
        "SELECT m.phone_hash FROM sales s JOIN members m ON m.id = s.member "
        "WHERE s.id = ?");
    st.Bind(1, sale_id);
    if (st.Step()) phone_hash = st.Text(0);
  }
  return done;
}

Expected<Sale> Sales::Void(std::string_view sale_id, std::string_view reason,
                           const std::optional<Approval>& approved, std::string_view terminal,
                           std::string_view cashier) {
  if (reason.size() > 200 || !ValidUtf8(reason)) {
    return BadRequest("invalid_reason", "a reason is at most 200 characters of UTF-8");
  }
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (SaleStatus(sale_id) == "completed") {
      if (!approved) {
        return MakeError(ErrorKind::forbidden, "manager_required",
                         "voiding a completed sale needs a manager: their session, or their "
                         "PIN for this one action");
      }
      auto voided = VoidCompleted(sale_id, reason, *approved, terminal, cashier);
      if (voided) tx.Commit();
      return voided;
    }
    if (auto refused = CheckOpen(sale_id)) return *refused;
    const std::int64_t now = books_.now_ms();
    db_.Cached(
           "UPDATE sales SET status = 'voided', closed_at_ms = ?, void_reason = ?, "
           "shift_id = (SELECT sh.id FROM shifts sh WHERE sh.terminal = sales.terminal "
           "AND sh.status = 'open') WHERE id = ?")
        .Bind(1, now)
        .Bind(2, reason)
        .Bind(3, sale_id)
        .Run();
    Sale sale = LoadSale(sale_id);
    books_.Append("sale.voided", events::SaleVoided(sale, reason));
    tx.Commit();
    return sale;
  });
}

Expected<std::int64_t> Sales::ClaimPrint(std::string_view sale_id) {
  return Guarded([&]() -> Expected<std::int64_t> {
    Transaction tx(db_);
    auto before = db_.Cached("SELECT prints FROM receipt_prints WHERE sale_id = ?");
    before.Bind(1, sale_id);
    const std::int64_t prints = before.Step() ? before.Int(0) : 0;
    db_.Cached(
           "INSERT INTO receipt_prints(sale_id, prints, last_at_ms) VALUES(?1, 1, ?2) "
           "ON CONFLICT(sale_id) DO UPDATE SET prints = prints + 1, last_at_ms = ?2")
        .Bind(1, sale_id)
        .Bind(2, books_.now_ms())
        .Run();
    tx.Commit();
    return prints;
  });
}

Expected<void> Sales::UnclaimPrint(std::string_view sale_id) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached("DELETE FROM receipt_prints WHERE sale_id = ? AND prints = 1")
        .Bind(1, sale_id)
        .Run();
    tx.Commit();
    return {};
  });
}

Line PartOf(const Line& line, std::int64_t qty, MinorUnits amount) {
  Line out = line;
  out.qty = qty;
  out.gross = line.unit_price * qty;  // bounded: at most the sold line's gross
  out.amount = amount;
  out.discounts.clear();  // what came back is its share of the line's net
  out.vat = IncludedVat(out.amount, out.tax_rate_bp);
  return out;
}

std::vector<TaxBand> TaxBands(const std::vector<Line>& lines) {
  std::vector<TaxBand> bands;
  for (const auto& line : lines) AddToTaxBands(bands, line.tax_rate_bp, line.amount);
  return bands;
}

}  // namespace sa::store
