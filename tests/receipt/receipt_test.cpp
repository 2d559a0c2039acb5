// SPDX-License-Identifier: Apache-2.0
#include "receipt.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "receipt_fixtures.hpp"
#include "store.hpp"

using sa::receipt::Claim;
using sa::receipt::Shop;
using sa::receipt::Width;
using sa::store::Sale;

namespace {

using sa::testing::MakeLine;

// ---- independent helpers (not the module's own) -----------------------------

// Decodes UTF-8 strictly; nothing when any sequence is invalid.
std::optional<std::vector<char32_t>> Decode(std::string_view s) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      n = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      n = 2;
      cp = b & 0x1Fu;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3;
      cp = b & 0x0Fu;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4;
      cp = b & 0x07u;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += n;
  }
  return out;
}

// Display columns per the brief's CJK ranges; requires valid UTF-8.
std::size_t Columns(std::string_view line) {
  const auto cps = Decode(line);
  REQUIRE(cps.has_value());
  std::size_t cols = 0;
  for (const char32_t c : *cps) {
    const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                      (c >= 0xFFE0 && c <= 0xFFE6);
    cols += wide ? 2 : 1;
  }
  return cols;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos);  // every line ends with '\n'
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::size_t PaperCols(Width w) { return w == Width::mm58 ? 32 : 48; }

// "left      right", exactly `width` columns (ASCII only).
std::string Row(const std::string& left, const std::string& right, std::size_t width) {
  return left + std::string(width - left.size() - right.size(), ' ') + right;
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  for (const auto& l : lines) {
    if (l == line) return true;
  }
  return false;
}

