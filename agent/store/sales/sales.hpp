// SPDX-License-Identifier: Apache-2.0
// Sales at the till: open a sale, scan units and plain items into it, bind
// the member, take the payments, or void it; refunds of completed sales.
// Each operation is one transaction, its state change committed with its
// outbox event (member.bound, sale.completed, sale.voided, refund.completed,
// code.diverted).
//
// Errors (Error::code): malformed_code (reason = the parser's code),
// unknown_product, code_forged, code_revoked, code_diverted,
// label_currency, label_price_mismatch, label_price_unknown,
// not_variable_measure (a scale's label),
// serial_already_sold, serial_in_cart, stock_reserved, unit_shipped,
// sale_not_found, sale_not_open, sale_too_large, line_not_found, sale_empty,
// invalid_terminal, invalid_reason, invalid_payments, invalid_amount,
// amount_overflow, unknown_payment_method, payment_mismatch,
// member_code_malformed, member_code_forged, member_code_expired,
// member_code_replayed, not_a_member_code, phone_invalid,
// phone_binding_unavailable, sale_not_completed, serial_not_in_sale,
// serial_ambiguous, serial_already_refunded, nothing_to_refund,
// gtin_not_in_sale, refund_exceeds_sale, invalid_receipt_no,
// receipt_other_device, receipt_not_found, unit_not_sold,
// price_above_list, invalid_discount, discount_too_large, coupon_not_in_sale,
// manager_required and refund_over_limit (forbidden), sale_already_voided,
// sale_partly_refunded.
// (exchange.completed is written by exchanges, with the refund and the sale.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "books.hpp"
#include "pricing.hpp"
#include "stock.hpp"

