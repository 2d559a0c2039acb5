// SPDX-License-Identifier: Apache-2.0
// Orders the OMS routes to the store, end to end: oms-sim offers them, the
// real agent pulls them, the API accepts, picks, ships or hands them over,
// and every step reaches the cloud in order. The till cannot sell what an
// order holds unless a manager overrides; a cancel puts picked units back
// on sale, or is refused once they left. Bad input changes nothing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cloud_support.hpp"
#include "daemon_support.hpp"

using namespace sa::testing;

namespace {

// A GTIN with a good check digit that is not in the agent's catalog.
constexpr const char* kUnknownGtin = "05901234123457";

std::string Body(const json& j) { return j.dump(); }

std::string ErrorCode(const HttpReply& r) {
  const json j = r.json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

void SetStock(const Cloud& cloud, const std::string& gtin, int on_hand) {
  const auto r = cloud.Admin("POST", "/admin/v1/stores/s1/stock",
                             Body({{"gtin", gtin}, {"on_hand", on_hand}}));
  REQUIRE(r.status / 100 == 2);
}

void OfferOrder(const Cloud& cloud, const std::string& id, const std::string& kind,
                const std::string& gtin, int qty, int ttl_s = 600,
                const std::string& pickup_code = "") {
  json order = {{"id", id},
                {"kind", kind},
                {"lines", json::array({{{"gtin", gtin}, {"qty", qty}}})},
                {"ttl_s", ttl_s}};
  if (!pickup_code.empty()) order["pickup_code"] = pickup_code;
  const auto r = cloud.Admin("POST", "/admin/v1/stores/s1/orders", Body(order));
  REQUIRE(r.status / 100 == 2);
}

void CancelOrder(const Cloud& cloud, const std::string& id) {
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/orders/" + id + "/cancel", "{}").status / 100 ==
          2);
}

json Stock(const Agent& agent, const std::string& gtin) {
  const auto r = agent.api().Get("/v1/stock/" + gtin);
  REQUIRE(r.status == 200);
  return r.json();
}

json Order(const Agent& agent, const std::string& id) {
  const auto r = agent.api().Get("/v1/reservations/" + id);
  REQUIRE(r.status == 200);
  return r.json();
}

HttpReply Step(const Agent& agent, const std::string& id, const std::string& action,
               const json& body = json::object(), const std::string& key = "") {
  return agent.api().Post("/v1/reservations/" + id + "/" + action, Body(body), key);
}

std::string OpenSale(const Agent& agent) {
  const auto r = agent.api().Post("/v1/sales", "{}");
  REQUIRE(r.status == 201);
  return r.json().at("id");
}

HttpReply ScanInto(const Agent& agent, const std::string& sale, const std::string& payload,
                   const json& override_reserved = nullptr) {
  json body = {{"payload", payload}};
  if (!override_reserved.is_null()) body["override"] = override_reserved;
  return agent.api().Post("/v1/sales/" + sale + "/scans", Body(body));
}

std::vector<std::string> Types(const json& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.at("type"));
  return out;
}

// Where `type` first is in the cloud's ledger, or -1.
long IndexOf(const std::vector<std::string>& types, const std::string& type) {
  const auto it = std::find(types.begin(), types.end(), type);
  return it == types.end() ? -1 : static_cast<long>(it - types.begin());
}

// The first event of `type` the cloud holds (null when none).
json FirstEvent(const json& events, const std::string& type) {
  for (const auto& e : events) {
    if (e.at("type") == type) return e;
  }
  return nullptr;
}

// What oms-sim refused (shown when an expected event is missing).
std::string Rejected(const Cloud& cloud) {
  return cloud.Admin("GET", "/admin/v1/stores/s1/rejected").body;
}

std::string Joined(const std::vector<std::string>& types) {
  std::string out;
  for (const auto& t : types) out += (out.empty() ? "" : ", ") + t;
  return out;
}

std::int64_t LastSeq(const Agent& agent) { return agent.SyncStatus().at("last_seq"); }

}  // namespace

