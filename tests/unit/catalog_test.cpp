// SPDX-License-Identifier: Apache-2.0
// The catalog: CSV import (all rows or none, every bad row by its line),
// tax rates, and a product's name in Simplified Chinese (name_zh), which a
// sale line keeps as it was sold and a zh-CN receipt prints; a line sold
// below its catalog price keeps that price and gets no more units. VAT:
// the rounding rule against a table computed by hand, and a line's rate kept
// as sold through its receipt, its event, a refund and its slip.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger_shop.hpp"
#include "receipt.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;

namespace {

struct Catalog : LedgerShop {
  Catalog() : LedgerShop({.prefix = "sa-catalog"}) {}
  std::string Snapshot() { return Rows("SELECT * FROM products ORDER BY 1"); }
};

}  // namespace

TEST_CASE("catalog import: all rows or none, every bad row by line number", "[store][catalog]") {
  Catalog b;
  const std::string before = b.Snapshot();
  auto r = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,tax_rate\n"
      "4006381333931,\"Pen, blue\",350,0.13\n"
      "4006381333932,Bad check,100,0.13\n"
      "96385074,,100,0.13\n"
      "036000291452,Soap,1.5,0.13\n"
      "4006381333931,Dup,1,0\n"
      "036000291452,Soap,150,2\n"
      "036000291452,Soap\n");
  REQUIRE_FALSE(r);
  const std::string& m = r.error().message;
  for (const char* line : {"line 3", "line 4", "line 5", "line 6", "line 7", "line 8"}) {
    INFO(line);
    CHECK(m.find(line) != std::string::npos);
  }
  CHECK(m.find("line 2:") == std::string::npos);
  CHECK(b.Snapshot() == before);

  auto ok = b.shop->books.ImportCatalogCsv(
      "\xEF\xBB\xBFgtin,name,price_minor,tax_rate\r\n"
      "4006381333931,\"Pen, \"\"blue\"\"\",350,13%\r\n"
      "96385074,Eraser,100,0.065\r\n");
  REQUIRE(ok);
  CHECK(ok->rows == 2);
  auto pen = b.shop->books.FindProduct("04006381333931");
  REQUIRE(pen);
  CHECK(pen->name == "Pen, \"blue\"");
  CHECK(pen->tax_rate_bp == 1300);
  CHECK(b.shop->books.FindProduct("00000096385074")->tax_rate_bp == 650);
  CHECK_FALSE(b.shop->books.ImportCatalogCsv(""));
  CHECK_FALSE(b.shop->books.ImportCatalogCsv("sku,title,price\n1,2,3\n"));
  CHECK_FALSE(b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n\"unterminated,x,1\n"));
}

TEST_CASE("catalog import: name_zh, the name in Simplified Chinese, in either column order",
          "[store][catalog][i18n]") {
  Catalog b;
  auto ok = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,name_zh,tax_rate\n"
      "4006381333931,Pen,350,圆珠笔,0.13\n"
      "96385074,Eraser,100,,0.13\n");  // no Chinese name: the English one everywhere
  REQUIRE(ok);
  CHECK(b.shop->books.FindProduct("04006381333931")->name_zh == "圆珠笔");
  CHECK(b.shop->books.FindProduct("04006381333931")->tax_rate_bp == 1300);
  CHECK(b.shop->books.FindProduct("00000096385074")->name_zh.empty());
  CHECK(b.Count("SELECT count(*) FROM products WHERE name_zh IS NULL") == 1);
  // Without the column a product keeps no Chinese name (a new import replaces it).
  REQUIRE(b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n4006381333931,Pen,360\n"));
  CHECK(b.shop->books.FindProduct("04006381333931")->name_zh.empty());

  const std::string before = b.Snapshot();
  for (const char* bad : {
           "gtin,name,price_minor,name_zh,name_zh\n4006381333931,Pen,350,笔,笔\n",  // twice
           "gtin,name,price_minor,name_en\n4006381333931,Pen,350,Pen\n",            // unknown
           "gtin,name,price_minor,tax_rate,name_zh,x\n4006381333931,Pen,350,0,笔,x\n",
           "gtin,name,price_minor,name_zh\n4006381333931,Pen,350,\xb1\xca\n",  // GBK, not UTF-8
           "gtin,name,price_minor,name_zh\n4006381333931,Pen,350,\"a\x01b\"\n",
       }) {
    INFO(bad);
    auto r = b.shop->books.ImportCatalogCsv(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "catalog_invalid");
  }
  CHECK(b.Snapshot() == before);
}