namespace sa::store {

struct Line {
  std::int64_t id = 0;
  std::string gtin;
  std::string serial;  // empty for a product sold by its plain GTIN
  std::string name;
  MinorUnits unit_price = 0;
  // The catalog's price when it was scanned, and the price list that sells
  // it for less to this customer (unit_price is that list's price), if any.
  MinorUnits catalog_price = 0;
  std::string price_list;       // its id
  std::string price_list_name;  // as the receipt prints it
  // A scale's label set its price (its own amount, or its weight at the
  // catalog's price per kilogram): the weight, when it carried one.
  bool label_priced = false;
  std::optional<std::int64_t> net_weight_g;
  std::int64_t qty = 0;
  MinorUnits gross = 0;  // unit_price x qty
  // What the cart's promotions took off it (pricing.hpp), in their order:
  // each promotion's id, name and amount.
  std::vector<pricing::Discount> discounts;
  MinorUnits amount = 0;  // what it sells for: gross less the discounts (plus VAT: tax_added)
  std::string signature;  // valid | absent
  // Of a completed sale: how many of the line came back (refunds,
  // exchanges, a post-void). Not part of the sale's event.
  std::int64_t refunded = 0;
  std::string name_zh;  // the catalog's Chinese name when it was sold; "" for none
  int tax_rate_bp = 0;  // its product's VAT rate when it was sold
  // Its product's price excluded VAT (tax_included false): amount is gross
  // less the discounts plus AddedVat of that.
  bool tax_added = false;
  MinorUnits vat = 0;  // IncludedVat(amount, tax_rate_bp): the added VAT too
  // A price changed at the till (a manager's action): the catalog's price
  // before it, why, and who approved it.
  struct PriceChange {
    MinorUnits list_price = 0;
    std::string reason;
    Approval approved;
  };
  std::optional<PriceChange> price_change;
};

// `qty` of `line` (a part of a plain line coming back) for `amount`: its
// gross and VAT for that many.
Line PartOf(const Line& line, std::int64_t qty, MinorUnits amount);
// The lines' amounts and VAT by rate, each line's VAT rounded on its own.
std::vector<TaxBand> TaxBands(const std::vector<Line>& lines);

struct Payment {
  std::string method;  // cash, card, wechat, alipay, unionpay, voucher
  MinorUnits amount = 0;
  std::string ref;
};

struct Member {
  std::string member_id;     // bound by member code, or claimed
  std::string phone_masked;  // bound by phone: 138****5678
  // Claimed after the till: the customer scanned the receipt's claim QR and
  // the brand's CRM bound the sale to member_id (member.claimed).
  bool claimed = false;
};

// A completed sale voided in error (a post-void): all of it comes back,
// units to the shelf and money by the sale's own methods. The sale itself
// stays as it was completed (invariant 7); this is the correction.
struct PostVoid {
  std::string id;
  std::int64_t at_ms = 0;
  std::string reason;
  Approval approved;
  MinorUnits amount = 0;
};

// A coupon scanned into the sale (CouponCode), and what it took off.
struct SaleCoupon {
  std::string id;
  std::string type;
  MinorUnits amount = 0;     // its face value
  MinorUnits min_spend = 0;  // the cart must come to this
  MinorUnits applied = 0;    // what it took off the lines (0: the cart is short of min_spend)
};

struct Sale {
  std::string id;
  std::string status;  // open | completed | voided
  std::string terminal;
  std::string currency;
  std::vector<Line> lines;
  MinorUnits total = 0;
  std::optional<Member> member;
  // The bound member's price group (a tier, "employee": a SAM2 member
  // code's); "" for none.
  std::string price_group;
  std::vector<SaleCoupon> coupons;  // in the order scanned
  // A manager's discount on the whole sale (pricing::SaleDiscount): a
  // percent or an amount, why, who approved it, and what it took off the
  // lines (their "sale:manager" discounts).
  struct Discount {
    int percent_bp = 0;
    MinorUnits amount = 0;
    std::string reason;
    Approval approved;
    MinorUnits applied = 0;
  };
  std::optional<Discount> discount;
  std::vector<Payment> payments;
  std::optional<MinorUnits> tendered;
  std::optional<MinorUnits> change;
  std::string receipt_no;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::string cashier;   // who opened it ("" when opened with the API token)
  std::string shift_id;  // the terminal's shift it was completed or voided in
  // The shopping guide (导购) who served the customer: a staff badge
  // scanned (via "badge") or a cashier of the store picked on the screen
  // ("picked"); "" for none. In sale.completed, so the brand's SCRM can
  // credit the guide and link the member to them.
  std::string guide_id;
  std::string guide_via;
  std::optional<PostVoid> post_void;
};

// What a refund paid back by one method, with the original payment's
// reference (a card or wallet refund goes back to that transaction).
struct PaidBack {
  std::string method;
  MinorUnits amount = 0;
  std::string ref;
};

// Plain items (sold by GTIN, not serial) named for a refund: how many of a
// GTIN come back.
struct ItemRef {
  std::string gtin;  // 14 digits
  std::int64_t qty = 0;
};

struct Refund {
  std::string id;
  std::string sale_id;
  std::vector<std::string> serials;
  std::vector<ItemRef> items;  // plain items, by quantity
  MinorUnits amount = 0;
  std::string currency;
  std::optional<Approval> approved;  // the manager who let it happen
  std::vector<PaidBack> payments;
};

// An exchange at the counter: units of a completed sale come back (a refund,
// `returned`) and an open cart's goods are sold instead (`sale`), in one
// transaction with one exchange.completed event. The return's value pays
// for the cart first (`credit`, the sale's "exchange" payment and the
// refund's "exchange" payment back); the customer pays what the cart costs
// more, or gets back, by the returned sale's own methods, what it costs less.
struct Exchange {
  std::string id;
  Refund returned;
  Sale sale;
  MinorUnits credit = 0;
  MinorUnits difference = 0;  // sale.total - returned.amount
};

// A refund (or post-void) as its receipt shows it: what of which sale came
// back and how the money went back.
struct RefundSlip {
  Refund refund;     // id, sale_id, amount, currency, approved, payments
  std::string kind;  // refund | void (a post-void)
  std::string sale_receipt_no;
  std::string terminal;  // where it was refunded
  std::string cashier;
  std::int64_t at_ms = 0;
  // The sale's member (bound at the till or claimed since); "" for none or
  // one bound by phone.
  std::string member_id;
  // The sale's lines that came back: qty is how many, amount what they paid.
  std::vector<Line> lines;
};

// A line of a sale and how much of it a refund or post-void takes back.
struct LineBack {
  const Line* line = nullptr;
  std::int64_t qty = 0;
  MinorUnits amount = 0;  // what they paid: the line's, or its share (pricing::ShareOf)
};

// A unit named for a refund: its serial, and its GTIN when the serial alone
// is ambiguous (a serial is unique only within its GTIN).
struct UnitRef {
  std::string serial;
  std::string gtin;                                 // optional; 14 digits when given
  UnitRef(std::string s) : serial(std::move(s)) {}  // NOLINT: a serial alone reads naturally
  UnitRef(const char* s) : serial(s) {}             // NOLINT
  UnitRef(std::string g, std::string s) : serial(std::move(s)), gtin(std::move(g)) {}
};

class Sales {
 public:
  Sales(Books& books, Stock& stock);