std::size_t Count(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::span<const std::uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string B64(std::string_view s) { return sa::crypto::Base64UrlEncode(Span(s)); }

constexpr std::int64_t kClosed = 1795341845000;  // 2026-11-22T10:04:05Z

Sale MakeSale() {
  Sale s;
  s.id = "0190f3a2-7c1e-7b3a-9f00-0123456789ab";
  s.status = "completed";
  s.terminal = "pos-1";
  s.currency = "CNY";
  s.lines.push_back(MakeLine("Running Shoe Air 42", "SN0001A", 59900, 1));
  s.lines.push_back(MakeLine("袜子 Socks", "", 1500, 2));
  s.total = 62900;
  s.payments.push_back({"cash", 70000, ""});
  s.tendered = 70000;
  s.change = 7100;
  s.receipt_no = "demo-till-1-000042";
  s.opened_at_ms = kClosed - 60000;
  s.closed_at_ms = kClosed;
  return s;
}

Shop MakeShop() {
  Shop shop;
  shop.name = "Demo Store";
  shop.address = "1 Nanjing Road, Shanghai";
  shop.store_id = "S001";
  shop.device_id = "till-1";
  return shop;
}

const std::string kKeyText = "device-key-0123456789abcdef-0123";
std::span<const std::uint8_t> Key() { return Span(kKeyText); }

const std::string kUrl = "https://c.example.com/c/SAC2.abc.def";

void CheckLayout(const std::string& text, Width w) {
  INFO(text);
  const auto lines = Lines(text);
  REQUIRE_FALSE(lines.empty());
  for (const auto& line : lines) {
    INFO("line: [" << line << "]");
    CHECK(Columns(line) <= PaperCols(w));
    for (const char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
}

}  // namespace

TEST_CASE("money is formatted from minor units with integers", "[receipt]") {
  using sa::receipt::FormatMoney;
  CHECK(FormatMoney(59900) == "599.00");
  CHECK(FormatMoney(0) == "0.00");
  CHECK(FormatMoney(5) == "0.05");
  CHECK(FormatMoney(100) == "1.00");
  CHECK(FormatMoney(123456789) == "1234567.89");
  CHECK(FormatMoney(-5) == "-0.05");
  CHECK(FormatMoney(-12345) == "-123.45");
  CHECK(FormatMoney(INT64_MAX) == "92233720368547758.07");
  CHECK(FormatMoney(INT64_MIN) == "-92233720368547758.08");
}

TEST_CASE("display columns count CJK as two and never split a sequence", "[receipt]") {
  using sa::receipt::DisplayColumns;
  CHECK(DisplayColumns("abc") == 3);
  CHECK(DisplayColumns("袜子") == 4);          // U+889C U+5B50
  CHECK(DisplayColumns("한") == 2);            // U+D55C (Hangul syllable)
  CHECK(DisplayColumns("Ａ") == 2);            // U+FF21 fullwidth
  CHECK(DisplayColumns("é") == 1);             // U+00E9
  CHECK(DisplayColumns("\xff") == 1);          // invalid byte prints as '?'
  CHECK(DisplayColumns("\xe8\xa2") == 2);      // truncated sequence: two bad bytes
  CHECK(DisplayColumns("\xe0\x80\xaf") == 3);  // overlong '/': three bad bytes
  CHECK(DisplayColumns("\xed\xa0\x80") == 3);  // a UTF-16 surrogate is not UTF-8
  CHECK(DisplayColumns("") == 0);
}

TEST_CASE("no line is wider than the paper, whatever the names", "[receipt]") {
  const std::string long_ascii =
      "Limited Edition Ultra Lightweight Trail Running Shoe With Extra Cushioning And A Very "
      "Long Marketing Name That Goes On";
  std::string long_cjk;
  for (int i = 0; i < 40; ++i) long_cjk += "运动鞋";
  const std::string no_spaces(150, 'X');
  const std::string odd = "A" + long_cjk;  // wide characters start at an odd column

  Sale s = MakeSale();
  s.lines.push_back(MakeLine(long_ascii, std::string(90, 'S'), 12345, 3));
  s.lines.push_back(MakeLine(long_cjk, "序列号001", 8800, 1));
  s.lines.push_back(MakeLine(no_spaces, "", 100, 1));
  s.lines.push_back(MakeLine(odd, "", 100, 1));
  s.lines.push_back(MakeLine("Gift card", "", INT64_MAX, 1));
  s.lines.back().qty = INT64_MAX;
  s.receipt_no = std::string(70, 'R');
  s.total = INT64_MIN;
  s.change = INT64_MIN;
  s.payments.push_back({"wechat", INT64_MAX, ""});

  Shop shop = MakeShop();
  shop.name = "上海南京路旗舰店" + long_cjk;
  shop.address = long_ascii;
  shop.store_id = std::string(40, 'I');

  const std::string url = "https://c.example.com/c/" + std::string(150, 'T');
  for (const Width w : {Width::mm58, Width::mm80}) {
    CheckLayout(sa::receipt::Text(s, shop, w, url), w);
    CheckLayout(sa::receipt::Text(s, shop, w, ""), w);
    Sale member = s;
    member.member = sa::store::Member{std::string(100, 'M'), ""};
    CheckLayout(sa::receipt::Text(member, shop, w, ""), w);
  }
}

TEST_CASE("names wrap on whole characters and are cut after two lines", "[receipt]") {
  // 20 CJK characters = 40 columns: 16 characters on the first 58 mm line.
  std::string cjk20;
  for (int i = 0; i < 10; ++i) cjk20 += "袜子";
  Sale s = MakeSale();
  s.lines = {MakeLine(cjk20, "", 1000, 1), MakeLine("A" + cjk20, "", 1000, 1)};
  const auto lines = Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, ""));

  std::size_t i = 0;
  while (i < lines.size() && lines[i].rfind("袜", 0) != 0) ++i;
  REQUIRE(i + 1 < lines.size());
  CHECK(Columns(lines[i]) == 32);
  CHECK(lines[i] + lines[i + 1] == cjk20);  // whole name, nothing lost or split

  // After a one-column "A" only 15 wide characters fit (31 columns).
  std::size_t j = 0;
  while (j < lines.size() && lines[j].rfind("A袜", 0) != 0) ++j;
  REQUIRE(j + 1 < lines.size());
  CHECK(Columns(lines[j]) == 31);
  CHECK(lines[j] + lines[j + 1] == "A" + cjk20);

  // A name of four lines' worth is cut to two, the second ending in "...".
  std::string cjk64;
  for (int k = 0; k < 32; ++k) cjk64 += "袜子";
  s.lines = {MakeLine(cjk64, "", 1000, 1)};
  const auto cut = Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, ""));
  std::size_t n = 0;
  while (n < cut.size() && cut[n].rfind("袜", 0) != 0) ++n;
  REQUIRE(n + 2 < cut.size());
  CHECK(cut[n + 1].size() > 3);
  CHECK(cut[n + 1].substr(cut[n + 1].size() - 3) == "...");
  CHECK(Columns(cut[n + 1]) <= 32);
  CHECK(cut[n + 2] == Row("  1 x 10.00", "10.00", 32));

  // ASCII names wrap at spaces.
  s.lines = {MakeLine("Limited Edition Trail Running Shoe Blue", "", 1000, 1)};
  const auto ascii = Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, ""));
  CHECK(Has(ascii, "Limited Edition Trail Running"));
  CHECK(Has(ascii, "Shoe Blue"));
}

