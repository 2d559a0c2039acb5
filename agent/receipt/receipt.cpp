// SPDX-License-Identifier: Apache-2.0
#include "receipt.hpp"

#include <charconv>
#include <initializer_list>
#include <vector>

#include "crypto.hpp"
#include "encode.hpp"

namespace sa::receipt {
namespace {

// ---- UTF-8 and display columns -------------------------------------------

struct Decoded {
  char32_t cp = 0;
  std::size_t len = 1;
  bool ok = false;
};

// One code point at s[i] (i < s.size()). Overlong forms, surrogates, code
// points past U+10FFFF and truncated sequences are invalid; an invalid
// sequence consumes one byte.
Decoded DecodeOne(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    return {};
  }
  if (len > s.size() - i) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0u) != 0x80u) return {};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len, true};
}

bool Wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// One printable character: its bytes and its display columns.
struct Glyph {
  std::string bytes;
  int cols = 1;
  bool space() const { return bytes == " "; }
};
using Glyphs = std::vector<Glyph>;

// Control characters (C0, DEL, C1) become a space and invalid bytes '?', so
// nothing from a sale or a catalog can reach the printer as a command.
Glyphs Sanitize(std::string_view s) {
  Glyphs out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const Decoded d = DecodeOne(s, i);
    if (!d.ok) {
      out.push_back({"?", 1});
    } else if (d.cp < 0x20 || (d.cp >= 0x7F && d.cp <= 0x9F)) {
      out.push_back({" ", 1});
    } else {
      out.push_back({std::string(s.substr(i, d.len)), Wide(d.cp) ? 2 : 1});
    }
    i += d.len;
  }
  return out;
}

int Cols(const Glyphs& g, std::size_t begin, std::size_t end) {
  int cols = 0;
  for (std::size_t i = begin; i < end; ++i) cols += g[i].cols;
  return cols;
}
int Cols(const Glyphs& g) { return Cols(g, 0, g.size()); }

std::string Join(const Glyphs& g, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) out += g[i].bytes;
  return out;
}

// Lines of at most `width` columns. `words` breaks at the last space that
// fits (dropping it) and only cuts inside a word that is wider than a line;
// otherwise every line is filled. A glyph is never split.
std::vector<std::string> Wrap(std::string_view text, int width, bool words) {
  const Glyphs g = Sanitize(text);
  std::vector<std::string> lines;
  std::size_t i = 0;
  while (i < g.size()) {
    if (words && !lines.empty()) {
      while (i < g.size() && g[i].space()) ++i;
      if (i == g.size()) break;
    }
    int cols = 0;
    std::size_t j = i;
    std::size_t last_space = g.size();
    while (j < g.size() && cols + g[j].cols <= width) {
      if (g[j].space()) last_space = j;
      cols += g[j].cols;
      ++j;
    }
    if (j == i) ++j;  // a glyph wider than the line: cannot happen at 32+ columns
    std::size_t end = j;
    std::size_t next = j;
    if (words && j < g.size() && !g[j].space() && last_space < g.size() && last_space > i) {
      end = last_space;
      next = last_space + 1;
    }
    if (words) {
      while (end > i && g[end - 1].space()) --end;
    }
    lines.push_back(Join(g, i, end));
    i = next;
  }
  return lines;
}

// The longest prefix of `text` (sanitised) within `max_cols` columns.
std::string Fit(std::string_view text, int max_cols) {
  const Glyphs g = Sanitize(text);
  int cols = 0;
  std::size_t j = 0;
  while (j < g.size() && cols + g[j].cols <= max_cols) cols += g[j++].cols;
  while (j > 0 && g[j - 1].space()) --j;
  return Join(g, 0, j);
}

std::string Spaces(int n) { return std::string(n > 0 ? static_cast<std::size_t>(n) : 0, ' '); }

// ---- the layout, shared by Text() and EscPos() -----------------------------

enum class Style { plain, centre, bold, banner };  // banner: centred and bold
struct Row {
  std::string text;  // sanitised, at most `width` columns, no padding for centre
  Style style = Style::plain;
  bool centred() const { return style == Style::centre || style == Style::banner; }
  bool bold() const { return style == Style::bold || style == Style::banner; }
};

class Layout {
 public:
  explicit Layout(int width) : width_(width) {}

