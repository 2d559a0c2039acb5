// SPDX-License-Identifier: Apache-2.0
// What the API takes in a request body, checked: each route's body read into
// plain values, or invalid_request errors (400: invalid_json, missing_field,
// invalid_field, amount_overflow, invalid_gtin, invalid_pin,
// invalid_cashier_id) before anything reaches the store. RESTinio-free, so
// the api_body fuzzer calls these very functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "store.hpp"

namespace sa::api::request {

// An empty body, or one that is a JSON object (whatever it holds): for the
// routes that take nothing.
Expected<void> Nothing(std::string_view body);

struct OpenSale {
  std::optional<std::string> terminal;
};
Expected<OpenSale> ParseOpenSale(std::string_view body);

struct Scan {
  std::string payload;
  std::optional<store::Override> override_reserved;  // {"manager","reason"}
};
Expected<Scan> ParseScan(std::string_view body);

// Exactly one of a member code and a phone number.
struct Member {
  std::optional<std::string> payload;
  std::optional<std::string> phone;
};
Expected<Member> ParseMember(std::string_view body);

// Exactly one of a staff badge ("payload", SAG1) and a cashier's id picked
// on the screen ("cashier_id").
struct Guide {
  std::optional<std::string> payload;
  std::optional<std::string> cashier_id;
};
Expected<Guide> ParseGuide(std::string_view body);

Expected<std::vector<store::Payment>> ParsePayments(std::string_view body);

// A manager's PIN for this one action: {"approval":{"manager","pin"}}, in
// any manager action's body (refund, void, release, a scan with override).
// Nothing when the body has none.
Expected<std::optional<store::PinApproval>> ParseApproval(std::string_view body);

// An optional free-text reason (void, reject, release); the store bounds it.
Expected<std::string> ParseReason(std::string_view body);

// The sale by "sale_id" or by "receipt_no" (exactly one); units by
// "serials", plain items by "items":[{"gtin","qty"}] (at least one of them).
struct Refund {
  std::string sale_id;
  std::string receipt_no;
  std::vector<store::UnitRef> units;
  std::vector<store::ItemRef> items;
  std::optional<std::string> terminal;
};
Expected<Refund> ParseRefund(std::string_view body);

// POST /v1/exchanges: what comes back, as a refund names it; the open cart
// of what goes out instead; payments of what the cart costs more.
struct Exchange {
  Refund back;
  std::string cart_id;
  std::vector<store::Payment> payments;
};
Expected<Exchange> ParseExchange(std::string_view body);

// How a sale to refund is looked up: GET /v1/sales?receipt_no=… or ?code=…
// (a sold unit's label), exactly one.
struct SaleLookup {
  std::optional<std::string> receipt_no;
  std::optional<std::string> code;
};
Expected<SaleLookup> ParseSaleLookup(const std::map<std::string, std::string>& query);

// {"payload"}: a code (receive, pick).
Expected<std::string> ParsePayload(std::string_view body);

struct Count {
  std::string gtin;  // GTIN-14
  std::int64_t counted = 0;
};
Expected<Count> ParseCount(std::string_view body);

struct Shipment {
  std::string carrier;
  std::string tracking_no;
};
Expected<Shipment> ParseShipment(std::string_view body);
Expected<std::string> ParsePickupCode(std::string_view body);

struct Mode {
  std::string mode;  // sale | receive | count | pick
  std::string order_id;
  bool discard = false;
};
Expected<Mode> ParseMode(std::string_view body);

struct Login {
  std::string cashier;
  std::string pin;
  std::string terminal;
};
Expected<Login> ParseLogin(std::string_view body);

struct NewCashier {
  std::string id;
  std::string name;
  std::string role;
  std::string pin;
};
Expected<NewCashier> ParseNewCashier(std::string_view body);
Expected<std::string> ParsePin(std::string_view body);

struct OpenShift {
  std::optional<std::string> terminal;
  MinorUnits opening_float = 0;
};
// `terminal_required`: the caller's session names no terminal.
Expected<OpenShift> ParseOpenShift(std::string_view body, bool terminal_required);
Expected<MinorUnits> ParseCountedCash(std::string_view body);

// A line's price changed at the till: {"unit_price","reason","approval"?}
// (the store bounds the reason and the price).
struct PriceChange {
  MinorUnits unit_price = 0;
  std::string reason;
};
Expected<PriceChange> ParsePriceChange(std::string_view body);

// A manager's discount on the whole sale: {"percent_bp"|"amount","reason",
// "approval"?}, one of percent_bp and amount (the store bounds them).
struct SaleDiscount {
  int percent_bp = 0;
  MinorUnits amount = 0;
  std::string reason;
};
Expected<SaleDiscount> ParseSaleDiscount(std::string_view body);

// GTIN text in a path or a body: invalid_gtin unless 8, 12, 13 or 14 digits
// with a good check digit; the GTIN-14 otherwise.
Expected<std::string> Gtin14(std::string_view text);

// POST /v1/online-returns: an online order's units brought to the counter:
// {"order_no","serials":[...],"refund_via"?:"cloud"|"cash","terminal"?,
// "approval"?}. 1-100 serials, each once.
struct OnlineReturn {
  std::string order_no;
  std::vector<std::string> serials;
  std::string refund_via = "cloud";
  std::optional<std::string> terminal;
};
Expected<OnlineReturn> ParseOnlineReturn(std::string_view body);

// GET /v1/online-orders?number=… or ?code=… (a unit's scanned label), exactly one.
struct OnlineOrderLookup {
  std::optional<std::string> number;
  std::optional<std::string> code;
};
Expected<OnlineOrderLookup> ParseOnlineOrderLookup(const std::map<std::string, std::string>& query);

}  // namespace sa::api::request