TEST_CASE(
    "reservations: a ship-from-store order is accepted held against the till picked and shipped",
    "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  const Api& api = agent.api();

  // The unit the order will take, scanned in at the stockroom first.
  const auto received = api.Post("/v1/stock/receive", Body({{"payload", UnitCode(kScarf, "R1")}}));
  REQUIRE(received.status == 200);
  CHECK(received.json().at("gtin") == kScarf);
  CHECK(received.json().at("serial") == "R1");
  CHECK(received.json().at("on_hand") == 1);

  SetStock(cloud, kScarf, 1);
  OfferOrder(cloud, "o-1", "ship_from_store", kScarf, 1, 600);
  REQUIRE(agent.Drain());

  const auto listed = api.Get("/v1/reservations");
  REQUIRE(listed.status == 200);
  const json list = listed.json().at("reservations");
  REQUIRE(list.size() == 1);
  const json offered = list[0];
  CHECK(offered.at("id") == "o-1");
  CHECK(offered.at("kind") == "ship_from_store");
  CHECK(offered.at("status") == "offered");
  CHECK(offered.at("ttl_s") == 600);
  CHECK(offered.at("offered_at").is_string());
  CHECK(offered.at("accepted_at").is_null());
  CHECK(offered.at("expires_at").is_null());
  CHECK(offered.at("closed_at").is_null());
  CHECK(offered.at("cancel_requested") == false);
  REQUIRE(offered.at("lines").size() == 1);
  CHECK(offered.at("lines")[0].at("line_no") == 1);
  CHECK(offered.at("lines")[0].at("gtin") == kScarf);
  CHECK(offered.at("lines")[0].at("qty") == 1);
  CHECK(offered.at("lines")[0].at("picked").empty());
  CHECK(Order(agent, "o-1") == offered);

  const auto accepted = Step(agent, "o-1", "accept");
  REQUIRE(accepted.status == 200);
  CHECK(accepted.json().at("status") == "accepted");
  CHECK(accepted.json().at("accepted_at").is_string());
  CHECK(accepted.json().at("expires_at").is_string());

  json stock = Stock(agent, kScarf);
  CHECK(stock.at("gtin") == kScarf);
  CHECK(stock.at("on_hand") == 1);
  CHECK(stock.at("reserved") == 1);
  CHECK(stock.at("available") == 0);
  CHECK(stock.at("picked") == 0);

  // The till: the one scarf in stock is the order's.
  const std::string sale = OpenSale(agent);
  const auto refused = ScanInto(agent, sale, UnitCode(kScarf, "S2"));
  CHECK(refused.status == 409);
  CHECK(ErrorCode(refused) == "stock_reserved");
  CHECK(api.Get("/v1/sales/" + sale).json().at("lines").empty());
  // A manager lets it go.
  const auto overridden = ScanInto(agent, sale, UnitCode(kScarf, "S2"),
                                   {{"manager", "mgr-li"}, {"reason", "customer at the till"}});
  REQUIRE(overridden.status == 200);
  CHECK(overridden.json().at("lines").size() == 1);

  // Pick the received unit.
  const auto picked = Step(agent, "o-1", "pick", {{"payload", UnitCode(kScarf, "R1")}});
  REQUIRE(picked.status == 200);
  CHECK(picked.json().at("status") == "picked");
  CHECK(picked.json().at("lines")[0].at("picked") == json::array({"R1"}));
  stock = Stock(agent, kScarf);
  CHECK(stock.at("reserved") == 1);
  CHECK(stock.at("picked") == 1);
  // A picked unit is not for sale, override or not.
  CHECK(ScanInto(agent, sale, UnitCode(kScarf, "R1")).status == 409);

  const auto shipped =
      Step(agent, "o-1", "ship", {{"carrier", "SF"}, {"tracking_no", "SF1234567"}});
  REQUIRE(shipped.status == 200);
  CHECK(shipped.json().at("status") == "shipped");
  CHECK(shipped.json().at("carrier") == "SF");
  CHECK(shipped.json().at("tracking_no") == "SF1234567");
  CHECK(shipped.json().at("closed_at").is_string());

  stock = Stock(agent, kScarf);
  CHECK(stock.at("on_hand") == 0);  // one fewer: it left the store
  CHECK(stock.at("reserved") == 0);
  CHECK(stock.at("picked") == 0);

  // Closed orders are listed only when asked for.
  CHECK(api.Get("/v1/reservations").json().at("reservations").empty());
  const json all = api.Get("/v1/reservations?all=1").json().at("reservations");
  REQUIRE(all.size() == 1);
  CHECK(all[0].at("status") == "shipped");

  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  const auto types = Types(events);
  INFO("cloud events: " << Joined(types) << "\nrejected: " << Rejected(cloud));
  const long acc = IndexOf(types, "reservation.accepted");
  const long pick = IndexOf(types, "reservation.picked");
  const long ship = IndexOf(types, "reservation.shipped");
  CHECK(IndexOf(types, "stock.received") >= 0);
  CHECK(acc >= 0);
  CHECK(acc < pick);
  CHECK(pick < ship);
  const json shipped_event = FirstEvent(events, "reservation.shipped");
  REQUIRE(shipped_event.is_object());
  CHECK(shipped_event.at("payload").at("order_id") == "o-1");
  CHECK(shipped_event.at("payload").at("tracking_no") == "SF1234567");
  const json override_event = FirstEvent(events, "stock.override");
  REQUIRE(override_event.is_object());
  CHECK(override_event.at("payload").at("manager") == "mgr-li");
  CHECK(override_event.at("payload").at("sale_id") == sale);
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
}