  void Centre(std::string_view text, Style style = Style::centre) {
    for (auto& line : Wrap(text, width_, true)) rows_.push_back({std::move(line), style});
  }
  void Plain(std::string_view text, bool words = true) {
    for (auto& line : Wrap(text, width_, words)) rows_.push_back({std::move(line), Style::plain});
  }
  void Rule() {
    rows_.push_back({std::string(static_cast<std::size_t>(width_), '-'), Style::plain});
  }
  // `left` then `right` flush to the right edge; on two lines when both do
  // not fit on one.
  void LeftRight(std::string_view left, std::string_view right, Style style = Style::plain) {
    const Glyphs l = Sanitize(left);
    const Glyphs r = Sanitize(right);
    const int lc = Cols(l);
    const int rc = Cols(r);
    if (lc + 1 + rc <= width_) {
      rows_.push_back(
          {Join(l, 0, l.size()) + Spaces(width_ - lc - rc) + Join(r, 0, r.size()), style});
      return;
    }
    for (auto& line : Wrap(left, width_, true)) rows_.push_back({std::move(line), style});
    for (auto& line : Wrap(right, width_, false)) {
      const int pad = width_ - static_cast<int>(DisplayColumns(line));
      rows_.push_back({Spaces(pad) + line, style});
    }
  }
  // A product name on at most `max_lines` lines, cut with "..." beyond.
  void Name(std::string_view name, std::size_t max_lines) {
    std::vector<std::string> lines = Wrap(name, width_, true);
    if (lines.size() > max_lines) {
      lines.resize(max_lines);
      lines.back() = Fit(lines.back(), width_ - 3) + "...";
    }
    for (auto& line : lines) rows_.push_back({std::move(line), Style::plain});
  }

  int width() const { return width_; }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  int width_;
  std::vector<Row> rows_;
};

// ---- dates ------------------------------------------------------------------

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// A line's name in the receipt's language: in zh-CN the catalog's Chinese
// name where it has one; the GTIN when there is no name at all.
const std::string& NameOf(const store::Line& line, i18n::Locale l) {
  if (l == i18n::Locale::zh_CN && !line.name_zh.empty()) return line.name_zh;
  return line.name.empty() ? line.gtin : line.name;
}

std::string Pad(std::int64_t v, std::size_t digits) {
  std::string s = std::to_string(v);
  if (s.size() < digits) s.insert(0, digits - s.size(), '0');
  return s;
}

// "YYYY-MM-DD HH:MM" of unix_ms shifted by tz_offset_min, proleptic Gregorian
// (H. Hinnant's civil_from_days), integer arithmetic only.
std::string FormatLocalMinute(std::int64_t unix_ms, int tz_offset_min) {
  std::int64_t local = unix_ms;
  if (__builtin_add_overflow(unix_ms, static_cast<std::int64_t>(tz_offset_min) * 60000, &local)) {
    local = unix_ms;
  }
  const std::int64_t secs = FloorDiv(local, 1000);
  const std::int64_t days = FloorDiv(secs, 86400);
  const std::int64_t sod = secs - days * 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return Pad(year, 4) + "-" + Pad(month, 2) + "-" + Pad(day, 2) + " " + Pad(sod / 3600, 2) + ":" +
         Pad((sod % 3600) / 60, 2);
}

// ---- the receipt ------------------------------------------------------------

// A payment method as the receipt names it: "pay.{method}" in the catalog,
// else the method's own name.
std::string MethodLabel(std::string_view method, i18n::Locale locale) {
  const std::string key = "pay." + std::string(method);
  return i18n::Has(key) ? std::string(i18n::Text(locale, key)) : std::string(method);
}

bool PrintsClaim(const sa::store::Sale& sale, std::string_view claim_url) {
  return !claim_url.empty() && !sale.member && sale.status != "voided";
}

// The top of every receipt: the COPY mark of a reprint, the shop's name,
// address and ids.
void Header(Layout& out, const Shop& shop, const Options& options) {
  const i18n::Locale l = options.locale;
  if (options.reprint) out.Centre(i18n::Text(l, "receipt.copy"), Style::banner);
  out.Centre(shop.name);
  out.Centre(shop.address);
  std::string ids;
  if (!shop.store_id.empty()) ids += i18n::Format(l, "receipt.store", {{"id", shop.store_id}});
  if (!shop.device_id.empty()) {
    ids += (ids.empty() ? "" : "  ") + i18n::Format(l, "receipt.device", {{"id", shop.device_id}});
  }
  out.Centre(ids);
}