TEST_CASE("a sale line keeps the Chinese name it was sold with, and a zh-CN receipt prints it",
          "[store][catalog][i18n][receipt]") {
  Catalog b;
  REQUIRE(
      b.shop->books.ImportCatalogCsv("gtin,name,price_minor,name_zh\n"
                                     "06950123450036,Canvas tote,12900,帆布托特包\n"
                                     "06950123450043,Gift wrap,500,\n"));
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "Z1")));
  REQUIRE(b.shop->sales.Scan(id, b.Label(kWrap, "Z2")));
  auto sold = b.shop->sales.Complete(id, {{"cash", 13400, ""}});
  REQUIRE(sold);
  // The catalog changes after the sale: the line stays as sold.
  REQUIRE(b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,name_zh\n06950123450036,Canvas tote,12900,新名字\n"));
  const store::Sale sale = b.shop->sales.GetSale(id).value();
  REQUIRE(sale.lines.size() == 2);
  CHECK(sale.lines[0].name_zh == "帆布托特包");
  CHECK(sale.lines[1].name_zh.empty());

  const receipt::Shop shop;
  const receipt::Options zh{.locale = i18n::Locale::zh_CN};
  const std::string text = receipt::Text(sale, shop, receipt::Width::mm80, "", zh);
  INFO(text);
  CHECK(text.find("帆布托特包") != std::string::npos);
  CHECK(text.find("Canvas tote") == std::string::npos);
  CHECK(text.find("Gift wrap") != std::string::npos);  // no Chinese name: the catalog's own
  const std::string en = receipt::Text(sale, shop, receipt::Width::mm80, "", receipt::Options{});
  CHECK(en.find("Canvas tote") != std::string::npos);
  CHECK(en.find("帆布托特包") == std::string::npos);
}

TEST_CASE("a plain line sold below its catalog price is not added to by a later scan",
          "[store][price]") {
  Catalog b;
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  store::Store relaxed(*b.db, config, b.clock);
  const std::string id = b.Open();
  auto first = relaxed.sales.Scan(id, "6950123450043");  // gift wrap, 5.00
  REQUIRE(first);
  const store::Approval mia{"mia", "pin"};
  auto cheaper = relaxed.sales.ChangePrice(id, first->lines[0].id, 300, "torn", mia);
  REQUIRE(cheaper);
  CHECK(cheaper->total == 300);
  // The next one is at the catalog's price, on a line of its own.
  auto second = relaxed.sales.Scan(id, "6950123450043");
  REQUIRE(second);
  REQUIRE(second->lines.size() == 2);
  CHECK(second->lines[0].qty == 1);
  CHECK(second->lines[0].price_change->list_price == 500);
  CHECK(second->lines[1].unit_price == 500);
  CHECK_FALSE(second->lines[1].price_change);
  CHECK(second->total == 800);
  // The ledger keeps a changed price at or under its catalog price.
  CHECK_THROWS(
      b.db->Exec("UPDATE sale_lines SET unit_price_minor = 600 WHERE list_price_minor "
                 "IS NOT NULL"));
}