TEST_CASE("reservations: a pickup order is handed over only with its pickup code",
          "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kTea, 2);
  OfferOrder(cloud, "p-1", "pickup", kTea, 1, 600, "PK-4711");
  REQUIRE(agent.Drain());

  // An accept sent twice with one Idempotency-Key is applied once.
  const auto first = Step(agent, "p-1", "accept", json::object(), "accept-p-1");
  REQUIRE(first.status == 200);
  const auto again = Step(agent, "p-1", "accept", json::object(), "accept-p-1");
  CHECK(again.status == 200);
  CHECK(again.body == first.body);
  CHECK(Stock(agent, kTea).at("reserved") == 1);

  REQUIRE(Step(agent, "p-1", "pick", {{"payload", UnitCode(kTea, "T1")}}).status == 200);
  const json before = Order(agent, "p-1");
  CHECK(before.at("status") == "picked");

  const auto wrong = Step(agent, "p-1", "handover", {{"pickup_code", "0000"}});
  CHECK(wrong.status == 422);
  CHECK(ErrorCode(wrong) == "pickup_code_mismatch");
  const auto shipped = Step(agent, "p-1", "ship", {{"carrier", "SF"}, {"tracking_no", "1"}});
  CHECK(shipped.status == 409);  // a pickup order is not shipped
  CHECK(Order(agent, "p-1") == before);
  CHECK(Stock(agent, kTea).at("on_hand") == 2);

  const auto handed = Step(agent, "p-1", "handover", {{"pickup_code", "PK-4711"}});
  REQUIRE(handed.status == 200);
  CHECK(handed.json().at("status") == "handed_over");
  CHECK(handed.json().at("closed_at").is_string());
  const json stock = Stock(agent, kTea);
  CHECK(stock.at("on_hand") == 1);
  CHECK(stock.at("reserved") == 0);
  CHECK(stock.at("available") == 1);

  REQUIRE(agent.Drain());
  const auto types = Types(cloud.Events("s1"));
  INFO("cloud events: " << Joined(types));
  CHECK(std::count(types.begin(), types.end(), "reservation.accepted") == 1);
  CHECK(IndexOf(types, "reservation.picked") < IndexOf(types, "reservation.handed_over"));
  CHECK(IndexOf(types, "reservation.picked") >= 0);
}