// Under the total, the VAT it includes at each rate (prices include VAT):
// "incl. VAT 13%   68.91", `sign` -1 on a refund's receipt. Nothing for
// lines without VAT.
void VatLines(Layout& out, const std::vector<sa::store::TaxBand>& bands, int sign, i18n::Locale l) {
  for (const auto& band : bands) {
    if (band.rate_bp == 0) continue;
    out.LeftRight(i18n::Format(l, "receipt.vat", {{"rate", sa::store::FormatRate(band.rate_bp)}}),
                  FormatMoney(sign * band.vat));
  }
}

Layout Build(const sa::store::Sale& sale, const Shop& shop, Width width, std::string_view claim_url,
             const Options& options) {
  Layout out(Columns(width));
  const i18n::Locale l = options.locale;

  Header(out, shop, options);
  if (sale.status == "voided") out.Centre(i18n::Text(l, "receipt.voided"));
  if (sale.status == "open") out.Centre(i18n::Text(l, "receipt.not_paid"));
  out.Rule();

  if (!sale.receipt_no.empty()) out.LeftRight(i18n::Text(l, "receipt.number"), sale.receipt_no);
  out.LeftRight(
      i18n::Text(l, "receipt.date"),
      FormatLocalMinute(sale.closed_at_ms.value_or(sale.opened_at_ms), options.tz_offset_min));
  out.Rule();

  std::optional<std::int64_t> items = 0;
  for (const auto& line : sale.lines) {
    out.Name(NameOf(line, l), 2);
    // A discounted line: its price before, then each promotion's discount
    // under it, then VAT its price excluded, so the column adds up to the
    // total as printed.
    MinorUnits before = line.tax_added ? line.amount - line.vat : line.amount;
    for (const auto& d : line.discounts) before = AddMinor(before, d.amount).value_or(before);
    out.LeftRight("  " + std::to_string(line.qty) + " x " + FormatMoney(line.unit_price),
                  FormatMoney(before));
    for (const auto& d : line.discounts) {
      // A manager's discount on the whole sale in the receipt's language.
      const std::string name = d.promotion_id == pricing::kSaleDiscountId
                                   ? std::string(i18n::Text(l, "receipt.sale_discount"))
                                   : d.name;
      out.LeftRight("  " + name, FormatMoney(-d.amount));
    }
    if (line.tax_added) {
      out.LeftRight("  " + i18n::Format(l, "receipt.vat_added",
                                        {{"rate", sa::store::FormatRate(line.tax_rate_bp)}}),
                    FormatMoney(line.vat));
    }
    if (line.net_weight_g) {  // weighed: 1250 g -> "1.250"
      const std::int64_t g = *line.net_weight_g;
      std::string grams = std::to_string(g % 1000);
      grams.insert(0, 3 - grams.size(), '0');
      out.Plain(i18n::Format(l, "receipt.weight", {{"kg", std::to_string(g / 1000) + "." + grams}}),
                false);
    }
    if (!line.price_list.empty()) {  // a customer group's price
      out.Plain(i18n::Format(
                    l, "receipt.group_price",
                    {{"price", FormatMoney(line.catalog_price)}, {"list", line.price_list_name}}),
                false);
    }
    if (line.price_change) {  // sold below the catalog's price, a manager approving it
      out.Plain(i18n::Format(l, "receipt.list_price",
                             {{"price", FormatMoney(line.price_change->list_price)}}),
                false);
    }
    if (!line.serial.empty())
      out.Plain(i18n::Format(l, "receipt.serial", {{"serial", line.serial}}), false);
    if (items) items = AddMinor(*items, line.qty);
  }
  out.Rule();

  if (items) out.LeftRight(i18n::Text(l, "receipt.items"), std::to_string(*items));
  const std::string total(i18n::Text(l, "receipt.total"));
  out.LeftRight(sale.currency.empty() ? total : total + " " + sale.currency,
                FormatMoney(sale.total), Style::bold);
  VatLines(out, sa::store::TaxBands(sale.lines), 1, l);
  for (const auto& p : sale.payments) {
    out.LeftRight(MethodLabel(p.method, l), FormatMoney(p.amount));
  }
  if (sale.change) out.LeftRight(i18n::Text(l, "receipt.change"), FormatMoney(*sale.change));

  if (sale.member) {
    const auto& m = *sale.member;
    if (!m.member_id.empty()) {
      out.LeftRight(i18n::Text(l, "receipt.member"), m.member_id);
    } else if (!m.phone_masked.empty()) {
      // The ledger keeps only the masked form; mask again should a full
      // number ever arrive here.
      const bool masked = m.phone_masked.find('*') != std::string::npos;
      out.LeftRight(i18n::Text(l, "receipt.member"),
                    masked ? m.phone_masked : sa::store::MaskPhone(m.phone_masked));
    }
  }
  if (PrintsClaim(sale, claim_url)) {
    out.Rule();
    out.Plain(i18n::Format(l, "receipt.claim", {{"url", claim_url}}), false);
  }
  return out;
}