TEST_CASE("lines, total, payments and change are formatted and right-aligned", "[receipt]") {
  for (const Width w : {Width::mm58, Width::mm80}) {
    const std::size_t cols = PaperCols(w);
    Sale s = MakeSale();
    s.payments = {{"card", 50000, "CARD-REF-1"}, {"cash", 20000, ""}};
    s.lines.push_back(MakeLine("Discount", "", -500, 1));
    s.total = 62400;
    s.change = 7600;
    const auto lines = Lines(sa::receipt::Text(s, MakeShop(), w, ""));
    INFO(sa::receipt::Text(s, MakeShop(), w, ""));
    CHECK(Has(lines, "Running Shoe Air 42"));
    CHECK(Has(lines, Row("  1 x 599.00", "599.00", cols)));
    CHECK(Has(lines, "SN SN0001A"));
    CHECK(Has(lines, "袜子 Socks"));
    CHECK(Has(lines, Row("  2 x 15.00", "30.00", cols)));
    CHECK(Has(lines, Row("  1 x -5.00", "-5.00", cols)));
    CHECK(Has(lines, Row("Items", "4", cols)));
    CHECK(Has(lines, Row("TOTAL CNY", "624.00", cols)));
    CHECK(Has(lines, Row("Card", "500.00", cols)));
    CHECK(Has(lines, Row("Cash", "200.00", cols)));
    CHECK(Has(lines, Row("Change", "76.00", cols)));
    CHECK(Has(lines, Row("Receipt", "demo-till-1-000042", cols)));
    const std::string all = sa::receipt::Text(s, MakeShop(), w, "");
    CHECK(all.find("CARD-REF-1") == std::string::npos);  // refs are not printed
    // A plain GTIN line has no SN line.
    CHECK(Count(all, "SN ") == 1);
  }
}

TEST_CASE("the header is centred and the date is local time of closing", "[receipt]") {
  Sale s = MakeSale();
  const auto lines = Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, ""));
  CHECK(lines.at(0) == std::string(11, ' ') + "Demo Store");  // (32 - 10) / 2
  CHECK(lines.at(1) == std::string(4, ' ') + "1 Nanjing Road, Shanghai");
  CHECK(lines.at(2) == std::string(3, ' ') + "Store S001  Device till-1");  // (32 - 25) / 2
  CHECK(Has(lines, Row("Date", "2026-11-22 10:04", 32)));

  auto date = [&](std::int64_t ms, int tz) {
    s.closed_at_ms = ms;
    const auto l = Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, "", {.tz_offset_min = tz}));
    for (const auto& line : l) {
      if (line.rfind("Date", 0) == 0) return line.substr(32 - 16);
    }
    return std::string("(no date line)");
  };
  CHECK(date(kClosed, 480) == "2026-11-22 18:04");        // UTC+8
  CHECK(date(kClosed, -660) == "2026-11-21 23:04");       // crosses midnight back
  CHECK(date(1798749000000, 480) == "2027-01-01 04:30");  // crosses the year
  CHECK(date(1709251170000, 0) == "2024-02-29 23:59");    // leap day
  CHECK(date(1709251170000 + 30000, 0) == "2024-03-01 00:00");
  CHECK(date(-1, 0) == "1969-12-31 23:59");  // before the epoch
}