TEST_CASE("reservations: a rejected order carries its reason to the cloud",
          "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kScarf, 1);
  OfferOrder(cloud, "r-1", "ship_from_store", kScarf, 1);
  REQUIRE(agent.Drain());

  const auto rejected = Step(agent, "r-1", "reject", {{"reason", "no staff today"}});
  REQUIRE(rejected.status == 200);
  CHECK(rejected.json().at("status") == "rejected");
  CHECK(rejected.json().at("reason") == "no staff today");
  CHECK(rejected.json().at("closed_at").is_string());
  // Rejected is final.
  const auto accept = Step(agent, "r-1", "accept");
  CHECK(accept.status == 409);
  CHECK(Order(agent, "r-1").at("status") == "rejected");
  CHECK(Stock(agent, kScarf).at("reserved") == 0);
  CHECK(agent.api().Get("/v1/reservations").json().at("reservations").empty());

  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  const json e = FirstEvent(events, "reservation.rejected");
  INFO("cloud events: " << Joined(Types(events)));
  REQUIRE(e.is_object());
  CHECK(e.at("payload").at("order_id") == "r-1");
  CHECK(e.at("payload").at("reason") == "no staff today");
  CHECK(IndexOf(Types(events), "reservation.accepted") == -1);
}

TEST_CASE("reservations: a cancel from the cloud after picking puts the unit back on sale",
          "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kScarf, 1);
  OfferOrder(cloud, "c-1", "ship_from_store", kScarf, 1);
  REQUIRE(agent.Drain());
  REQUIRE(Step(agent, "c-1", "accept").status == 200);
  REQUIRE(Step(agent, "c-1", "pick", {{"payload", UnitCode(kScarf, "C1")}}).status == 200);
  {
    // Picked: not for sale.
    const std::string sale = OpenSale(agent);
    CHECK(ScanInto(agent, sale, UnitCode(kScarf, "C1")).status == 409);
    REQUIRE(agent.api().Post("/v1/sales/" + sale + "/void", "{}").status == 200);
  }

  CancelOrder(cloud, "c-1");
  REQUIRE(agent.Drain());
  const json order = Order(agent, "c-1");
  CHECK(order.at("status") == "cancelled");
  CHECK(order.at("reason") == "cancelled");
  CHECK(order.at("cancel_requested") == true);
  CHECK(order.at("lines")[0].at("picked").empty());
  const json stock = Stock(agent, kScarf);
  CHECK(stock.at("on_hand") == 1);
  CHECK(stock.at("reserved") == 0);
  CHECK(stock.at("available") == 1);
  CHECK(stock.at("picked") == 0);
  // The unit that was picked sells now.
  CHECK(agent.SellUnit(kScarf, "C1").status == 200);
  // And the order cannot be taken up again.
  CHECK(Step(agent, "c-1", "pick", {{"payload", UnitCode(kScarf, "C2")}}).status == 409);

  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  const auto types = Types(events);
  INFO("cloud events: " << Joined(types));
  const json released = FirstEvent(events, "reservation.released");
  REQUIRE(released.is_object());
  CHECK(released.at("payload").at("order_id") == "c-1");
  CHECK(released.at("payload").at("reason") == "cancelled");
  CHECK(IndexOf(types, "reservation.picked") < IndexOf(types, "reservation.released"));
  CHECK(IndexOf(types, "reservation.released") < IndexOf(types, "sale.completed"));
}

TEST_CASE("reservations: a cancel after shipping is refused and the order stays shipped",
          "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kScarf, 1);
  OfferOrder(cloud, "x-1", "ship_from_store", kScarf, 1);
  REQUIRE(agent.Drain());
  REQUIRE(Step(agent, "x-1", "accept").status == 200);
  REQUIRE(Step(agent, "x-1", "pick", {{"payload", UnitCode(kScarf, "X1")}}).status == 200);
  REQUIRE(Step(agent, "x-1", "ship", {{"carrier", "EMS"}, {"tracking_no", "E1"}}).status == 200);

  CancelOrder(cloud, "x-1");
  REQUIRE(agent.Drain());
  const json order = Order(agent, "x-1");
  CHECK(order.at("status") == "shipped");
  CHECK(order.at("cancel_requested") == true);
  CHECK(order.at("carrier") == "EMS");
  const json stock = Stock(agent, kScarf);
  CHECK(stock.at("on_hand") == 0);
  CHECK(stock.at("reserved") == 0);

  const json events = cloud.Events("s1");
  INFO("cloud events: " << Joined(Types(events)) << "\nrejected: " << Rejected(cloud));
  const json refused = FirstEvent(events, "reservation.cancel_refused");
  REQUIRE(refused.is_object());
  CHECK(refused.at("payload").at("order_id") == "x-1");
  CHECK(refused.at("payload").at("status") == "shipped");
  CHECK(IndexOf(Types(events), "reservation.released") == -1);
}