TEST_CASE("VAT inside a price: each amount's, rounded to the fen half away from zero",
          "[store][vat]") {
  // amount (fen), rate (basis points), the VAT an accountant computes by
  // hand: amount x rate / (1 + rate), rounded to the fen.
  struct Case {
    MinorUnits amount;
    int rate_bp;
    MinorUnits vat;
  };
  const Case table[] = {
      {59900, 1300, 6891},                    // 599.00 x 0.13 / 1.13 = 68.9115
      {12900, 1300, 1484},                    // 129.00 -> 14.8407
      {113, 1300, 13},                        // exactly 0.13
      {100, 1300, 12},                        // 0.11504 -> 0.12
      {99, 1300, 11},                         // 0.11389 -> 0.11
      {1, 1300, 0},                           // 0.00115
      {4, 1300, 0},                           // 0.0046
      {5, 1300, 1},                           // 0.00575 -> 0.01
      {300000, 1300, 34513},                  // 3000.00 -> 345.1327
      {10600, 600, 600},                      // exactly 6.00
      {9999, 600, 566},                       // 5.6598 -> 5.66
      {1, 600, 0},           {500, 600, 28},  // 5.00 at 6 % -> 0.2830
      {10900, 900, 900},                      // exactly 9.00
      {100000, 900, 8257},                    // 1000.00 at 9 % -> 82.5688
      {30900, 300, 900},                      // 3 %, exactly 9.00
      {10100, 100, 100},                      // 1 %
      {10250, 250, 250},                      // 2.5 %
      {59900, 0, 0},                          // no VAT
      {1, 10000, 1},                          // 100 %: 0.005 -> half away from zero
      {3, 10000, 2},                          // 0.015 -> 0.02
      {-3, 10000, -2},                        // a refund rounds the other way, same size
      {-1, 10000, -1},       {-59900, 1300, -6891},
  };
  for (const auto& c : table) {
    INFO(c.amount << " at " << c.rate_bp << " bp");
    CHECK(store::IncludedVat(c.amount, c.rate_bp) == c.vat);
  }
  // Exact at the ends of the range (no overflow on the way).
  constexpr MinorUnits kMax = std::numeric_limits<MinorUnits>::max();
  CHECK(store::IncludedVat(kMax, 1300) == 1061095898045239695);
  CHECK(store::IncludedVat(kMax, 10000) == 4611686018427387904);
  CHECK(store::IncludedVat(std::numeric_limits<MinorUnits>::min(), 1300) == -1061095898045239695);

  // A sale's VAT at a rate is its lines' added: three 0.05 lines at 13 %
  // have 0.01 each, 0.03 in all (0.15 in one line would have 0.02).
  std::vector<store::TaxBand> bands;
  for (int i = 0; i < 3; ++i) store::AddToTaxBands(bands, 1300, 5);
  store::AddToTaxBands(bands, 600, 500);
  REQUIRE(bands.size() == 2);
  CHECK(bands[0].rate_bp == 600);
  CHECK(bands[0].vat == 28);
  CHECK(bands[1].amount == 15);
  CHECK(bands[1].vat == 3);

  CHECK(store::FormatRate(1300) == "13%");
  CHECK(store::FormatRate(600) == "6%");
  CHECK(store::FormatRate(0) == "0%");
  CHECK(store::FormatRate(250) == "2.5%");
  CHECK(store::FormatRate(1050) == "10.5%");
  CHECK(store::FormatRate(5) == "0.05%");
  CHECK(store::FormatRate(10000) == "100%");
}

TEST_CASE("VAT added on a price without it: by hand, and found again inside the amount",
          "[store][vat]") {
  // net x rate, to the fen, half away from zero.
  CHECK(store::AddedVat(1998, 1300) == 260);  // 2.5974
  CHECK(store::AddedVat(1998, 900) == 180);   // 1.7982
  CHECK(store::AddedVat(5, 600) == 0);        // 0.003
  CHECK(store::AddedVat(50, 1000) == 5);      // exactly 0.05
  CHECK(store::AddedVat(5, 1000) == 1);       // 0.005: half, away from zero
  CHECK(store::AddedVat(-5, 1000) == -1);
  CHECK(store::AddedVat(12345, 0) == 0);
  CHECK(store::AddedVat(std::int64_t{5'000'000'000'000'000'000}, 10000) ==
        std::int64_t{5'000'000'000'000'000'000});
  // What refunds and the Z report rely on: the VAT inside net + its added
  // VAT is the added VAT, for every net to 1000.00 at the rates stores use.
  for (const int rate : {1, 300, 600, 900, 1300, 1700, 9999, 10000}) {
    for (MinorUnits net = 0; net <= 100000; ++net) {
      const MinorUnits added = store::AddedVat(net, rate);
      if (store::IncludedVat(net + added, rate) != added) {
        FAIL("net " << net << " at " << rate << " bp adds " << added << " but holds "
                    << store::IncludedVat(net + added, rate));
      }
    }
  }
}

