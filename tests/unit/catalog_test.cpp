// SPDX-License-Identifier: Apache-2.0
// The catalog: CSV import (all rows or none, every bad row by its line),
// tax rates, and a product's name in Simplified Chinese (name_zh), which a
// sale line keeps as it was sold and a zh-CN receipt prints; a line sold
// below its catalog price keeps that price and gets no more units.
#include <catch2/catch.hpp>
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