TEST_CASE("reservations: an accepted order whose TTL lapses gives its stock back",
          "[cloud][reservations]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kTea, 1);
  OfferOrder(cloud, "e-1", "ship_from_store", kTea, 1, /*ttl_s=*/1);
  REQUIRE(agent.Drain());
  REQUIRE(Step(agent, "e-1", "accept").status == 200);
  // The agent's own sweep (every few seconds) expires it and says so.
  REQUIRE_FALSE(agent.process().WaitForLog(R"("msg":"reservations expired")").empty());
  const json order = Order(agent, "e-1");
  CHECK(order.at("status") == "expired");
  CHECK(order.at("closed_at").is_string());
  const json stock = Stock(agent, kTea);
  CHECK(stock.at("reserved") == 0);
  CHECK(stock.at("available") == 1);
  CHECK(Step(agent, "e-1", "pick", {{"payload", UnitCode(kTea, "E1")}}).status == 409);
  REQUIRE(agent.Drain());
  CHECK(IndexOf(Types(cloud.Events("s1")), "reservation.expired") >= 0);
}

TEST_CASE("reservations: bad input on the stock and order routes changes nothing",
          "[cloud][reservations][bad_input]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  const Api& api = agent.api();
  SetStock(cloud, kScarf, 2);
  SetStock(cloud, kTea, 1);
  OfferOrder(cloud, "b-1", "ship_from_store", kScarf, 1);
  OfferOrder(cloud, "b-2", "ship_from_store", kTea, 1);
  REQUIRE(agent.Drain());
  REQUIRE(Step(agent, "b-1", "accept").status == 200);
  const std::string sale = OpenSale(agent);

  const json b1 = Order(agent, "b-1");
  const json b2 = Order(agent, "b-2");
  const json scarf = Stock(agent, kScarf);
  const json tea = Stock(agent, kTea);
  const std::int64_t seq = LastSeq(agent);

  struct Case {
    std::string method, path, body;
    long status;
    std::string code;  // "" = any
  };
  const std::string unit = Body({{"payload", UnitCode(kScarf, "B1")}});
  const std::string long_text(65, 'x');
  const std::vector<Case> cases = {
      // unknown ids and routes
      {"GET", "/v1/reservations/nope", "", 404, "reservation_not_found"},
      {"POST", "/v1/reservations/nope/accept", "{}", 404, "reservation_not_found"},
      {"POST", "/v1/reservations/nope/pick", unit, 404, "reservation_not_found"},
      {"POST", "/v1/reservations/nope/release", "", 404, "reservation_not_found"},
      {"POST", "/v1/reservations/%ZZ/accept", "{}", 404, "reservation_not_found"},
      {"POST", "/v1/reservations/b-1/frobnicate", "{}", 404, "not_found"},
      {"POST", "/v1/reservations/b-1/accept/now", "{}", 404, "not_found"},
      {"GET", "/v1/reservations/b-1/accept", "", 405, "method_not_allowed"},
      {"DELETE", "/v1/reservations/b-1", "", 405, "method_not_allowed"},
      {"POST", "/v1/reservations", "{}", 405, "method_not_allowed"},
      {"POST", "/v1/stock/" + std::string(kScarf), "{}", 405, "method_not_allowed"},
      {"GET", "/v1/stock/receive", "", 405, "method_not_allowed"},
      {"GET", "/v1/stock/" + std::string(kScarf) + "/x", "", 404, "not_found"},
      // wrong state
      {"POST", "/v1/reservations/b-1/accept", "{}", 409, "reservation_state"},
      {"POST", "/v1/reservations/b-1/reject", Body({{"reason", "late"}}), 409, "reservation_state"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"carrier", "SF"}, {"tracking_no", "1"}}), 409,
       "reservation_state"},
      {"POST", "/v1/reservations/b-1/handover", Body({{"pickup_code", "1"}}), 409, ""},
      {"POST", "/v1/reservations/b-2/release", "{}", 409, "reservation_state"},
      {"POST", "/v1/reservations/b-2/pick", Body({{"payload", UnitCode(kTea, "B2")}}), 409,
       "reservation_state"},
      // bad JSON, missing and mistyped fields
      {"POST", "/v1/reservations/b-1/pick", "{not json", 400, "invalid_json"},
      {"POST", "/v1/reservations/b-1/pick", "[1]", 400, "invalid_json"},
      {"POST", "/v1/reservations/b-1/pick", "", 400, "invalid_json"},
      {"POST", "/v1/reservations/b-1/pick", "{}", 400, "missing_field"},
      {"POST", "/v1/reservations/b-1/pick", Body({{"payload", 5}}), 400, "invalid_field"},
      {"POST", "/v1/reservations/b-2/accept", "{oops", 400, "invalid_json"},
      {"POST", "/v1/reservations/b-2/reject", Body({{"reason", 7}}), 400, "invalid_field"},
      {"POST", "/v1/reservations/b-1/release", "nope", 400, "invalid_json"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"carrier", "SF"}}), 400, "missing_field"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"tracking_no", "1"}}), 400, "missing_field"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"carrier", ""}, {"tracking_no", "1"}}), 400,
       "invalid_field"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"carrier", "SF"}, {"tracking_no", long_text}}),
       400, "invalid_field"},
      {"POST", "/v1/reservations/b-1/ship", Body({{"carrier", 1}, {"tracking_no", "1"}}), 400,
       "invalid_field"},
      {"POST", "/v1/reservations/b-1/handover", "{}", 400, "missing_field"},
      {"GET", "/v1/reservations?all=maybe", "", 400, "invalid_field"},
      {"GET", "/v1/reservations?limit=0", "", 400, "invalid_field"},
      // codes that are not this order's unit
      {"POST", "/v1/reservations/b-1/pick", Body({{"payload", "not a label"}}), 422, ""},
      {"POST", "/v1/reservations/b-1/pick", Body({{"payload", UnitCode(kTea, "B3")}}), 422,
       "gtin_not_in_order"},
      {"POST", "/v1/reservations/b-1/pick", Body({{"payload", kScarf}}), 422, ""},
      // stock routes
      {"GET", "/v1/stock/123", "", 400, "invalid_gtin"},
      {"GET", "/v1/stock/09506000134353", "", 400, "invalid_gtin"},
      {"GET", "/v1/stock/abc", "", 400, "invalid_gtin"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kScarf}}), 400, "missing_field"},
      {"POST", "/v1/stock/counts", Body({{"counted", 1}}), 400, "missing_field"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kScarf}, {"counted", -1}}), 400, "invalid_field"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kScarf}, {"counted", "3"}}), 400,
       "invalid_field"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kScarf}, {"counted", 1.5}}), 400,
       "invalid_field"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kScarf}, {"counted", 18446744073709551615ULL}}),
       400, "invalid_field"},
      {"POST", "/v1/stock/counts", Body({{"gtin", "123"}, {"counted", 1}}), 400, "invalid_gtin"},
      {"POST", "/v1/stock/counts", Body({{"gtin", kUnknownGtin}, {"counted", 1}}), 422,
       "unknown_product"},
      {"POST", "/v1/stock/counts", "{", 400, "invalid_json"},
      {"POST", "/v1/stock/receive", "{}", 400, "missing_field"},
      {"POST", "/v1/stock/receive", Body({{"payload", "not a label"}}), 422, ""},
      {"POST", "/v1/stock/receive", Body({{"payload", UnitCode(kUnknownGtin, "U1")}}), 422,
       "unknown_product"},
      // a malformed override at the till
      {"POST", "/v1/sales/" + sale + "/scans",
       Body({{"payload", UnitCode(kTea, "B4")}, {"override", "boss"}}), 400, "invalid_field"},
      {"POST", "/v1/sales/" + sale + "/scans",
       Body({{"payload", UnitCode(kTea, "B4")}, {"override", {{"manager", "m"}}}}), 400,
       "missing_field"},
      {"POST", "/v1/sales/" + sale + "/scans",
       Body({{"payload", UnitCode(kTea, "B4")}, {"override", {{"manager", ""}, {"reason", "r"}}}}),
       400, "invalid_field"},
      {"POST", "/v1/sales/" + sale + "/scans",
       Body({{"payload", UnitCode(kTea, "B4")},
             {"override", {{"manager", long_text}, {"reason", "r"}}}}),
       400, "invalid_field"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path << " " << c.body);
    HttpReply r;
    if (c.method == "GET") {
      r = api.Get(c.path);
    } else if (c.method == "DELETE") {
      r = api.Delete(c.path);
    } else {
      r = api.Post(c.path, c.body);
    }
    INFO(r.body);
    CHECK(r.status == c.status);
    if (!c.code.empty()) CHECK(ErrorCode(r) == c.code);
    CHECK(r.json().is_object());
  }
  // An Idempotency-Key reused for another request is refused, and the first
  // (refused) answer is what its replay gets.
  const auto once = Step(agent, "b-1", "reject", json::object(), "key-b1");
  CHECK(once.status == 409);
  CHECK(Step(agent, "b-1", "reject", json::object(), "key-b1").body == once.body);
  const auto reused = Step(agent, "b-1", "release", json::object(), "key-b1");
  CHECK(reused.status == 409);
  CHECK(ErrorCode(reused) == "idempotency_key_reused");

  CHECK(Order(agent, "b-1") == b1);
  CHECK(Order(agent, "b-2") == b2);
  CHECK(Stock(agent, kScarf) == scarf);
  CHECK(Stock(agent, kTea) == tea);
  CHECK(api.Get("/v1/sales/" + sale).json().at("lines").empty());
  CHECK(LastSeq(agent) == seq);
  // The agent still serves normally afterwards.
  CHECK(Step(agent, "b-1", "pick", {{"payload", UnitCode(kScarf, "B1")}}).status == 200);
}

