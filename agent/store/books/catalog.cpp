// SPDX-License-Identifier: Apache-2.0
// The catalog: import from CSV (RFC 4180 quoting): gtin,name,price_minor,
// then optionally tax_rate, name_zh (the name in Simplified Chinese), signed,
// category, serialised and tax_included, in any order; a product's row; the promotions in force.
#include <set>

#include "books.hpp"

namespace sa::store {
namespace {

// Above this a price is surely a typo (10 billion in major units); the cap
// also keeps every sale total far from 64-bit overflow.
constexpr MinorUnits kMaxPriceMinor = 1'000'000'000'000;
constexpr std::size_t kMaxProblemsShown = 50;

struct Row {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// Splits CSV text into rows. Returns a message on a quoting error.
std::optional<std::string> SplitCsv(std::string_view text, std::vector<Row>& rows) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a spreadsheet's BOM
  Row row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  std::size_t line = 1;
  row.line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      row.fields.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.fields.push_back(std::move(field));
      field.clear();
      field_started = false;
      if (!(row.fields.size() == 1 && row.fields[0].empty())) rows.push_back(std::move(row));
      row = Row{};
      row.line = ++line;
    } else {
      if (c == '"') return "line " + std::to_string(line) + ": a quote inside an unquoted field";
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted) return "line " + std::to_string(row.line) + ": a quoted field is not closed";
  if (field_started || !row.fields.empty()) {
    row.fields.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return std::nullopt;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// "0.13", "0.065", "0" or "13%" -> basis points, no floating point.
std::optional<int> ParseTaxRate(std::string s) {
  bool percent = false;
  if (!s.empty() && s.back() == '%') {
    percent = true;
    s.pop_back();
  }
  const std::size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  for (char c : whole + frac) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  // Basis points = value * 10000 (fraction) or value * 100 (percent).
  const std::size_t places = percent ? 2 : 4;
  if (frac.size() > places || whole.size() > 3) return std::nullopt;
  frac.resize(places, '0');
  const int bp = std::stoi(whole.empty() ? "0" : whole) * static_cast<int>(percent ? 100 : 10000) +
                 std::stoi(frac);
  if (bp > 10000) return std::nullopt;
  return bp;
}

// The yes/no column at `at` (0: absent) of `row` into `out`: true, 1, yes,
// false, 0, no, or empty for nothing. False for anything else.
bool YesNo(const Row& row, std::size_t at, std::optional<bool>& out) {
  if (at == 0) return true;
  const std::string v = Trim(row.fields[at]);
  if (v == "true" || v == "1" || v == "yes") {
    out = true;
  } else if (v == "false" || v == "0" || v == "no") {
    out = false;
  } else if (!v.empty()) {
    return false;
  }
  return true;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') return true;
  }
  return false;
}

}  // namespace

void Books::WriteProduct(const Product& p) {
  db_.Cached(
         "INSERT INTO products(gtin, name, price_minor, currency, tax_rate_bp, updated_at_ms, "
         "name_zh, signed, category, serialised, tax_included) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
         "?8, ?9, ?10, ?11) ON CONFLICT(gtin) DO UPDATE SET name = ?2, price_minor = ?3, "
         "currency = ?4, tax_rate_bp = ?5, updated_at_ms = ?6, name_zh = ?7, signed = ?8, "
         "category = ?9, serialised = ?10, tax_included = ?11")
      .Bind(1, p.gtin)
      .Bind(2, p.name)
      .Bind(3, p.price_minor)
      .Bind(4, p.currency)
      .Bind(5, static_cast<std::int64_t>(p.tax_rate_bp))
      .Bind(6, clock_.now_ms())
      .BindTextOrNull(7, p.name_zh)
      .BindOptional(8, p.requires_signature)
      .BindTextOrNull(9, p.category)
      .BindOptional(10, p.serialised)
      .Bind(11, std::int64_t{p.tax_included ? 1 : 0})
      .Run();
}

const std::vector<pricing::Promotion>& Books::Promotions() {
  if (promotions_ && promotions_read_at_ == db_.rollbacks()) return *promotions_;
  promotions_read_at_ = db_.rollbacks();
  auto st = db_.Cached(
      "SELECT id, name, kind, coalesce(gtins, ''), coalesce(category, ''), percent_bp, "
      "amount_minor, threshold_minor, repeat, buy, get, priority, stackable, starts_at_ms, "
      "ends_at_ms FROM promotions ORDER BY id");
  std::vector<pricing::Promotion> out;
  while (st.Step()) {
    pricing::Promotion p;
    p.id = st.Text(0);
    p.name = st.Text(1);
    p.kind = pricing::KindFromName(st.Text(2)).value_or(pricing::Kind::percent_off);  // CHECKed
    // GTIN-14s, comma-separated (checked when the cloud's change was applied).
    const std::string gtins = st.Text(3);
    for (std::size_t at = 0; at < gtins.size(); at += 15) p.gtins.push_back(gtins.substr(at, 14));
    p.category = st.Text(4);
    p.percent_bp = static_cast<int>(st.Int(5));
    p.amount = st.Int(6);
    p.threshold = st.Int(7);
    p.repeat = st.Int(8) != 0;
    p.buy = st.Int(9);
    p.get = st.Int(10);
    p.priority = st.Int(11);
    p.stackable = st.Int(12) != 0;
    p.starts_at_ms = st.Int(13);
    if (!st.IsNull(14)) p.ends_at_ms = st.Int(14);
    out.push_back(std::move(p));
  }
  promotions_ = std::move(out);
  return *promotions_;
}

bool Books::PricingBoundaryIn(std::int64_t from_ms, std::int64_t to_ms) {
  if (to_ms < from_ms) return true;
  const auto in = [&](std::int64_t t) { return t > from_ms && t <= to_ms; };
  for (const auto& p : Promotions()) {
    if (in(p.starts_at_ms) || (p.ends_at_ms && in(*p.ends_at_ms))) return true;
  }
  auto lists = db_.Cached(
      "SELECT EXISTS (SELECT 1 FROM price_lists WHERE (starts_at_ms > ?1 AND starts_at_ms <= ?2) "
      "OR (ends_at_ms > ?1 AND ends_at_ms <= ?2))");
  lists.Bind(1, from_ms).Bind(2, to_ms);
  lists.Step();
  return lists.Int(0) != 0;
}

std::optional<Books::GroupPrice> Books::GroupPriceOf(std::string_view gtin14, std::int64_t now_ms,
                                                     bool member, std::string_view group) {
  // The few lists that price one GTIN, lowest price (then list id) taken
  // here: an ORDER BY would build a sorter at every scan.
  auto st = db_.Cached(
      "SELECT p.price_minor, l.id, l.name FROM price_list_prices p JOIN price_lists l ON l.id = "
      "p.list_id "
      "WHERE p.gtin = ?1 AND l.starts_at_ms <= ?2 AND (l.ends_at_ms IS NULL OR l.ends_at_ms > ?2) "
      "AND (l.group_name = 'all' OR (?3 AND l.group_name = 'member') OR l.group_name = ?4)");
  st.Bind(1, gtin14).Bind(2, now_ms).Bind(3, std::int64_t{member ? 1 : 0}).Bind(4, group);
  std::optional<GroupPrice> best;
  while (st.Step()) {
    const MinorUnits price = st.Int(0);
    if (best && (price > best->price || (price == best->price && st.Text(1) >= best->list_id))) {
      continue;
    }
    best = GroupPrice{price, st.Text(1), st.Text(2)};
  }
  return best;
}

Expected<CatalogImport> Books::ImportCatalogCsv(std::string_view csv) {
  auto invalid = [](std::string message) {
    return MakeError(ErrorKind::refused, "catalog_invalid", std::move(message));
  };
  if (csv.size() > 64u * 1024 * 1024) return invalid("the file is over 64 MiB");
  std::vector<Row> rows;
  if (auto err = SplitCsv(csv, rows)) return invalid(*err);
  if (rows.empty())
    return invalid("the file is empty; expected header gtin,name,price_minor[,tax_rate]");
  std::vector<std::string> header;
  for (auto& f : rows[0].fields) header.push_back(Trim(f));
  // Where the optional columns are (0: absent).
  std::size_t tax_at = 0;
  std::size_t zh_at = 0;
  std::size_t signed_at = 0;
  std::size_t category_at = 0;
  std::size_t serialised_at = 0;
  std::size_t included_at = 0;
  bool header_ok = header.size() >= 3 && header.size() <= 9 && header[0] == "gtin" &&
                   header[1] == "name" && header[2] == "price_minor";
  for (std::size_t i = 3; header_ok && i < header.size(); ++i) {
    std::size_t* at = header[i] == "tax_rate"       ? &tax_at
                      : header[i] == "name_zh"      ? &zh_at
                      : header[i] == "signed"       ? &signed_at
                      : header[i] == "category"     ? &category_at
                      : header[i] == "serialised"   ? &serialised_at
                      : header[i] == "tax_included" ? &included_at
                                                    : nullptr;
    header_ok = at != nullptr && *at == 0;  // a known column, once
    if (header_ok) *at = i;
  }
  if (!header_ok) {
    return invalid(
        "line 1: the header must be gtin,name,price_minor, then optionally tax_rate, name_zh, "
        "signed, category, serialised and tax_included, in any order");
  }
  const bool with_tax = tax_at != 0;
  std::vector<Product> products;
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    const std::string at = "line " + std::to_string(row.line) + ": ";
    if (row.fields.size() != header.size()) {
      problems.push_back(at + "expected " + std::to_string(header.size()) + " fields, found " +
                         std::to_string(row.fields.size()));
      continue;
    }
    Product p;
    p.currency = config_.currency;
    auto gtin = codes::NormaliseGtin(Trim(row.fields[0]));
    if (!gtin) {
      problems.push_back(at + gtin.error().message);
      continue;
    }
    p.gtin = *gtin;
    p.name = Trim(row.fields[1]);
    if (p.name.empty() || p.name.size() > 200 || HasControl(p.name) || !ValidUtf8(p.name)) {
      problems.push_back(at +
                         "the name must be 1-200 bytes of UTF-8 without control characters "
                         "(save the file as UTF-8, not GBK)");
      continue;
    }
    const std::string price = Trim(row.fields[2]);
    bool digits = !price.empty() && price.size() <= 13;
    for (char c : price) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoll(price) > kMaxPriceMinor) {
      problems.push_back(at +
                         "price_minor must be a whole number of minor units (fen) from 0 "
                         "to 1000000000000");
      continue;
    }
    p.price_minor = std::stoll(price);
    if (zh_at != 0) {
      p.name_zh = Trim(row.fields[zh_at]);  // empty: this product has no Chinese name
      if (p.name_zh.size() > 200 || HasControl(p.name_zh) || !ValidUtf8(p.name_zh)) {
        problems.push_back(at +
                           "name_zh must be at most 200 bytes of UTF-8 without control "
                           "characters (save the file as UTF-8, not GBK)");
        continue;
      }
    }
    if (category_at != 0) {
      p.category = Trim(row.fields[category_at]);  // empty: none
      if (p.category.size() > 64 || HasControl(p.category) || !ValidUtf8(p.category)) {
        problems.push_back(at + "category must be at most 64 bytes of UTF-8");
        continue;
      }
    }
    // signed empty: as the store's codes.require_signature says;
    // serialised empty: as each label says.
    if (!YesNo(row, signed_at, p.requires_signature)) {
      problems.push_back(at + "signed must be true or false (or empty: the store's rule)");
      continue;
    }
    if (!YesNo(row, serialised_at, p.serialised)) {
      problems.push_back(at + "serialised must be true or false (or empty: as the label says)");
      continue;
    }
    // tax_included empty: true, as China's prices are.
    if (std::optional<bool> included; !YesNo(row, included_at, included)) {
      problems.push_back(at + "tax_included must be true or false (or empty: true)");
      continue;
    } else {
      p.tax_included = included.value_or(true);
    }
    if (with_tax) {
      auto bp = ParseTaxRate(Trim(row.fields[tax_at]));
      if (!bp) {
        problems.push_back(at +
                           "tax_rate must be a fraction like 0.13 or a percentage like "
                           "13%, between 0 and 1");
        continue;
      }
      p.tax_rate_bp = *bp;
    }
    if (!seen.insert(p.gtin).second) {
      problems.push_back(at + "GTIN " + p.gtin + " appears more than once");
      continue;
    }
    products.push_back(std::move(p));
  }
  if (!problems.empty()) {
    std::string message = std::to_string(problems.size()) + " bad row(s), nothing imported";
    for (std::size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i) {
      message += "\n" + problems[i];
    }
    if (problems.size() > kMaxProblemsShown) message += "\n...";
    return invalid(message);
  }
  try {
    ledger::Transaction tx(db_);
    for (const auto& p : products) WriteProduct(p);
    tx.Commit();
  } catch (const ledger::Failure& f) {
    return f.error();
  }
  return CatalogImport{products.size()};
}

}  // namespace sa::store