TEST_CASE("a line keeps the VAT rate it was sold with: the sale, its receipt, events, refunds",
          "[store][vat][receipt]") {
  Catalog b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "V1")));  // 599.00 at 13 %
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "V2")));   // 129.00 at 13 %
  REQUIRE(b.shop->sales.Scan(id, b.Label(kWrap, "V3")));   // 5.00 at 6 %
  REQUIRE(b.shop->sales.Complete(id, {{"cash", 73300, ""}}));
  // The catalog's rate changes after the sale: the lines keep theirs.
  REQUIRE(b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,tax_rate\n06950123450036,Canvas tote,12900,0.09\n"));
  const store::Sale sale = b.shop->sales.GetSale(id).value();
  REQUIRE(sale.lines.size() == 3);
  CHECK(sale.lines[0].tax_rate_bp == 1300);
  CHECK(sale.lines[0].vat == 6891);
  CHECK(sale.lines[1].tax_rate_bp == 1300);
  CHECK(sale.lines[1].vat == 1484);
  CHECK(sale.lines[2].tax_rate_bp == 600);
  CHECK(sale.lines[2].vat == 28);

  // sale.completed: each line's rate and VAT, and the sale's by rate.
  const auto completed = b.EventsOf("sale.completed");
  REQUIRE(completed.size() == 1);
  const auto event = nlohmann::json::parse(completed[0].payload);
  CHECK(event["lines"][0]["tax_rate_bp"] == 1300);
  CHECK(event["lines"][0]["vat"] == 6891);
  CHECK(event["vat"] == nlohmann::json::parse(R"([{"rate_bp":600,"amount":500,"vat":28},
                                                  {"rate_bp":1300,"amount":72800,"vat":8375}])"));

  // The receipt says the VAT in the total at each rate.
  const receipt::Shop shop;
  const std::string en = receipt::Text(sale, shop, receipt::Width::mm58, "", receipt::Options{});
  INFO(en);
  CHECK(en.find("\nincl. VAT 6%                0.28\n") != std::string::npos);
  CHECK(en.find("\nincl. VAT 13%              83.75\n") != std::string::npos);
  const receipt::Options zh{.locale = i18n::Locale::zh_CN};
  const std::string zh_text = receipt::Text(sale, shop, receipt::Width::mm58, "", zh);
  CHECK(zh_text.find("其中税额 13%") != std::string::npos);

  // A refund of the tote: its VAT as sold (14.84), on the event and the slip.
  auto refund = b.shop->sales.RefundUnits(id, {"V2"});
  REQUIRE(refund);
  const auto refunded = b.EventsOf("refund.completed");
  REQUIRE(refunded.size() == 1);
  CHECK(nlohmann::json::parse(refunded[0].payload)["vat"] ==
        nlohmann::json::parse(R"([{"rate_bp":1300,"amount":12900,"vat":1484}])"));
  const auto slip = b.shop->sales.GetRefundSlip(refund->id).value();
  const std::string slip_text = receipt::RefundText(slip, shop, receipt::Width::mm58, {});
  INFO(slip_text);
  CHECK(slip_text.find("\nincl. VAT 13%             -14.84\n") != std::string::npos);
}