// The layout as plain text: centred rows padded with leading spaces.
std::string AsText(const Layout& layout) {
  std::string out;
  for (const Row& row : layout.rows()) {
    if (row.centred()) {
      out += Spaces((layout.width() - static_cast<int>(DisplayColumns(row.text))) / 2);
    }
    out += row.text;
    out += '\n';
  }
  return out;
}

void Append(std::string& out, std::initializer_list<int> bytes) {
  for (const int b : bytes) out.push_back(static_cast<char>(b));
}

// A row's sanitised UTF-8 in the printer's encoding: ASCII as it is (every
// encoding here is a superset of it), any other character through the
// encoder, and '?' per column for one the encoding lacks.
std::string Encode(std::string_view text, detail::Encoder& encoder) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = DecodeOne(text, i);
    if (d.ok && d.cp < 0x80) {
      out.push_back(static_cast<char>(d.cp));
    } else if (auto bytes = d.ok ? encoder.Character(text.substr(i, d.len)) : std::nullopt) {
      out += *bytes;
    } else {
      out.append(d.ok && Wide(d.cp) ? 2 : 1, '?');
    }
    i += d.len;
  }
  return out;
}

// Byte-mode capacity of a QR symbol, version 40, error correction M.
constexpr std::size_t kQrMaxBytes = 2331;

// A layout as an ESC/POS job (EscPos() says what it holds): the drawer kick
// when `drawer`, and `qr_url` as a QR code when it is not empty.
std::string EscPosOf(const Layout& layout, Width width, Encoding encoding, bool drawer,
                     std::string_view qr_url) {
  constexpr int ESC = 0x1B;
  constexpr int FS = 0x1C;
  constexpr int GS = 0x1D;
  detail::Encoder encoder(encoding);
  std::string out;
  Append(out, {ESC, '@'});
  if (drawer) out += kDrawerKick;
  switch (encoding) {
    case Encoding::gb18030: Append(out, {FS, '&'}); break;             // Chinese mode on
    case Encoding::cp437: Append(out, {FS, '.', ESC, 't', 0}); break;  // off; PC437
    case Encoding::utf8: break;
  }
  bool centred = false;
  for (const Row& row : layout.rows()) {
    if (row.centred() != centred) {
      centred = row.centred();
      Append(out, {ESC, 'a', centred ? 1 : 0});
    }
    if (row.bold()) Append(out, {ESC, 'E', 1});
    out += Encode(row.text, encoder);
    out += '\n';
    if (row.bold()) Append(out, {ESC, 'E', 0});
  }
  if (centred) Append(out, {ESC, 'a', 0});
  // Leave Chinese mode: the printer is left in its single-byte mode for
  // whatever prints next (a job from another program, a Z report).
  if (encoding == Encoding::gb18030) Append(out, {FS, '.'});

  if (!qr_url.empty() && qr_url.size() <= kQrMaxBytes) {
    const std::size_t n = qr_url.size() + 3;
    Append(out, {ESC, 'a', 1});
    Append(out, {GS, '(', 'k', 4, 0, 49, 65, 50, 0});                         // model 2
    Append(out, {GS, '(', 'k', 3, 0, 49, 67, width == Width::mm80 ? 6 : 4});  // module size
    Append(out, {GS, '(', 'k', 3, 0, 49, 69, 49});                            // EC level M
    Append(out, {GS, '(', 'k', static_cast<int>(n & 0xFF), static_cast<int>(n >> 8), 49, 80, 48});
    out += qr_url;                                  // store data
    Append(out, {GS, '(', 'k', 3, 0, 49, 81, 48});  // print
    out += '\n';
    Append(out, {ESC, 'a', 0});
  }
  Append(out, {ESC, 'd', 4});     // print and feed 4 lines
  Append(out, {GS, 'V', 66, 0});  // feed to the cutter, partial cut
  return out;
}

