// SPDX-License-Identifier: Apache-2.0
// Issue 19, the shopping guide (导购) on a sale: a staff badge scanned at the
// till (SAG1, signed by the brand's member service) or a cashier of the
// store picked; in sale.completed so the brand's SCRM can credit the guide.
// Every bad input is a typed refusal that changes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger_shop.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

std::string CodeOf(const Expected<store::Sale>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace

TEST_CASE("a staff badge scanned into a sale names its guide, in the sale and its event",
          "[store][guide]") {
  LedgerShop s({.prefix = "sa-guide"});
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "G1")));
  const std::string badge = store::MakeStaffCode("G-007", store::DemoMemberKey());
  CHECK(badge.rfind("SAG1:G-007:", 0) == 0);
  auto guided = s.shop->sales.Scan(id, badge);
  REQUIRE(guided);
  CHECK(guided->guide_id == "G-007");
  CHECK(guided->guide_via == "badge");
  CHECK(guided->lines.size() == 1);  // a badge is no line
  // Another badge replaces it; the sale is completed with it.
  REQUIRE(s.shop->sales.Scan(id, store::MakeStaffCode("G-008", store::DemoMemberKey())));
  auto done = s.shop->sales.Complete(id, {{"cash", 10000000, ""}});
  REQUIRE(done);
  CHECK(done->guide_id == "G-008");
  std::string row = s.Rows("SELECT payload FROM outbox WHERE type = 'sale.completed'");
  REQUIRE(row.size() > 2);
  const json event = json::parse(row.substr(0, row.size() - 2));  // less the "|\n"
  CHECK(event.at("guide") == json{{"id", "G-008"}, {"via", "badge"}});
  // A completed sale's guide does not change.
  CHECK(CodeOf(s.shop->sales.Scan(id, badge)) == "sale_not_open");
}

TEST_CASE("a cashier of the store is picked as the guide, anyone else is not", "[store][guide]") {
  LedgerShop s({.prefix = "sa-guide"});
  REQUIRE(s.shop->shifts.AddCashier("ann", "Ann", "cashier", crypto::HashPin("4826", 1000)));
  REQUIRE(s.shop->shifts.AddCashier("bob", "Bob", "cashier", crypto::HashPin("4826", 1000)));
  REQUIRE(s.shop->shifts.DeactivateCashier("bob"));
  const std::string id = s.Open();
  auto picked = s.shop->sales.PickGuide(id, "ann");
  REQUIRE(picked);
  CHECK(picked->guide_id == "ann");
  CHECK(picked->guide_via == "picked");
  CHECK(CodeOf(s.shop->sales.PickGuide(id, "bob")) == "guide_not_found");  // removed
  CHECK(CodeOf(s.shop->sales.PickGuide(id, "nobody")) == "guide_not_found");
  CHECK(CodeOf(s.shop->sales.PickGuide("no-such-sale", "ann")) == "sale_not_found");
  CHECK(s.shop->sales.GetSale(id)->guide_id == "ann");  // unchanged by the refusals
}

TEST_CASE("forged and malformed badges are refused and change nothing", "[store][guide]") {
  LedgerShop s({.prefix = "sa-guide"});
  const std::string id = s.Open();
  // Signed by another key (the brand's label key is not the member service's).
  CHECK(CodeOf(s.shop->sales.Scan(id, store::MakeStaffCode("G-1", store::DemoBrandKey()))) ==
        "staff_code_forged");
  // The genuine signature on another staff id.
  const std::string genuine = store::MakeStaffCode("G-1", store::DemoMemberKey());
  const std::string sig = genuine.substr(genuine.rfind(':') + 1);
  CHECK(CodeOf(s.shop->sales.Scan(id, "SAG1:G-2:" + sig)) == "staff_code_forged");
  for (const std::string& bad :
       {std::string("SAG1:"), std::string("SAG1:G-1"), std::string("SAG1::") + sig,
        "SAG1:G 1:" + sig, "SAG1:G-1:" + sig + ":x", std::string("SAG1:G-1:not-base64!"),
        "SAG1:G-1:" + sig.substr(0, 20), "SAG1:" + std::string(65, 'G') + ":" + sig}) {
    INFO(bad);
    CHECK(CodeOf(s.shop->sales.Scan(id, bad)) == "staff_code_malformed");
  }
  const auto sale = s.shop->sales.GetSale(id);
  REQUIRE(sale);
  CHECK(sale->guide_id.empty());
  CHECK(sale->lines.empty());
}