TEST_CASE("signed per product: a signed garment and a plain bag in one sale of a signing store",
          "[store][catalog][signed]") {
  Catalog b;  // the demo store: codes.require_signature = true
  REQUIRE(b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,signed\n"
      "06950123450005,Silk scarf - indigo,59900,true\n"
      "06950123450043,Gift wrap,500,false\n"
      "06950123450036,Canvas tote,12900,\n"));  // empty: the store's rule
  CHECK(b.shop->books.RequiresSignature(kScarf));
  CHECK_FALSE(b.shop->books.RequiresSignature(kWrap));
  CHECK(b.shop->books.RequiresSignature(kTote));
  CHECK(b.shop->books.RequiresSignature("04006381333931"));  // not in the catalog: the store's

  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  // The bag by its plain barcode, twice: one line of two.
  REQUIRE(b.shop->sales.Scan(id, "6950123450043"));
  auto two = b.shop->sales.Scan(id, "6950123450043");
  REQUIRE(two);
  REQUIRE(two->lines.size() == 2);
  CHECK(two->lines[1].qty == 2);
  // An unsigned label of a signed product, or of one that follows the
  // store, is refused and changes nothing.
  for (const std::string& unsigned_label :
       {std::string("https://id.brand.example/01/06950123450005/21/S2"),
        std::string("https://id.brand.example/01/06950123450036/21/T2")}) {
    INFO(unsigned_label);
    auto refused = b.shop->sales.Scan(id, unsigned_label);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "code_forged");
  }
  CHECK(b.shop->sales.GetSale(id).value().total == 59900 + 1000);
  auto sold = b.shop->sales.Complete(id, {{"cash", 60900, ""}});
  REQUIRE(sold);
  // One bag comes back by quantity.
  auto back = b.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}});
  REQUIRE(back);
  CHECK(back->amount == 500);

  // A store that does not require signatures: a product that says signed does.
  store::Config relaxed_config = store::DemoConfig();
  relaxed_config.require_signature = false;
  store::Store relaxed(*b.db, relaxed_config, b.clock);
  CHECK(relaxed.books.RequiresSignature(kScarf));
  CHECK_FALSE(relaxed.books.RequiresSignature(kTote));
  const std::string other = relaxed.sales.OpenSale("till-2").value().id;
  auto forged = relaxed.sales.Scan(other, "https://id.brand.example/01/06950123450005/21/S3");
  REQUIRE_FALSE(forged);
  CHECK(forged.error().code == "code_forged");
  CHECK(relaxed.sales.Scan(other, "https://id.brand.example/01/06950123450036/21/T3"));

  // A signed value that is not one is refused with its line, nothing imported.
  auto bad = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,signed\n06950123450043,Gift wrap,700,maybe\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("line 2: signed must be true or false") != std::string::npos);
  CHECK(b.shop->books.FindProduct(kWrap).value().price_minor == 500);
}

TEST_CASE("a plain item is received by scanning its barcode, sold by quantity and refunded",
          "[store][catalog][signed][stock]") {
  Catalog b;  // the demo store signs its units; gift wrap sells by its barcode
  REQUIRE(b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,tax_rate,signed\n06950123450043,Gift wrap,500,0.06,false\n"));
  const auto before = b.shop->stock.Level(kWrap).value().on_hand;
  for (int i = 0; i < 3; ++i) {
    auto checked = b.shop->books.CheckCode("6950123450043");
    REQUIRE(checked);
    auto level = b.shop->stock.Receive(*checked);
    INFO((level ? "" : level.error().message));
    REQUIRE(level);
    CHECK(level->on_hand == before + i + 1);
  }
  const auto received = b.EventsOf("stock.received");
  REQUIRE(received.size() == 3);
  const auto ev = nlohmann::json::parse(received[0].payload);
  CHECK(ev["serial"].is_null());
  CHECK(ev["qty"] == 1);
  // A signed product's plain barcode is still refused at receiving.
  auto scarf = b.shop->books.CheckCode("6950123450005");
  REQUIRE(scarf);
  auto refused = b.shop->stock.Receive(*scarf);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "code_forged");

  // Two sold by scan, one refunded by quantity: on hand follows.
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, "6950123450043"));
  REQUIRE(b.shop->sales.Scan(id, "6950123450043"));
  REQUIRE(b.shop->sales.Complete(id, {{"cash", 1000, ""}}));
  CHECK(b.shop->stock.Level(kWrap).value().on_hand == before + 1);
  REQUIRE(b.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}}));
  CHECK(b.shop->stock.Level(kWrap).value().on_hand == before + 2);
}