// A refund's receipt: the sale's header, then what came back and how the
// money went back, as negative amounts.
Layout BuildRefund(const sa::store::RefundSlip& slip, const Shop& shop, Width width,
                   const Options& options) {
  Layout out(Columns(width));
  const i18n::Locale l = options.locale;
  Header(out, shop, options);
  out.Centre(i18n::Text(l, slip.kind == "void" ? "receipt.post_void" : "receipt.refund"),
             Style::banner);
  out.Rule();
  out.LeftRight(i18n::Text(l, "receipt.original"), slip.sale_receipt_no);
  if (!slip.member_id.empty()) out.LeftRight(i18n::Text(l, "receipt.member"), slip.member_id);
  out.LeftRight(i18n::Text(l, "receipt.date"),
                FormatLocalMinute(slip.at_ms, options.tz_offset_min));
  out.Rule();
  std::int64_t items = 0;
  for (const auto& line : slip.lines) {
    out.Name(NameOf(line, l), 2);
    out.LeftRight("  " + std::to_string(line.qty) + " x " + FormatMoney(line.unit_price),
                  FormatMoney(-line.amount));
    if (!line.serial.empty()) {
      out.Plain(i18n::Format(l, "receipt.serial", {{"serial", line.serial}}), false);
    }
    items += line.qty;  // bounded: quantities of one sale's lines
  }
  out.Rule();
  out.LeftRight(i18n::Text(l, "receipt.items"), std::to_string(items));
  const std::string total(i18n::Text(l, "receipt.refund_total"));
  out.LeftRight(slip.refund.currency.empty() ? total : total + " " + slip.refund.currency,
                FormatMoney(-slip.refund.amount), Style::bold);
  VatLines(out, sa::store::TaxBands(slip.lines), -1, l);
  for (const auto& p : slip.refund.payments) {
    out.LeftRight(MethodLabel(p.method, l), FormatMoney(-p.amount));
  }
  if (slip.refund.approved && !slip.refund.approved->manager.empty()) {
    out.LeftRight(i18n::Text(l, "receipt.approved_by"), slip.refund.approved->manager);
  }
  return out;
}

// ---- claim token -------------------------------------------------------------

std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool IdChars(std::string_view id, bool dot) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || (dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

bool ValidCurrency(std::string_view cur) {
  if (cur.size() != 3) return false;
  for (const char c : cur) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Canonical decimal (what std::to_string prints): no sign but '-', no leading
// zeros, no "-0", within int64.
std::optional<std::int64_t> ParseCanonical(std::string_view s) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end || std::to_string(v) != s) return std::nullopt;
  return v;
}

bool ValidClaim(const Claim& c) {
  return IdChars(c.store_id, true) && IdChars(c.device_id, true) && IdChars(c.sale_id, false) &&
         ValidCurrency(c.currency) && c.sold_at_s >= 0;
}

std::string ClaimPayload(const Claim& c) {
  return c.store_id + " " + c.device_id + " " + c.sale_id + " " + std::to_string(c.total_minor) +
         " " + c.currency + " " + std::to_string(c.sold_at_s);
}

// The first kClaimMacBytes of the payload's HMAC.
std::vector<std::uint8_t> ClaimMac(std::span<const std::uint8_t> key, std::string_view payload) {
  const crypto::Digest mac = crypto::HmacSha256(key, "SAC2\n" + std::string(payload));
  return {mac.begin(), mac.begin() + kClaimMacBytes};
}

// A token split into its payload's claim and its MAC bytes.
struct SplitToken {
  Claim claim;
  std::vector<std::uint8_t> mac;
};