TEST_CASE("a bound member shows only the member id or masked phone, and no claim", "[receipt]") {
  Sale s = MakeSale();
  s.member = sa::store::Member{"", "138****5678"};
  for (const Width w : {Width::mm58, Width::mm80}) {
    const std::string text = sa::receipt::Text(s, MakeShop(), w, kUrl);
    const auto lines = Lines(text);
    CHECK(Has(lines, Row("Member", "138****5678", PaperCols(w))));
    CHECK(text.find("Claim") == std::string::npos);
    CHECK(text.find("https://") == std::string::npos);
    const std::string esc = sa::receipt::EscPos(s, MakeShop(), w, kUrl);
    CHECK(esc.find(Bytes({0x1D, '(', 'k'})) == std::string::npos);
  }

  s.member = sa::store::Member{"M000123", ""};
  CHECK(
      Has(Lines(sa::receipt::Text(s, MakeShop(), Width::mm58, "")), Row("Member", "M000123", 32)));

  // Should a full number ever arrive, it is masked, never printed.
  s.member = sa::store::Member{"", "13812345678"};
  const std::string text = sa::receipt::Text(s, MakeShop(), Width::mm58, "");
  CHECK(text.find("13812345678") == std::string::npos);
  CHECK(Has(Lines(text), Row("Member", "138****5678", 32)));
}

// What MakeSale's token claims, sold at MakeShop.
Claim SaleClaim() {
  return Claim{"S001", "till-1", "0190f3a2-7c1e-7b3a-9f00-0123456789ab",
               62900,  "CNY",    kClosed / 1000};
}

std::string Token(const Claim& c) { return sa::receipt::ClaimToken(c, Key()); }

TEST_CASE("the claim line is printed, wrapped, only when no member is bound", "[receipt]") {
  Sale s = MakeSale();
  const std::string token = Token(SaleClaim());
  const std::string url =
      sa::receipt::ClaimUrl("https://m.brand.example/mp/claim?from=receipt&t={token}", token);
  CHECK(url == "https://m.brand.example/mp/claim?from=receipt&t=" + token);
  CHECK(sa::receipt::ClaimUrl(sa::receipt::kClaimUrlDefault, token) ==
        "https://claim.brand.example/c/" + token);
  for (const Width w : {Width::mm58, Width::mm80}) {
    const auto lines = Lines(sa::receipt::Text(s, MakeShop(), w, url));
    std::size_t i = 0;
    while (i < lines.size() && lines[i].rfind("Claim: ", 0) != 0) ++i;
    REQUIRE(i < lines.size());
    std::string joined;
    for (; i < lines.size(); ++i) joined += lines[i];
    CHECK(joined == "Claim: " + url);  // wrapped to the width, nothing lost
  }
  CHECK(sa::receipt::Text(s, MakeShop(), Width::mm58, "").find("Claim") == std::string::npos);
  s.status = "voided";
  const std::string voided = sa::receipt::Text(s, MakeShop(), Width::mm58, url);
  CHECK(voided.find("Claim") == std::string::npos);
  CHECK(voided.find("*** VOIDED ***") != std::string::npos);
}

TEST_CASE("a sale's claim names its store, device, sale, total and time", "[receipt]") {
  Sale s = MakeSale();
  CHECK(sa::receipt::ClaimOf(s, MakeShop()) == SaleClaim());
  s.status = "open";
  CHECK_FALSE(sa::receipt::ClaimOf(s, MakeShop()));
  s.status = "voided";
  CHECK_FALSE(sa::receipt::ClaimOf(s, MakeShop()));
  // The claim key is derived from the device key, never the device key itself.
  const auto claim_key = sa::receipt::ClaimKey(Key());
  const auto expected = sa::crypto::HmacSha256(Key(), "store-agent claim key 1");
  CHECK(claim_key == std::vector<std::uint8_t>(expected.begin(), expected.end()));
  CHECK(sa::receipt::ClaimKey({}).empty());
}