TEST_CASE(
    "serialised per product: unit by unit refuses a plain barcode, by quantity drops a serial",
    "[store][catalog][serialised]") {
  Catalog b;
  // Neither product needs a signature; the tote sells unit by unit, the
  // wrap by quantity (even from a label that carries a serial).
  REQUIRE(
      b.shop->books.ImportCatalogCsv("gtin,name,price_minor,signed,serialised\n"
                                     "06950123450036,Canvas tote,12900,false,true\n"
                                     "06950123450043,Gift wrap,500,false,false\n"));
  CHECK(b.shop->books.FindProduct(kTote)->serialised == true);
  CHECK(b.shop->books.FindProduct(kWrap)->serialised == false);
  CHECK_FALSE(b.shop->books.FindProduct(kScarf)->serialised);  // not in this file: unchanged

  // At the till: the tote's plain barcode is refused, nothing written; its
  // own label sells the unit.
  const std::string id = b.Open();
  const std::string lines = b.Rows("SELECT * FROM sale_lines");
  auto plain = b.shop->sales.Scan(id, "6950123450036");
  REQUIRE_FALSE(plain);
  CHECK(plain.error().code == "serial_required");
  CHECK(b.Rows("SELECT * FROM sale_lines") == lines);
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "T1")));
  // Two wrap labels with serials are two of one line, no serial kept.
  REQUIRE(b.shop->sales.Scan(id, b.Label(kWrap, "W1")));
  auto two = b.shop->sales.Scan(id, b.Label(kWrap, "W2"));
  REQUIRE(two);
  REQUIRE(two->lines.size() == 2);
  CHECK(two->lines[1].serial.empty());
  CHECK(two->lines[1].qty == 2);
  // A unit the brand revoked is refused by its label's serial all the same.
  b.Pull("revocation", R"({"gtin":"06950123450043","serial":"W3","reason":"stolen"})");
  CHECK(b.shop->sales.Scan(id, b.Label(kWrap, "W3")).error().code == "code_revoked");
  REQUIRE(b.shop->sales.Complete(id, {{"cash", 12900 + 1000, ""}}));
  CHECK(b.Count("SELECT count(*) FROM units WHERE gtin = '" + std::string(kWrap) + "'") == 0);

  // Receiving follows the same rule.
  auto tote_plain = b.shop->books.CheckCode("6950123450036");
  REQUIRE(tote_plain);
  auto refused = b.shop->stock.Receive(*tote_plain);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "serial_required");
  const auto before = b.shop->stock.Level(kWrap).value().on_hand;
  auto wrap_label = b.shop->books.CheckCode(b.Label(kWrap, "W9"));
  REQUIRE(wrap_label);
  auto level = b.shop->stock.Receive(*wrap_label);
  REQUIRE(level);
  CHECK(level->on_hand == before + 1);
  CHECK(nlohmann::json::parse(b.EventsOf("stock.received").back().payload)["serial"].is_null());

  // A bad value is named with its line; nothing imported.
  auto bad = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,serialised\n06950123450036,Canvas tote,12900,maybe\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("line 2: serialised must be true or false") != std::string::npos);
  CHECK(b.shop->books.FindProduct(kTote)->serialised == true);
}