std::optional<SplitToken> Split(std::string_view token) {
  constexpr std::string_view kPrefix = "SAC2.";
  if (token.size() > kMaxClaimTokenSize || token.substr(0, kPrefix.size()) != kPrefix)
    return std::nullopt;
  const std::string_view rest = token.substr(kPrefix.size());
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto payload = crypto::Base64UrlDecode(rest.substr(0, dot));
  auto mac = crypto::Base64UrlDecode(rest.substr(dot + 1));  // a second '.' fails here
  if (!payload || !mac || mac->size() != kClaimMacBytes) return std::nullopt;
  const std::string text(payload->begin(), payload->end());
  std::vector<std::string_view> f;
  for (std::size_t at = 0;;) {
    const std::size_t sp = text.find(' ', at);
    f.push_back(std::string_view(text).substr(at, sp == std::string::npos ? sp : sp - at));
    if (sp == std::string::npos) break;
    at = sp + 1;
  }
  if (f.size() != 6) return std::nullopt;
  const auto total = ParseCanonical(f[3]);
  const auto sold_at = ParseCanonical(f[5]);
  if (!total || !sold_at) return std::nullopt;
  SplitToken out{Claim{std::string(f[0]), std::string(f[1]), std::string(f[2]), *total,
                       std::string(f[4]), *sold_at},
                 std::move(*mac)};
  // The payload must be exactly the one ClaimToken would write: one token per claim.
  if (!ValidClaim(out.claim) || ClaimPayload(out.claim) != text) return std::nullopt;
  return out;
}

bool ConstantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace

int Columns(Width width) { return width == Width::mm80 ? 48 : 32; }

std::optional<Encoding> ParseEncoding(std::string_view name) {
  for (const Encoding e : {Encoding::gb18030, Encoding::utf8, Encoding::cp437}) {
    if (name == EncodingName(e)) return e;
  }
  return std::nullopt;
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::gb18030: return "gb18030";
    case Encoding::utf8: return "utf-8";
    case Encoding::cp437: return "cp437";
  }
  return "gb18030";
}

bool OpensDrawer(const sa::store::Sale& sale, const Options& options) {
  if (options.reprint || sale.status != "completed") return false;
  for (const auto& p : sale.payments) {
    if (p.method == "cash") return true;
  }
  return false;
}

std::vector<std::uint8_t> ClaimKey(std::span<const std::uint8_t> device_key) {
  if (device_key.empty()) return {};
  const crypto::Digest key = crypto::HmacSha256(device_key, "store-agent claim key 1");
  return {key.begin(), key.end()};
}

std::optional<Claim> ClaimOf(const sa::store::Sale& sale, const Shop& shop) {
  if (sale.status != "completed" || !sale.closed_at_ms) return std::nullopt;
  return Claim{shop.store_id, shop.device_id, sale.id,
               sale.total,    sale.currency,  *sale.closed_at_ms / 1000};
}

std::string ClaimToken(const Claim& claim, std::span<const std::uint8_t> claim_key) {
  if (claim_key.empty() || !ValidClaim(claim)) return {};
  const std::string payload = ClaimPayload(claim);
  return "SAC2." + crypto::Base64UrlEncode(AsBytes(payload)) + "." +
         crypto::Base64UrlEncode(ClaimMac(claim_key, payload));
}

std::optional<Claim> ReadClaim(std::string_view token) {
  auto split = Split(token);
  if (!split) return std::nullopt;
  return std::move(split->claim);
}

std::optional<Claim> VerifyClaim(std::string_view token, std::span<const std::uint8_t> claim_key) {
  if (claim_key.empty()) return std::nullopt;
  auto split = Split(token);
  if (!split) return std::nullopt;
  if (!ConstantTimeEqual(ClaimMac(claim_key, ClaimPayload(split->claim)), split->mac))
    return std::nullopt;
  return std::move(split->claim);
}

std::string ClaimUrl(std::string_view url_template, std::string_view token) {
  std::string url(url_template);
  const std::size_t at = url.find("{token}");
  if (at == std::string::npos) return url + std::string(token);
  return url.replace(at, 7, token);
}

std::string FormatMoney(MinorUnits minor) { return sa::FormatMinor(minor); }

std::size_t DisplayColumns(std::string_view utf8) {
  std::size_t cols = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const Decoded d = DecodeOne(utf8, i);
    cols += d.ok && Wide(d.cp) ? 2 : 1;
    i += d.len;
  }
  return cols;
}