TEST_CASE("a claim token round-trips and has the documented form", "[receipt]") {
  const Claim c = SaleClaim();
  const std::string token = Token(c);
  REQUIRE(token.rfind("SAC2.", 0) == 0);
  CHECK(sa::receipt::VerifyClaim(token, Key()) == c);
  CHECK(sa::receipt::ReadClaim(token) == c);

  // Exactly "SAC2." b64url(payload) "." b64url(HMAC(key, "SAC2\n" payload)[0..16)).
  const std::string payload =
      "S001 till-1 0190f3a2-7c1e-7b3a-9f00-0123456789ab 62900 CNY 1795341845";
  const auto mac = sa::crypto::HmacSha256(Key(), "SAC2\n" + payload);
  CHECK(token ==
        "SAC2." + B64(payload) + "." + sa::crypto::Base64UrlEncode(std::span(mac.data(), 16)));
  CHECK(token.size() < 150);  // small enough for a 58 mm receipt's QR

  Claim other = c;
  other.total_minor = 0;
  CHECK(sa::receipt::VerifyClaim(Token(other), Key()) == other);
  other.total_minor = -1500;
  CHECK(sa::receipt::VerifyClaim(Token(other), Key()) == other);
  other.store_id = "SH-0042.east";  // store and device ids may hold dots
  CHECK(sa::receipt::VerifyClaim(Token(other), Key()) == other);

  // Fields that would make the payload ambiguous get no token.
  for (auto spoil : std::vector<void (*)(Claim&)>{
           [](Claim& x) { x.sale_id = "a b"; }, [](Claim& x) { x.sale_id = "a.b"; },
           [](Claim& x) { x.sale_id = ""; }, [](Claim& x) { x.store_id = "S 1"; },
           [](Claim& x) { x.device_id = ""; }, [](Claim& x) { x.device_id = std::string(65, 'd'); },
           [](Claim& x) { x.currency = "C Y"; }, [](Claim& x) { x.currency = "cny"; },
           [](Claim& x) { x.sold_at_s = -1; }}) {
    Claim bad = c;
    spoil(bad);
    CHECK(Token(bad).empty());
  }
  CHECK(sa::receipt::ClaimToken(c, {}).empty());
}

TEST_CASE("tampered, truncated, foreign and garbage tokens are refused", "[receipt]") {
  using sa::receipt::ReadClaim;
  using sa::receipt::VerifyClaim;
  const Claim c = SaleClaim();
  const std::string token = Token(c);
  REQUIRE(VerifyClaim(token, Key()));
  const std::string mac_part = token.substr(token.rfind('.') + 1);
  const std::string id = c.sale_id;

  // The original MAC on a changed payload: each field in turn.
  for (const std::string& payload : std::vector<std::string>{
           "S001 till-1 " + id + " 62901 CNY 1795341845",
           "S001 till-1 " + id + " 6290 CNY 1795341845",
           "S002 till-1 " + id + " 62900 CNY 1795341845",
           "S001 till-2 " + id + " 62900 CNY 1795341845",
           "S001 till-1 0190f3a2-7c1e-7b3a-9f00-0123456789ac 62900 CNY 1795341845",
           "S001 till-1 " + id + " 62900 USD 1795341845",
           "S001 till-1 " + id + " 62900 CNY 1895341845"}) {
    INFO(payload);
    REQUIRE(ReadClaim("SAC2." + B64(payload) + "." + mac_part));               // well formed...
    CHECK_FALSE(VerifyClaim("SAC2." + B64(payload) + "." + mac_part, Key()));  // ...not genuine
  }

  // Another device's key.
  const std::string other = "device-key-0123456789abcdef-0124";
  CHECK_FALSE(VerifyClaim(token, Span(other)));
  CHECK_FALSE(VerifyClaim(token, {}));

  // Every truncation and every one-character change.
  for (std::size_t n = 0; n < token.size(); ++n) {
    INFO("truncated to " << n);
    CHECK_FALSE(VerifyClaim(token.substr(0, n), Key()));
  }
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    INFO("changed at " << i);
    CHECK_FALSE(VerifyClaim(t, Key()));
  }

  // Garbage and wrong forms.
  for (const std::string& g :
       {std::string(), std::string("SAC2."), std::string("SAC2.."), std::string("garbage"),
        std::string("SAC2.!!!!.????"), "SAC1." + token.substr(5), "sac2." + token.substr(5),
        token + ".", token + "." + mac_part, token + "A", token + "=", " " + token,
        std::string(100000, 'A'), "SAC2." + std::string(600, 'A') + "." + mac_part}) {
    INFO("token: " << g.substr(0, 80));
    CHECK_FALSE(VerifyClaim(g, Key()));
    CHECK_FALSE(ReadClaim(g));
  }

  // A correctly keyed MAC over a non-canonical or ambiguous payload is still
  // refused: the form is part of what is checked, so one claim has one token.
  auto keyed = [&](const std::string& payload) {
    const auto mac = sa::crypto::HmacSha256(Key(), "SAC2\n" + payload);
    return "SAC2." + B64(payload) + "." + sa::crypto::Base64UrlEncode(std::span(mac.data(), 16));
  };
  CHECK(VerifyClaim(keyed("S001 till-1 " + id + " 62900 CNY 1795341845"), Key()));
  for (const std::string& payload : std::vector<std::string>{
           "S001 till-1 " + id + " 062900 CNY 1795341845",
           "S001 till-1 " + id + " +62900 CNY 1795341845",
           "S001 till-1 " + id + " 62900 CNY 01795341845", "S001 till-1 " + id + " 62900 CNY -5",
           "S001  till-1 " + id + " 62900 CNY 1795341845",
           "S001 till-1 " + id + " 62900 CNY 1795341845 ", "S001 till-1 " + id + " 62900 CNY",
           "S001 till-1 " + id + " 62900 CNY 1795341845 x",
           "S001 till-1 " + id + " -0 CNY 1795341845", " till-1 " + id + " 62900 CNY 1795341845",
           "S001 till-1 " + id + " 62900 cny 1795341845",
           "S001 till-1 " + id + " 99999999999999999999 CNY 1795341845"}) {
    INFO(payload);
    CHECK_FALSE(VerifyClaim(keyed(payload), Key()));
  }
}