  // `cashier`: who opened it (a logged-in cashier's id), recorded on the sale.
  Expected<Sale> OpenSale(std::string_view terminal = {}, std::string_view cashier = {});
  Expected<Sale> GetSale(std::string_view sale_id);
  // The ids of the sales whose id starts or ends with `fragment` (4 to 36
  // of 0-9 a-f and '-': what a screen shows of an id), newest first, at most
  // `limit`. invalid_field for any other fragment.
  Expected<std::vector<std::string>> IdsMatching(std::string_view fragment, std::size_t limit);
  // The newest open sale of a terminal, if any (where a terminal's scanner scans go).
  Expected<std::optional<std::string>> OpenSaleOf(std::string_view terminal);
  // A product label adds a line; a member code scanned here binds the member.
  // The same as AddCheckedCode(sale_id, books.CheckCode(payload)).
  Expected<Sale> Scan(std::string_view sale_id, std::string_view payload);
  // The ledger half of a scan: the store's rules, then the line or the
  // binding. `override_reserved`: a manager lets the till take a unit an
  // order holds.
  // A coupon code is applied to the sale (AddCoupon).
  Expected<Sale> AddCheckedCode(std::string_view sale_id, const CheckedCode& checked,
                                const std::optional<Override>& override_reserved = std::nullopt);
  // A coupon scanned at the till: coupon_forged (no coupons.keys key signed
  // it), coupon_expired, coupon_wrong_store, coupon_used (this store
  // redeemed it), coupon_in_cart (another open sale holds it, or this one
  // does), coupon_offline_cap (coupons.offline_cap of its type redeemed and
  // not yet acknowledged by the cloud), coupon_min_spend (the cart comes to
  // less than it needs), too_many_coupons (5 a sale). Applied after the
  // promotions (pricing.hpp); redeemed when the sale completes.
  Expected<Sale> AddCoupon(std::string_view sale_id, const CouponCode& coupon,
                           codes::SignatureState signature);
  Expected<Sale> RemoveLine(std::string_view sale_id, std::int64_t line_id);
  // A line of an open sale sold below the catalog's price (damaged, a price
  // match): a manager's action, so `approved` is required by the caller. The
  // new unit price is 0 up to the line's catalog price (price_above_list),
  // with a reason (invalid_reason); the line keeps its catalog price, the
  // reason and the approval, and is never added to by a later scan. Again on
  // the same line: the catalog price stays the first one.
  Expected<Sale> ChangePrice(std::string_view sale_id, std::int64_t line_id, MinorUnits unit_price,
                             std::string_view reason, const Approval& approved);
  // A coupon taken out of an open cart again (the customer keeps it for
  // another day): coupon_not_in_sale when the sale does not hold it.
  Expected<Sale> RemoveCoupon(std::string_view sale_id, std::string_view coupon_id);
  // A manager's discount on the whole open sale (整单折扣): `percent_bp`
  // 1..10000 or `amount` > 0, one of them (invalid_discount), with a
  // reason (invalid_reason); `approved` is required by the caller. It comes
  // after the promotions and coupons (pricing.hpp) and replaces an earlier
  // one. An amount past what the sale comes to is discount_too_large; an
  // empty cart is sale_empty. It is for the cart the manager saw: a line
  // scanned in or out, a price changed or a coupon added takes it off.
  Expected<Sale> DiscountSale(std::string_view sale_id, int percent_bp, MinorUnits amount,
                              std::string_view reason, const Approval& approved);
  // The sale's discount taken off (no approval needed: the price goes up).
  Expected<Sale> RemoveDiscount(std::string_view sale_id);
  Expected<Sale> BindMemberCode(std::string_view sale_id, std::string_view payload);
  // The shopping guide of an open sale, replacing one set before: a staff
  // badge (SAG1, its signature checked: staff_code_forged, and
  // staff_code_malformed), as Scan does with one, or a cashier of this
  // store picked by id (guide_not_found for one that is not, or removed).
  Expected<Sale> SetGuide(std::string_view sale_id, const StaffCode& badge,
                          codes::SignatureState signature);
  Expected<Sale> PickGuide(std::string_view sale_id, std::string_view cashier_id);
  Expected<Sale> BindPhone(std::string_view sale_id, std::string_view phone);
  // Payments must sum to the total, or exceed it only by cash (change is
  // returned).
  Expected<Sale> Complete(std::string_view sale_id, const std::vector<Payment>& payments);
  // An open sale: the cart is dropped, by whoever sells it. A completed one
  // is a post-void: it needs a manager's `approved` (manager_required
  // without) and a reason, and the whole sale comes back as one correction
  // (sale.voided with post_void), counted in the open shift of `terminal`
  // (default: the sale's terminal). A sale refunded in part is refunded, not
  // voided (sale_partly_refunded).
  Expected<Sale> Void(std::string_view sale_id, std::string_view reason,
                      const std::optional<Approval>& approved = std::nullopt,
                      std::string_view terminal = {}, std::string_view cashier = {});
  // serial_ambiguous when a serial names two lines of the sale: pass the GTIN.
  // The refund counts in the open shift of `terminal` (default: the sale's
  // terminal) and is paid back by the sale's own methods, in payment order.
  // Who may refund is the caller's rule (sessions::Approve, and the role's
  // limit, sessions::RefundLimit); the store records `approved` and refuses
  // a refund of more than `limit` (none: any amount), before it writes
  // anything: manager_required without `approved` (a manager may approve
  // it), refund_over_limit (forbidden) with it.
  // `items`: plain items by quantity, part of a line at a time
  // (refund_exceeds_sale past what the line has left, gtin_not_in_sale).
  Expected<Refund> RefundUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                               std::string_view terminal = {}, std::string_view cashier = {},
                               const std::optional<Approval>& approved = std::nullopt,
                               const std::vector<ItemRef>& items = {},
                               std::optional<MinorUnits> limit = std::nullopt);
  // An exchange (see Exchange): `units` and `items` of completed sale
  // `sale_id` come back as RefundUnits takes them, and open sale `cart_id`
  // is completed with the return's value as its first payment and
  // `payments` for the rest (payment_mismatch when they do not cover it, or
  // when nothing is owed and payments are given). Who may exchange is the
  // caller's rule, as for refunds; the store records `approved`. Nothing of
  // it is written unless all of it is.
  Expected<Exchange> ExchangeUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                                   const std::vector<ItemRef>& items, std::string_view cart_id,
                                   const std::vector<Payment>& payments,
                                   std::string_view terminal = {}, std::string_view cashier = {},
                                   const std::optional<Approval>& approved = std::nullopt);
  // A print of the sale's receipt is about to go to the printer: how many
  // went before it (0: this one is the original; more: a copy, marked so).
  // Counted now, so two prints at once are one original and one copy.
  Expected<std::int64_t> ClaimPrint(std::string_view sale_id);
  // The original never reached the paper (the printer refused it): the next
  // print is the original again. Nothing for a copy.
  Expected<void> UnclaimPrint(std::string_view sale_id);
  // A refund's receipt: refund_not_found for an unknown id.
  Expected<RefundSlip> GetRefundSlip(std::string_view refund_id);
  // A sale by its receipt number (what the receipt prints and its QR
  // carries): invalid_receipt_no for what is not one, receipt_other_device
  // for another device's, receipt_not_found for one this device never printed.
  Expected<Sale> FindByReceipt(std::string_view receipt_no);
  // The sale a unit was sold in, by its label's GTIN and serial:
  // unit_not_sold when it is not sold (on the shelf, or never seen).
  Expected<Sale> FindByUnit(std::string_view gtin14, std::string_view serial);

 private:
  // What payments add up to, and their cash part.
  struct Tender {
    MinorUnits paid = 0;
    MinorUnits cash = 0;
  };
  // Each payment's method, amount and ref, summed into `tender`.
  static std::optional<Error> CheckTender(const std::vector<Payment>& payments, Tender& tender);
  // payment_mismatch unless `tender` pays `due`, exceeding it only by cash.
  static std::optional<Error> CheckCovers(const Tender& tender, MinorUnits due);
  // Refusals of a refund request before the ledger is read.
  static std::optional<Error> CheckReturn(const std::vector<UnitRef>& units,
                                          const std::vector<ItemRef>& items,
                                          std::string_view terminal);
  // All throw ledger::Failure; they run inside a transaction.
  // Completes open, non-empty `sale` paid by `payments` (checked to cover it
  // with `change`): its units sold, stock moved, a receipt number, the
  // shift. `phone_hash`: the bound phone's, for sale.completed.
  Expected<Sale> Settle(const Sale& sale, const std::vector<Payment>& payments, MinorUnits change,
                        std::int64_t now, std::string& phone_hash);
  // A completed sale that may be refunded: sale_not_found,
  // sale_not_completed, sale_already_voided.
  Expected<Sale> Refundable(std::string_view sale_id);
  Sale LoadSale(std::string_view sale_id);
  std::optional<std::string> SaleStatus(std::string_view sale_id);
  // sale_not_found or sale_not_open, or nothing when the sale takes changes.
  std::optional<Error> CheckOpen(std::string_view sale_id);
  // Why this serialised unit may not go into the sale (revoked, diverted and
  // refused, in a cart, sold), or nothing.
  std::optional<Error> UnitRefusal(std::string_view sale_id, const codes::Code& code);
  // What a scale's label sells its item for (codes::Measure), nothing for
  // any other label; not_variable_measure (a fixed-price GTIN),
  // label_currency, label_price_mismatch or label_price_unknown when it
  // cannot be sold by it.
  Expected<std::optional<MinorUnits>> LabelPrice(const codes::Code& code, const Product& product);
  void AddLine(std::string_view sale_id, const codes::Code& code, const Product& product,
               codes::SignatureState signature, std::optional<MinorUnits> label_price = {});
  Expected<Sale> BindMember(std::string_view sale_id, const codes::Code& code,
                            codes::SignatureState signature);
  // The lines of `sale` that `units` and `items` name, each unit once and
  // not yet refunded, each plain line up to what it has left.
  Expected<std::vector<LineBack>> RefundedLines(const Sale& sale, const std::vector<UnitRef>& units,
                                                const std::vector<ItemRef>& items);
  // A refund of `lines` of `sale` (id, amount, serials and items); not
  // written yet.
  Refund NewRefund(const Sale& sale, const std::vector<LineBack>& lines,
                   const std::optional<Approval>& approved);
  // The cart priced again at `now` (a line added, removed or repriced, the
  // sale completed): each line's discounts from the promotions running then
  // (pricing.hpp), and the sale's total. How many lines it has.
  std::int64_t Reprice(std::string_view sale_id, std::int64_t now);
  // Whether the cart could price differently at `now` than when Reprice
  // last priced it: a promotion or price list written since, or one that
  // started or ended in between (or the clock went back).
  bool PricesMayHaveMoved(std::string_view sale_id, std::int64_t now);
  // A cart line as Reprice reads it, beside its pricing::Item.
  struct CartLine {
    int tax_rate_bp = 0;
    bool tax_added = false;
    MinorUnits discount = 0;  // the sum of its discounts as written
    MinorUnits catalog = 0;   // its catalog price
    std::string list;         // the price list it sells at ("": none)
    std::string list_name;
    bool label_priced = false;
    bool price_moved = false;  // its unit price or list changed: to be written
  };
  // Each line not priced by hand at the lowest of its catalog price and the
  // price lists in force at `now` for the sale's groups (pricing.hpp): the
  // items' unit prices and the lines' lists set, the moved ones marked.
  void GroupPrices(std::string_view sale_id, std::int64_t now, std::vector<pricing::Item>& items,
                   std::vector<CartLine>& lines);
  // The sale's coupons as pricing applies them, in order.
  std::vector<pricing::Coupon> CouponsOf(std::string_view sale_id);
  // The manager's discount on the sale as pricing applies it, if any.
  std::optional<pricing::SaleDiscount> SaleDiscountOf(std::string_view sale_id);
  // The cart changed under the manager's discount: it is taken off.
  void DropSaleDiscount(std::string_view sale_id);
  // coupon_offline_cap when this store holds `cap` redemptions of `type`
  // the cloud has not acknowledged (`adding`: counting one more).
  std::optional<Error> OverOfflineCap(const std::string& type, std::int64_t adding);
  // Whether the ledger holds exactly `priced`'s discounts for the sale.
  bool SameDiscounts(std::string_view sale_id, const std::vector<pricing::Priced>& priced);
  // The sale's discount rows replaced by `priced`'s (`any_before`: it had
  // some). Each line's sum is written by Reprice.
  void WriteDiscounts(std::string_view sale_id, const std::vector<pricing::Priced>& priced,
                      bool any_before);
  static Error NoLine(std::string_view sale_id, std::int64_t line_id);
  // Why `refund` is more than `limit` lets its approver pay back.
  static Error OverLimit(const Refund& refund, MinorUnits limit);
  // How many of a plain line earlier refunds took back.
  std::int64_t QtyRefunded(std::int64_t line_id);
  // The methods `sale` was paid by, net of change, an exchange credit
  // replaced by the methods of the sale returned for it, in payment order.
  std::vector<PaidBack> MethodsOf(const Sale& sale);
  // MethodsOf less what refunds and exchanges already took of each.
  std::vector<PaidBack> Capacity(const Sale& sale);
  // `owed` taken from `left` in order (and taken off `left`).
  static std::vector<PaidBack> Allocate(std::vector<PaidBack>& left, MinorUnits owed);
  // Writes the refund (kind refund or void) and its payments back, and puts
  // `lines` back in stock: serialised units to in_stock, plain items by
  // their quantity. With `exchange`, its credit pays for the exchange's
  // cart (an "exchange" payment back) and only the rest is paid back.
  struct ExchangeCredit {
    std::string id;
    std::string cart_id;
    MinorUnits credit = 0;
  };
  std::vector<PaidBack> TakeBack(const Sale& sale, const Refund& refund,
                                 const std::vector<LineBack>& lines, std::string_view kind,
                                 std::string_view terminal, std::string_view cashier,
                                 std::string_view reason, const ExchangeCredit* exchange = nullptr);
  Expected<Sale> VoidCompleted(std::string_view sale_id, std::string_view reason,
                               const Approval& approved, std::string_view terminal,
                               std::string_view cashier);

  Books& books_;
  Stock& stock_;
  ledger::Database& db_;
  const Config& config_;
};

// A phone number as the ledger keeps it: "138****5678".
std::string MaskPhone(std::string_view digits);

// Sale and refund as JSON objects (the API's answers, storectl, events).
std::string SaleJson(const Sale& sale);
std::string RefundJson(const Refund& refund);
std::string ExchangeJson(const Exchange& exchange);

}  // namespace sa::store