std::string Text(const sa::store::Sale& sale, const Shop& shop, Width width,
                 std::string_view claim_url, const Options& options) {
  return AsText(Build(sale, shop, width, claim_url, options));
}

std::string ShiftReportText(const sa::store::ShiftReport& r, Width width, const Options& options) {
  const i18n::Locale l = options.locale;
  auto text = [l](std::string_view key) { return i18n::Text(l, key); };
  auto count = [l](std::string_view key, std::int64_t n) {
    return i18n::Format(l, key, {{"count", std::to_string(n)}});
  };
  auto at = [&options](std::int64_t ms) { return FormatLocalMinute(ms, options.tz_offset_min); };
  Layout out(Columns(width));
  out.Centre(text(r.closed_at_ms ? "report.z_title" : "report.x_title"), Style::banner);
  out.Rule();
  out.LeftRight(text("report.terminal"), r.terminal);
  if (!r.cashier.empty()) out.LeftRight(text("report.cashier"), r.cashier);
  out.LeftRight(text("report.opened"), at(r.opened_at_ms));
  if (r.closed_at_ms) out.LeftRight(text("report.closed"), at(*r.closed_at_ms));
  out.LeftRight(text("report.currency"), r.currency);
  out.Rule();
  out.LeftRight(count("report.sales", r.sales_count), FormatMoney(r.sales_total));
  out.LeftRight(count("report.refunds", r.refunds_count), FormatMoney(r.refunds_total));
  out.Plain(count("report.voids", r.voids_count));      // no money changed hands
  out.Plain(count("report.no_sale", r.no_sale_count));  // the drawer opened without a sale
  out.LeftRight(count("report.post_voids", r.post_voids_count), FormatMoney(r.post_voids_total));
  out.Rule();
  out.Plain(text("report.by_method"));
  for (const auto& m : r.by_method) {
    out.LeftRight(
        "  " + MethodLabel(m.method, l),
        FormatMoney(m.sales) + " / " + FormatMoney(m.refunds) + " / " + FormatMoney(m.net));
  }
  out.Rule();
  if (!r.by_rate.empty()) {  // the VAT in what was sold and refunded, by rate
    out.Plain(text("report.vat_by_rate"));
    for (const auto& v : r.by_rate) {
      out.LeftRight("  " + sa::store::FormatRate(v.rate_bp), FormatMoney(v.sales.vat) + " / " +
                                                                 FormatMoney(v.refunds.vat) +
                                                                 " / " + FormatMoney(v.net_vat));
    }
    out.Rule();
  }
  out.Plain(text("report.drawer"));
  auto indented = [&text](std::string_view key) { return "  " + std::string(text(key)); };
  out.LeftRight(indented("report.opening_cash"), FormatMoney(r.opening_float));
  out.LeftRight(indented("report.cash_taken"), FormatMoney(r.cash_sales));
  out.LeftRight(indented("report.change_given"), FormatMoney(-r.change_given));
  out.LeftRight(indented("report.cash_refunded"), FormatMoney(-r.cash_refunds));
  out.LeftRight(indented("report.expected"), FormatMoney(r.expected_cash));
  if (r.counted_cash) out.LeftRight(indented("report.counted"), FormatMoney(*r.counted_cash));
  if (r.variance) out.LeftRight(indented("report.variance"), FormatMoney(*r.variance));
  out.Rule();
  out.LeftRight(text("report.pending"), std::to_string(r.pending_events));
  return AsText(out);
}

std::string EscPos(const sa::store::Sale& sale, const Shop& shop, Width width,
                   std::string_view claim_url, const Options& options) {
  return EscPosOf(Build(sale, shop, width, claim_url, options), width, options.encoding,
                  OpensDrawer(sale, options),
                  PrintsClaim(sale, claim_url) ? claim_url : std::string_view());
}

std::string RefundText(const sa::store::RefundSlip& slip, const Shop& shop, Width width,
                       const Options& options) {
  return AsText(BuildRefund(slip, shop, width, options));
}

std::string RefundEscPos(const sa::store::RefundSlip& slip, const Shop& shop, Width width,
                         const Options& options) {
  bool cash = false;
  for (const auto& p : slip.refund.payments) cash = cash || p.method == "cash";
  return EscPosOf(BuildRefund(slip, shop, width, options), width, options.encoding,
                  cash && !options.reprint, {});
}

}  // namespace sa::receipt