TEST_CASE("a price without VAT has it added per line: the sale, receipt, event, refund and Z",
          "[store][catalog][vat]") {
  Catalog b;
  // Gift wrap at 9.99 before 13 % VAT, sold by quantity.
  REQUIRE(
      b.shop->books.ImportCatalogCsv("gtin,name,price_minor,tax_rate,signed,tax_included\n"
                                     "06950123450043,Gift wrap,999,0.13,false,false\n"));
  CHECK_FALSE(b.shop->books.FindProduct(kWrap)->tax_included);
  CHECK(b.shop->books.FindProduct(kTote)->tax_included);  // not in this file: as it was
  auto shift = b.shop->shifts.OpenShift("till-1", "", 0).value();
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, "6950123450043"));
  auto two = b.shop->sales.Scan(id, "6950123450043");
  REQUIRE(two);
  // 2 x 9.99 = 19.98, 13 % of it 2.5974 -> 2.60: 22.58. The VAT inside 22.58
  // at 13 % is 2.60 again.
  CHECK(two->total == 2258);
  CHECK(two->lines[0].amount == 2258);
  CHECK(two->lines[0].vat == 260);
  CHECK(two->lines[0].tax_added);
  auto paid = b.shop->sales.Complete(id, {{"cash", 2300, ""}});
  REQUIRE(paid);
  CHECK(paid->change == 42);

  const auto ev = nlohmann::json::parse(b.EventsOf("sale.completed").at(0).payload);
  CHECK(ev["lines"][0]["tax_included"] == false);
  CHECK(ev["lines"][0]["unit_price"] == 999);
  CHECK(ev["lines"][0]["amount"] == 2258);
  CHECK(ev["vat"] == nlohmann::json::parse(R"([{"rate_bp":1300,"amount":2258,"vat":260}])"));
  // The receipt: the price before VAT, then the VAT added, adding up to the line.
  const std::string text =
      receipt::Text(*paid, receipt::Shop{}, receipt::Width::mm80, "", receipt::Options{});
  INFO(text);
  CHECK(text.find("19.98") != std::string::npos);
  CHECK(text.find("VAT 13% added") != std::string::npos);
  CHECK(text.find("22.58") != std::string::npos);

  // One back: half the line's 22.58, rounded down: 11.29, its VAT 1.30.
  auto back = b.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}});
  REQUIRE(back);
  CHECK(back->amount == 1129);
  const auto report = b.shop->shifts.ReportOf(shift.id).value();
  REQUIRE(report.by_rate.size() == 1);
  CHECK(report.by_rate[0].sales.amount == 2258);
  CHECK(report.by_rate[0].sales.vat == 260);
  CHECK(report.by_rate[0].refunds.amount == 1129);
  CHECK(report.by_rate[0].refunds.vat == 130);

  // A value that is not true or false is named with its line.
  auto bad = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,tax_included\n06950123450043,Gift wrap,999,perhaps\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("line 2: tax_included must be true or false") !=
        std::string::npos);
}

TEST_CASE(
    "a cart past what 64 bits count is sale_too_large, and the scan that took it there "
    "changes nothing",
    "[store][catalog][vat]") {
  Catalog b;
  // The catalog's highest price, 10,000,000,000.00, before 100 % VAT: one
  // unit sells for 20,000,000,000.00.
  REQUIRE(
      b.shop->books.ImportCatalogCsv("gtin,name,price_minor,tax_rate,signed,tax_included\n"
                                     "06950123450043,Gift wrap,1000000000000,1,false,false\n"));
  const std::string id = b.Open();
  auto one = b.shop->sales.Scan(id, "6950123450043");
  REQUIRE(one);
  CHECK(one->total == 2'000'000'000'000);
  // 461 lines of 9,999 units and one of 2,146, as 4.6 million scans would
  // leave the cart: 9,223,370,000,000,000,000 fen.
  b.db->Exec("UPDATE sale_lines SET qty = 9999");
  b.db->Exec("CREATE TEMP TABLE line_copy AS SELECT * FROM sale_lines");
  for (int i = 1; i < 462; ++i) {
    b.db->Exec("UPDATE line_copy SET id = (SELECT max(id) + 1 FROM sale_lines)");
    b.db->Exec("INSERT INTO sale_lines SELECT * FROM line_copy");
  }
  b.db->Exec("UPDATE sale_lines SET qty = 2146 WHERE id = (SELECT max(id) FROM sale_lines)");
  // One more unit: 9,223,372,000,000,000,000 fen, the most that fits under
  // 2^63 - 1 (9,223,372,036,854,775,807).
  auto most = b.shop->sales.Scan(id, "6950123450043");
  REQUIRE(most);
  CHECK(most->total == 9'223'372'000'000'000'000);
  CHECK(most->lines.size() == 462);
  const std::string before = b.Rows("SELECT * FROM sale_lines ORDER BY id");
  // One more is past it: refused, not wrapped to a negative total.
  auto past = b.shop->sales.Scan(id, "6950123450043");
  REQUIRE_FALSE(past);
  CHECK(past.error().code == "sale_too_large");
  CHECK(b.Rows("SELECT * FROM sale_lines ORDER BY id") == before);
  CHECK(b.shop->sales.GetSale(id)->total == 9'223'372'000'000'000'000);
}
