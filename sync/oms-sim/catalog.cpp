// SPDX-License-Identifier: Apache-2.0
// PUT /admin/v1/stores/{store}/catalog: a CSV file or a JSON array of
// products, each offered to the store as one catalog.upsert; any bad row
// refuses the whole file before anything is offered.
#include <string_view>
#include <vector>

#include "admin.hpp"
#include "fields.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {
namespace {

using ledger::Transaction;

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
  if (rows.empty())
    Refuse(400, "bad_request", "CSV: expected a header gtin,name,price_minor[,tax_rate]");
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
    if (!price)
      Refuse(400, "invalid_field", at + "price_minor must be a whole number of minor units");
    std::int64_t tax = 0;
    if (with_tax) {
      const auto bp = TaxRateBp(Trim(rows[r][3]));
      if (!bp)
        Refuse(400, "invalid_field", at + "tax_rate must be a percent like 13 or 6.5 (0..100)");
      tax = *bp;
    }
    out.push_back(CatalogRow(GtinOf(Trim(rows[r][0])), name, *price, "CNY", tax));
  }
  return out;
}

std::vector<json> CatalogFromJson(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    Refuse(400, "bad_request", "expected a JSON array of products");
  std::vector<json> out;
  for (const auto& row : doc) {
    if (!row.is_object()) Refuse(400, "bad_request", "each product is a JSON object");
    const std::string currency = StringField(row, "currency", false).value_or("CNY");
    if (currency.size() != 3 ||
        currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      Refuse(400, "invalid_field", "\"currency\" must be an ISO 4217 code like CNY");
    }
    json product = CatalogRow(GtinField(row), *StringField(row, "name", true),
                              *IntField(row, "price_minor", true, 0, 1'000'000'000'000), currency,
                              IntField(row, "tax_rate_bp", false, 0, 10000).value_or(0));
    // The rest as sent: the device checks them (PROTOCOL.md §5).
    for (const char* key : {"name_zh", "category", "signed", "serialised", "tax_included"}) {
      if (row.contains(key)) product[key] = row.at(key);
    }
    out.push_back(std::move(product));
  }
  return out;
}

}  // namespace

Reply AdminApi::PutCatalog(const std::string& store, const Request& r) {
  const auto first = r.body.find_first_not_of(" \t\r\n");
  const bool is_json = r.content_type.find("json") != std::string::npos ||
                       (first != std::string::npos && r.body[first] == '[');
  const std::vector<json> rows = is_json ? CatalogFromJson(r.body) : CatalogFromCsv(r.body);
  if (rows.empty()) Refuse(400, "bad_request", "the catalog has no products");
  Transaction tx(db_);
  std::int64_t cursor = 0;
  for (const auto& row : rows) cursor = feed_.Append(store, "catalog.upsert", Dump(row));
  tx.Commit();
  return Ok(json{{"upserted", rows.size()}, {"cursor", cursor}});
}

}  // namespace sa::omssim