TEST_CASE("ESC/POS: init, centred header, bold total, native QR, cut", "[receipt]") {
  const char ESC = 0x1B;
  const int GS = 0x1D;
  Sale s = MakeSale();
  // 120 bytes (pH 0) and 300 bytes (pH 1) of URL.
  const std::string short_url = "https://c.example.com/c/" + std::string(96, 'T');
  const std::string long_url = "https://c.example.com/c/" + std::string(276, 'T');
  REQUIRE(short_url.size() == 120);
  REQUIRE(long_url.size() == 300);

  struct Case {
    Width w;
    std::string url;
    int module;
    int pl;
    int ph;
  };
  for (const Case& c :
       {Case{Width::mm58, short_url, 4, 123, 0}, Case{Width::mm80, short_url, 6, 123, 0},
        Case{Width::mm58, long_url, 4, 47, 1}, Case{Width::mm80, long_url, 6, 47, 1}}) {
    // UTF-8: the lines' bytes as they are (escpos_encoding_test has GB18030).
    const std::string esc =
        sa::receipt::EscPos(s, MakeShop(), c.w, c.url, {.encoding = sa::receipt::Encoding::utf8});
    INFO("width " << PaperCols(c.w) << " url " << c.url.size());
    CHECK(esc.substr(0, 2) == Bytes({ESC, '@'}));
    CHECK(esc.size() >= 4);
    CHECK(esc.substr(esc.size() - 4) == Bytes({GS, 'V', 66, 0}));
    const std::string qr = Bytes({GS, '(', 'k', 4, 0, 49, 65, 50, 0}) +     // model 2
                           Bytes({GS, '(', 'k', 3, 0, 49, 67, c.module}) +  // module size
                           Bytes({GS, '(', 'k', 3, 0, 49, 69, 49}) +        // EC level M
                           Bytes({GS, '(', 'k', c.pl, c.ph, 49, 80, 48}) + c.url +
                           Bytes({GS, '(', 'k', 3, 0, 49, 81, 48});  // print
    CHECK(esc.find(qr) != std::string::npos);
    CHECK(Count(esc, Bytes({GS, '(', 'k'})) == 5);
    CHECK(esc.find(Bytes({ESC, 'a', 1}) + "Demo Store\n") != std::string::npos);
    CHECK(esc.find(Bytes({ESC, 'E', 1}) + Row("TOTAL CNY", "629.00", PaperCols(c.w)) + "\n" +
                   Bytes({ESC, 'E', 0})) != std::string::npos);

    // The body is Text(): every line is there (centred lines without their
    // padding, which ESC a 1 replaces).
    for (const auto& line : Lines(sa::receipt::Text(s, MakeShop(), c.w, c.url))) {
      const std::string trimmed = line.substr(
          line.find_first_not_of(' ') == std::string::npos ? 0 : line.find_first_not_of(' '));
      INFO("line: [" << line << "]");
      CHECK(esc.find(trimmed + "\n") != std::string::npos);
    }
  }

  // No claim URL, no QR; the rest is the same.
  const std::string plain = sa::receipt::EscPos(s, MakeShop(), Width::mm58, "");
  CHECK(plain.find(Bytes({GS, '(', 'k'})) == std::string::npos);
  CHECK(plain.substr(0, 2) == Bytes({ESC, '@'}));
  CHECK(plain.substr(plain.size() - 4) == Bytes({GS, 'V', 66, 0}));
}