TEST_CASE("reservations: storectl lists accepts and picks orders and shows stock",
          "[cloud][reservations][storectl]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  SetStock(cloud, kScarf, 3);
  OfferOrder(cloud, "s-1", "ship_from_store", kScarf, 1);
  REQUIRE(agent.Drain());
  const std::string dir = agent.data_dir().string();
  auto run = [&dir](std::vector<std::string> args, int* exit_code) {
    args.insert(args.begin(), {"--data-dir", dir});
    Child ctl(SA_STORECTL, args);
    std::string out = ctl.ReadAll();
    *exit_code = ctl.Wait();
    return out;
  };
  int rc = -1;
  {
    const json out = json::parse(run({"order", "list", "--json"}, &rc));
    CHECK(rc == 0);
    REQUIRE(out.at("reservations").size() == 1);
    CHECK(out.at("reservations")[0].at("id") == "s-1");
    CHECK(out.at("reservations")[0].at("status") == "offered");
  }
  {
    const std::string out = run({"order", "accept", "s-1"}, &rc);
    CHECK(rc == 0);
    CHECK(out.find("order s-1  ship_from_store  accepted") != std::string::npos);
    CHECK(out.find("expires  ") != std::string::npos);
  }
  {
    const std::string out = run({"stock", "show", kScarf}, &rc);
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find(std::string("stock ") + kScarf) != std::string::npos);
    CHECK(out.find("on hand    3") != std::string::npos);
    CHECK(out.find("reserved   1 (picked 0)") != std::string::npos);
    CHECK(out.find("available  2") != std::string::npos);
  }
  {
    const std::string out = run({"order", "pick", "s-1", UnitCode(kScarf, "P1")}, &rc);
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find(std::string("1  ") + kScarf + " x1  picked 1: P1") != std::string::npos);
  }
  {
    const std::string out = run({"stock", "count", kScarf, "1"}, &rc);
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find("available  0") != std::string::npos);
  }
  {
    // The till: the last scarf is the order's; a manager overrides.
    const std::string sale = OpenSale(agent);
    run({"sale", "scan", sale, UnitCode(kScarf, "P2")}, &rc);
    CHECK(rc == 3);
    run({"sale", "scan", sale, UnitCode(kScarf, "P2"), "--override-manager", "mgr-wu",
         "--override-reason", "regular customer"},
        &rc);
    CHECK(rc == 0);
  }
  {
    const std::string out = run({"order", "list"}, &rc);
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find("order s-1  ship_from_store  picked") != std::string::npos);
  }
  {
    const std::string out =
        run({"order", "ship", "s-1", "--carrier", "SF", "--tracking", "T77"}, &rc);
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find("shipped  SF T77") != std::string::npos);
  }
  run({"order", "show", "nope"}, &rc);
  CHECK(rc == 3);
  run({"stock", "show", "123"}, &rc);
  CHECK(rc == 3);
  {
    const json out = json::parse(run({"order", "list", "--all", "--json"}, &rc));
    CHECK(rc == 0);
    REQUIRE(out.at("reservations").size() == 1);
    CHECK(out.at("reservations")[0].at("status") == "shipped");
  }
}