TEST_CASE("control bytes and bad UTF-8 in names never reach the printer", "[receipt]") {
  Sale s = MakeSale();
  std::string evil = "Evil";
  evil += Bytes({0x1B, '@', 0x1D, 'V', 66, 0, '\n', '\t', 0x7F});
  evil += "cut\xc2\x9b\xff\xfe名";
  s.lines = {MakeLine(evil,
                      "S\x1b"
                      "1",
                      100, 1)};
  Shop shop = MakeShop();
  shop.name =
      "Shop\x1b"
      "E";
  const std::string text = sa::receipt::Text(s, shop, Width::mm58, kUrl);
  CheckLayout(text, Width::mm58);
  CHECK(Has(Lines(text), "Evil @ VB    cut ??名"));
  const std::string esc = sa::receipt::EscPos(s, shop, Width::mm58, kUrl);
  CHECK(Count(esc, Bytes({0x1B, '@'})) == 1);
  CHECK(Count(esc, Bytes({0x1D, 'V'})) == 1);
  CHECK(esc.find(Bytes({0x1B, '@'})) == 0);
}

TEST_CASE("the X and Z reports as text: the store's language and clock, columns that add up",
          "[receipt][report][i18n]") {
  sa::store::ShiftReport r;
  r.shift_id = "s1";
  r.terminal = "till-1";
  r.cashier = "c01";
  r.currency = "CNY";
  r.opened_at_ms = 1795341845000;  // 2026-11-22 10:04 UTC
  r.sales_count = 3;
  r.sales_total = 169700;
  r.refunds_count = 1;
  r.refunds_total = 19900;
  r.voids_count = 2;
  r.no_sale_count = 1;
  r.by_method = {{"cash", 120000, 19900, 100100}, {"wechat", 49700, 0, 49700}};
  r.opening_float = 20000;
  r.cash_sales = 130000;
  r.change_given = 10000;
  r.cash_refunds = 19900;
  r.expected_cash = 120100;
  r.pending_events = 4;

  const sa::receipt::Options zh{.tz_offset_min = 480, .locale = sa::i18n::Locale::zh_CN};
  const auto x = Lines(sa::receipt::ShiftReportText(r, Width::mm58, zh));
  const std::vector<std::string> expected_x = {
      "      X 报表 (班次进行中)",
      "--------------------------------",
      "收银台                    till-1",
      "收银员                       c01",
      "开班时间        2026-11-22 18:04",
      "币种                         CNY",
      "--------------------------------",
      "销售  x3                 1697.00",
      "退款  x1                  199.00",
      "作废  x2",
      "无销售开钱箱  x1",
      "撤销交易  x0                0.00",
      "--------------------------------",
      "按支付方式 (销售 / 退款 / 净额)",
      // Too wide for 58 mm on one line: the figures under the method.
      "  现金",
      "      1200.00 / 199.00 / 1001.00",
      "  微信支付",
      "          497.00 / 0.00 / 497.00",
      "--------------------------------",
      "钱箱",
      "  备用金                  200.00",
      "  收取现金               1300.00",
      "  找零                   -100.00",
      "  现金退款               -199.00",
      "  应有现金               1201.00",
      "--------------------------------",
      "未同步事件                     4",
  };
  CHECK(x == expected_x);
  for (const auto& line : x) CHECK(sa::receipt::DisplayColumns(line) <= 32);
  // On 80 mm paper a method's figures fit beside it.
  const auto wide = Lines(sa::receipt::ShiftReportText(r, Width::mm80, zh));
  CHECK(std::find(wide.begin(), wide.end(), "  现金                1200.00 / 199.00 / 1001.00") !=
        wide.end());

  // Closed: the Z report, with its close time, the count and the variance.
  r.closed_at_ms = r.opened_at_ms + 8 * 3600 * 1000;
  r.counted_cash = 120000;
  r.variance = -100;
  const auto z = Lines(sa::receipt::ShiftReportText(r, Width::mm58, {}));
  CHECK(z.front().find("Z REPORT (shift closed)") != std::string::npos);
  CHECK(z[4] == "opened          2026-11-22 10:04");
  CHECK(z[5] == "closed          2026-11-22 18:04");
  CHECK(std::find(z.begin(), z.end(), "  counted                1200.00") != z.end());
  CHECK(std::find(z.begin(), z.end(), "  variance                 -1.00") != z.end());
}