TEST_CASE("reservations: a shelf scanner in pick mode picks the order's units",
          "[cloud][reservations][scanners]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(),
               .extra_toml =
                   "[[scanners]]\nid = \"shelf\"\ntype = \"tcp\"\nlisten = \"127.0.0.1:0\"\n"
                   "terminal = \"shelf-1\"\n"});
  const Api& api = agent.api();
  SetStock(cloud, kScarf, 2);
  OfferOrder(cloud, "k-1", "ship_from_store", kScarf, 2, 600);
  REQUIRE(agent.Drain());

  // Only an accepted order can be picked.
  const auto early =
      api.Post("/v1/terminals/shelf-1/mode", Body({{"mode", "pick"}, {"order_id", "k-1"}}));
  CHECK(early.status == 409);
  CHECK(early.json()["error"]["code"] == "reservation_not_pickable");
  REQUIRE(Step(agent, "k-1", "accept").status == 200);
  const auto mode =
      api.Post("/v1/terminals/shelf-1/mode", Body({{"mode", "pick"}, {"order_id", "k-1"}}));
  REQUIRE(mode.status == 200);
  CHECK(mode.json().at("order_id") == "k-1");

  const json scanners = api.Get("/v1/scanners").json().at("scanners");
  std::string where;
  for (const auto& s : scanners) {
    if (s.at("id") == "shelf") where = s.at("path");
  }
  REQUIRE_FALSE(where.empty());
  sa::testing::EventStreamClient events(api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  sa::testing::ScannerConnection shelf("tcp://" + where);
  shelf.SendLine(UnitCode(kTea, "T1"));  // not on the order: refused, nothing picked
  shelf.SendLine(UnitCode(kScarf, "K1"));
  shelf.SendLine(UnitCode(kScarf, "K2"));
  const bool got = events.WaitFor([](const std::string& d) {
    return !sa::testing::FindEvent(d, "reservation", [](const json& j) {
              return j.value("id", "") == "k-1" && j.value("status", "") == "picked";
            }).is_null();
  });
  INFO(events.data());
  REQUIRE(got);
  const json order = Order(agent, "k-1");
  CHECK(order.at("lines")[0].at("picked") == json::array({"K1", "K2"}));
  const json scans = api.Get("/v1/scans?limit=3").json().at("scans");
  REQUIRE(scans.size() == 3);
  for (const auto& s : scans) {
    CHECK(s.at("mode") == "pick");
    CHECK(s.at("order_id") == "k-1");
    CHECK(s.at("terminal") == "shelf-1");
  }
  CHECK(scans[0].at("outcome") == "accepted");
  CHECK(scans[2].at("outcome") != "accepted");
  CHECK(Stock(agent, kScarf).at("picked") == 2);
}
