// SPDX-License-Identifier: Apache-2.0
// Receipts a Chinese store's printer prints: the ESC/POS text in GB18030 with
// the printer's Chinese mode (decoded back here with iconv, and with the
// iconv command when the machine has it), utf-8 and cp437 printers, the cash
// drawer kick on cash sales only, and reprints marked "COPY / 重印".
#include <iconv.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "receipt.hpp"
#include "receipt_fixtures.hpp"
#include "store.hpp"
#include "support.hpp"

using sa::receipt::Encoding;
using sa::receipt::Shop;
using sa::receipt::Width;
using sa::store::Sale;

namespace {

using sa::testing::MakeLine;

constexpr char ESC = 0x1B;
constexpr char FS = 0x1C;
constexpr char GS = 0x1D;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// The test's own decoder: glibc's iconv, strict (nothing on any bad byte).
std::optional<std::string> Iconv(std::string_view in, const char* from, const char* to) {
  const iconv_t cd = ::iconv_open(to, from);
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string src(in);
  std::string out(in.size() * 4 + 16, '\0');
  char* in_p = src.data();
  std::size_t in_left = src.size();
  char* out_p = out.data();
  std::size_t out_left = out.size();
  const std::size_t rc = ::iconv(cd, &in_p, &in_left, &out_p, &out_left);
  ::iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}
std::optional<std::string> FromGb18030(std::string_view gb) {
  return Iconv(gb, "GB18030", "UTF-8");
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos);
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::string LeftTrimmed(const std::string& s) {
  const std::size_t at = s.find_first_not_of(' ');
  return at == std::string::npos ? std::string() : s.substr(at);
}

// A cash sale of a cashmere scarf and two canvas tote bags.
Sale ChineseSale() {
  Sale s;
  s.id = "0190f3a2-7c1e-7b3a-9f00-0123456789ab";
  s.status = "completed";
  s.terminal = "till-1";
  s.currency = "CNY";
  s.lines.push_back(MakeLine("羊绒围巾", "SN0001A", 129900, 1));
  s.lines.push_back(MakeLine("帆布托特包", "", 19900, 2));
  s.total = 169700;
  s.payments.push_back({"cash", 170000, ""});
  s.tendered = 170000;
  s.change = 300;
  s.receipt_no = "till-1-000042";
  s.opened_at_ms = 1795341785000;
  s.closed_at_ms = 1795341845000;
  return s;
}

Shop ChineseShop() {
  Shop shop;
  shop.name = "上海南京路旗舰店";
  shop.address = "南京东路 100 号";
  shop.store_id = "SH01";
  shop.device_id = "till-1";
  return shop;
}

const std::string kUrl = "https://c.example.com/c/SAC1.abc.def";

// The receipt's text part of an ESC/POS job: from after `begin` up to
// `end` (exclusive), with ESC a n and ESC E n taken out. What is left is the
// lines' bytes in the printer's encoding, each ending in '\n'. None of the
// encodings here puts 0x1B in a character, so the cut is unambiguous.
std::string TextPart(const std::string& esc, const std::string& begin, const std::string& end) {
  const std::size_t from = esc.find(begin);
  REQUIRE(from != std::string::npos);
  const std::size_t to = esc.find(end, from + begin.size());
  REQUIRE(to != std::string::npos);
  std::string out;
  for (std::size_t i = from + begin.size(); i < to; ++i) {
    if (esc[i] == ESC) {
      REQUIRE(i + 2 < to);
      CHECK((esc[i + 1] == 'a' || esc[i + 1] == 'E'));
      i += 2;
      continue;
    }
    out.push_back(esc[i]);
  }
  return out;
}

// What Text() prints, as ESC/POS lines: centred lines without their padding.
std::vector<std::string> TrimmedLines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : Lines(text)) out.push_back(LeftTrimmed(line));
  return out;
}

}  // namespace

TEST_CASE("GB18030: Chinese names decode back to the receipt's text, in Chinese mode",
          "[receipt][escpos][gb18030]") {
  const Sale s = ChineseSale();
  const Shop shop = ChineseShop();
  for (const Width w : {Width::mm58, Width::mm80}) {
    const std::size_t cols = w == Width::mm58 ? 32 : 48;
    INFO("width " << cols);
    const std::string esc = sa::receipt::EscPos(s, shop, w, kUrl);  // gb18030 is the default
    CHECK(esc == sa::receipt::EscPos(s, shop, w, kUrl, {.encoding = Encoding::gb18030}));

    // FS & (Chinese mode on) before the first byte of any Chinese character,
    // FS . (off) after the last, before the QR code and the cut.
    const std::string on = Bytes({FS, '&'});
    const std::string off = Bytes({FS, '.'});
    // (A cash sale: ESC @ and the drawer kick come first, 0xFA its last byte.)
    const std::size_t fs_on = esc.find(on);
    REQUIRE(fs_on == 2 + sa::receipt::kDrawerKick.size());
    std::size_t first_high = fs_on;
    while (first_high < esc.size() && static_cast<unsigned char>(esc[first_high]) < 0x80) {
      ++first_high;
    }
    CHECK(fs_on < first_high);
    const std::size_t fs_off = esc.rfind(off);
    REQUIRE(fs_off != std::string::npos);
    CHECK(fs_off > fs_on);
    CHECK(esc.find(Bytes({GS, '(', 'k'})) > fs_off);
    CHECK(esc.find(Bytes({GS, 'V'})) > fs_off);
    CHECK(esc.find(on, fs_on + 1) == std::string::npos);

    // The names in GB18030 (the bytes of GB 18030 / GB 2312), never as UTF-8.
    CHECK(esc.find("\xd1\xf2\xc8\xde\xce\xa7\xbd\xed") != std::string::npos);  // 羊绒围巾
    CHECK(esc.find("\xb7\xab\xb2\xbc\xcd\xd0\xcc\xd8\xb0\xfc") != std::string::npos);  // 帆布托特包
    CHECK(esc.find("\xc9\xcf\xba\xa3") != std::string::npos);                          // 上海
    CHECK(esc.find("羊绒围巾") == std::string::npos);
    CHECK(esc.find("帆布托特包") == std::string::npos);

    // Decoded as GB18030, the text part is Text() line for line.
    const std::string gb = TextPart(esc, on, off);
    const auto decoded = FromGb18030(gb);
    REQUIRE(decoded);
    const std::string text = sa::receipt::Text(s, shop, w, kUrl);
    CHECK(TrimmedLines(*decoded) == TrimmedLines(text));
    CHECK(decoded->find("羊绒围巾") != std::string::npos);
    CHECK(decoded->find("帆布托特包") != std::string::npos);

    // CJK counts two columns, and a GB 2312 character is two bytes: each
    // line's bytes are the columns the printer uses, never more than the paper.
    const auto gb_lines = Lines(gb);
    const auto utf8_lines = Lines(*decoded);
    REQUIRE(gb_lines.size() == utf8_lines.size());
    for (std::size_t i = 0; i < gb_lines.size(); ++i) {
      INFO("line: [" << utf8_lines[i] << "]");
      CHECK(gb_lines[i].size() == sa::receipt::DisplayColumns(utf8_lines[i]));
      CHECK(gb_lines[i].size() <= cols);
    }
  }
}

TEST_CASE("GB18030: the iconv command decodes the printed text too", "[receipt][escpos][gb18030]") {
  if (::access("/usr/bin/iconv", X_OK) != 0) {
    WARN("no /usr/bin/iconv here: the in-process iconv check above stands alone");
    return;
  }
  const Sale s = ChineseSale();
  const std::string esc = sa::receipt::EscPos(s, ChineseShop(), Width::mm80, "");
  const std::string gb = TextPart(esc, Bytes({FS, '&'}), Bytes({FS, '.'}));
  sa::testing::TempDir tmp;
  const auto in = tmp.path() / "receipt.gb18030";
  const auto out = tmp.path() / "receipt.utf8";
  std::ofstream(in, std::ios::binary) << gb;
  const std::string cmd =
      "/usr/bin/iconv -f GB18030 -t UTF-8 '" + in.string() + "' > '" + out.string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream f(out, std::ios::binary);
  const std::string utf8((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(TrimmedLines(utf8) == TrimmedLines(sa::receipt::Text(s, ChineseShop(), Width::mm80, "")));
  CHECK(utf8.find("羊绒围巾") != std::string::npos);
  CHECK(utf8.find("上海南京路旗舰店") != std::string::npos);
}

TEST_CASE("a character that cannot be encoded prints as '?' and never breaks the job",
          "[receipt][escpos]") {
  Sale s = ChineseSale();
  // A lone continuation byte and a truncated sequence: not UTF-8 at all.
  s.lines = {MakeLine("Bad\x80名\xe7\xbe", "", 100, 1)};
  for (const Encoding e : {Encoding::gb18030, Encoding::utf8, Encoding::cp437}) {
    INFO("encoding " << sa::receipt::EncodingName(e));
    const std::string esc = sa::receipt::EscPos(s, ChineseShop(), Width::mm58, "", {.encoding = e});
    CHECK(esc.find(Bytes({GS, 'V', 66, 0})) == esc.size() - 4);  // the job is whole
    CHECK(esc.find("\x80") == std::string::npos);
  }
  const std::string gb = sa::receipt::EscPos(s, ChineseShop(), Width::mm58, "");
  CHECK(gb.find("Bad?\xc3\xfb??\n") != std::string::npos);  // 名 = C3 FB in GB18030
  const std::string utf8 =
      sa::receipt::EscPos(s, ChineseShop(), Width::mm58, "", {.encoding = Encoding::utf8});
  CHECK(utf8.find("Bad?名??\n") != std::string::npos);
  CHECK(sa::receipt::Text(s, ChineseShop(), Width::mm58, "").find("Bad?名??\n") !=
        std::string::npos);
}

TEST_CASE("utf-8: the bytes as they are, no Chinese mode", "[receipt][escpos]") {
  const Sale s = ChineseSale();
  const std::string esc =
      sa::receipt::EscPos(s, ChineseShop(), Width::mm58, kUrl, {.encoding = Encoding::utf8});
  CHECK(esc.find(Bytes({FS})) == std::string::npos);
  CHECK(esc.find(Bytes({ESC, 't'})) == std::string::npos);
  CHECK(esc.find("羊绒围巾\n") != std::string::npos);
  CHECK(esc.find("帆布托特包\n") != std::string::npos);
  for (const auto& line : TrimmedLines(sa::receipt::Text(s, ChineseShop(), Width::mm58, kUrl))) {
    INFO("line: [" << line << "]");
    CHECK(esc.find(line + "\n") != std::string::npos);
  }
}

TEST_CASE("cp437: code page 437, '?' per column for what it lacks", "[receipt][escpos]") {
  Sale s = ChineseSale();
  s.lines.push_back(MakeLine("Café £ crème", "", 500, 1));
  const std::string esc =
      sa::receipt::EscPos(s, ChineseShop(), Width::mm58, "", {.encoding = Encoding::cp437});
  // ESC @, the drawer kick (a cash sale), FS . (Chinese mode off), ESC t 0 (PC437).
  CHECK(esc.substr(0, 12) ==
        Bytes({ESC, '@'}) + std::string(sa::receipt::kDrawerKick) + Bytes({FS, '.', ESC, 't', 0}));
  CHECK(esc.find(Bytes({FS, '&'})) == std::string::npos);
  CHECK(esc.find("Caf\x82 \x9c cr\x8ame\n") != std::string::npos);  // é £ è in CP437
  CHECK(esc.find("\n????????\n") != std::string::npos);  // 羊绒围巾: 4 wide characters, 8 columns
  CHECK(esc.find("\n??????????\n") != std::string::npos);  // 帆布托特包
  // Nothing but CP437 text between the commands: decodes strictly.
  const std::string body = TextPart(esc, Bytes({ESC, 't', 0}), Bytes({ESC, 'd', 4}));
  const auto decoded = Iconv(body, "CP437", "UTF-8");
  REQUIRE(decoded);
  CHECK(decoded->find("Café £ crème\n") != std::string::npos);
}

TEST_CASE("the drawer kick opens a cash sale's original receipt only",
          "[receipt][escpos][drawer]") {
  const std::string kick = Bytes({ESC, 'p', 0, 25, 250});
  CHECK(sa::receipt::kDrawerKick == kick);
  const Shop shop = ChineseShop();

  for (const Encoding e : {Encoding::gb18030, Encoding::utf8, Encoding::cp437}) {
    INFO("encoding " << sa::receipt::EncodingName(e));
    Sale cash = ChineseSale();
    const std::string esc = sa::receipt::EscPos(cash, shop, Width::mm80, kUrl, {.encoding = e});
    CHECK(esc.substr(0, 7) == Bytes({ESC, '@'}) + kick);  // first, before any text
    CHECK(esc.find(kick, 3) == std::string::npos);        // once

    // Part cash, part card: the drawer takes the cash.
    Sale mixed = ChineseSale();
    mixed.payments = {{"card", 100000, "REF-1"}, {"cash", 70000, ""}};
    CHECK(sa::receipt::EscPos(mixed, shop, Width::mm80, kUrl, {.encoding = e}).find(kick) == 2);

    // No cash: no kick.
    for (const char* method : {"card", "wechat", "alipay", "unionpay", "voucher"}) {
      Sale other = ChineseSale();
      other.payments = {{method, 169700, "REF-2"}};
      other.change = 0;
      INFO("method " << method);
      const std::string none = sa::receipt::EscPos(other, shop, Width::mm80, kUrl, {.encoding = e});
      CHECK(none.find(Bytes({ESC, 'p'})) == std::string::npos);
      CHECK_FALSE(sa::receipt::OpensDrawer(other, {}));
    }

    // A reprint never opens the drawer.
    const std::string copy =
        sa::receipt::EscPos(cash, shop, Width::mm80, kUrl, {.reprint = true, .encoding = e});
    CHECK(copy.find(Bytes({ESC, 'p'})) == std::string::npos);

    // Nor does a sale that is not completed.
    Sale open = ChineseSale();
    open.status = "open";
    CHECK(sa::receipt::EscPos(open, shop, Width::mm80, "", {.encoding = e}).find(kick) ==
          std::string::npos);
  }
  // Text() is for screens: no printer commands at all.
  CHECK(sa::receipt::Text(ChineseSale(), shop, Width::mm80, "").find(ESC) == std::string::npos);
}

TEST_CASE("a reprint is marked COPY / 重印 at the top, in text and ESC/POS",
          "[receipt][escpos][reprint]") {
  const Sale s = ChineseSale();
  const Shop shop = ChineseShop();
  for (const Width w : {Width::mm58, Width::mm80}) {
    const std::size_t cols = w == Width::mm58 ? 32 : 48;
    const auto original = Lines(sa::receipt::Text(s, shop, w, kUrl));
    const auto copy = Lines(sa::receipt::Text(s, shop, w, kUrl, {.reprint = true}));
    // "COPY / 重印": 7 + 4 columns, centred.
    REQUIRE(copy.size() == original.size() + 1);
    CHECK(copy.front() == std::string((cols - 11) / 2, ' ') + "COPY / 重印");
    CHECK(std::vector<std::string>(copy.begin() + 1, copy.end()) == original);
    for (const auto& line : original) CHECK(line.find("COPY") == std::string::npos);

    // ESC/POS: the first line after Chinese mode is on, centred and bold.
    const std::string esc = sa::receipt::EscPos(s, shop, w, kUrl, {.reprint = true});
    const std::string mark = Bytes({FS, '&', ESC, 'a', 1, ESC, 'E', 1}) +
                             "COPY / \xd6\xd8\xd3\xa1\n" + Bytes({ESC, 'E', 0});  // 重印
    CHECK(esc.substr(0, 2 + mark.size()) == Bytes({ESC, '@'}) + mark);
    const auto decoded = FromGb18030(TextPart(esc, Bytes({FS, '&'}), Bytes({FS, '.'})));
    REQUIRE(decoded);
    CHECK(Lines(*decoded).front() == "COPY / 重印");
    CHECK(TrimmedLines(*decoded) ==
          TrimmedLines(sa::receipt::Text(s, shop, w, kUrl, {.reprint = true})));
    // The original has no mark; the copy is otherwise the same receipt, QR included.
    const std::string first = sa::receipt::EscPos(s, shop, w, kUrl);
    CHECK(first.find("COPY") == std::string::npos);
    CHECK(esc.find(Bytes({GS, '(', 'k', 3, 0, 49, 81, 48})) != std::string::npos);

    // utf-8 and cp437 printers get the mark too.
    CHECK(sa::receipt::EscPos(s, shop, w, kUrl, {.reprint = true, .encoding = Encoding::utf8})
              .find("COPY / 重印\n") != std::string::npos);
    CHECK(sa::receipt::EscPos(s, shop, w, kUrl, {.reprint = true, .encoding = Encoding::cp437})
              .find("COPY / ????\n") != std::string::npos);
  }
}

TEST_CASE("encoding names: the config's words", "[receipt]") {
  using sa::receipt::ParseEncoding;
  CHECK(ParseEncoding("gb18030") == Encoding::gb18030);
  CHECK(ParseEncoding("utf-8") == Encoding::utf8);
  CHECK(ParseEncoding("cp437") == Encoding::cp437);
  for (const char* bad : {"", "GB18030", "utf8", "gbk", "cp936", "latin1"}) {
    INFO(bad);
    CHECK_FALSE(ParseEncoding(bad));
  }
  for (const Encoding e : {Encoding::gb18030, Encoding::utf8, Encoding::cp437}) {
    CHECK(ParseEncoding(sa::receipt::EncodingName(e)) == e);
    CHECK(sa::receipt::CanEncode(e));  // Debian's libc6 ships the gconv modules
  }
}

TEST_CASE("zh-CN: the whole receipt in Chinese, on the store's clock, decoded from GB18030",
          "[receipt][escpos][gb18030][i18n]") {
  const Sale s = ChineseSale();  // closed 2026-11-22 10:04 UTC (date -u -d @1795341845)
  const sa::receipt::Options zh{.tz_offset_min = 8 * 60, .locale = sa::i18n::Locale::zh_CN};
  const std::string esc = sa::receipt::EscPos(s, ChineseShop(), Width::mm58, kUrl, zh);
  const auto decoded = FromGb18030(TextPart(esc, Bytes({FS, '&'}), Bytes({FS, '.'})));
  REQUIRE(decoded);
  const std::vector<std::string> expected = {
      "上海南京路旗舰店",
      "南京东路 100 号",
      "门店 SH01  设备 till-1",
      "--------------------------------",
      "小票号             till-1-000042",
      "日期            2026-11-22 18:04",  // Beijing time, UTC+8
      "--------------------------------",
      "羊绒围巾",
      "1 x 1299.00            1299.00",
      "序列号 SN0001A",
      "帆布托特包",
      "2 x 199.00              398.00",
      "--------------------------------",
      "件数                           3",
      "合计 CNY                 1697.00",
      "现金                     1700.00",
      "找零                        3.00",
      "--------------------------------",
      "扫码积分: https://c.example.com/",
      "c/SAC1.abc.def",
  };
  CHECK(TrimmedLines(*decoded) == expected);
  CHECK(TrimmedLines(sa::receipt::Text(s, ChineseShop(), Width::mm58, kUrl, zh)) == expected);
  // A reprint is marked in the store's language too.
  auto copy = zh;
  copy.reprint = true;
  CHECK(Lines(sa::receipt::Text(s, ChineseShop(), Width::mm58, kUrl, copy))
            .front()
            .find("重印 / COPY") != std::string::npos);
  // The same sale in English, on UTC: the labels and the hour change, nothing else.
  const auto en = TrimmedLines(sa::receipt::Text(s, ChineseShop(), Width::mm58, kUrl));
  CHECK(en[4] == "Receipt            till-1-000042");
  CHECK(en[5] == "Date            2026-11-22 10:04");
  CHECK(en[14] == "TOTAL CNY                1697.00");
}

TEST_CASE("a refund's receipt: what came back and how the money went back, negative",
          "[receipt][refund][i18n]") {
  sa::store::RefundSlip slip;
  slip.refund.id = "0190f3a2-0000-7000-8000-00000000r001";
  slip.refund.sale_id = "0190f3a2-7c1e-7b3a-9f00-0123456789ab";
  slip.refund.currency = "CNY";
  slip.refund.amount = 149800;  // the scarf and one of the two totes
  slip.refund.payments = {{"cash", 100000, ""}, {"wechat", 49800, "WX123"}};
  slip.refund.approved = sa::store::Approval{"mia", "pin"};
  slip.kind = "refund";
  slip.sale_receipt_no = "till-1-000042";
  slip.terminal = "till-1";
  slip.at_ms = 1795341845000;  // 2026-11-22 10:04 UTC
  slip.lines = {MakeLine("羊绒围巾", "SN0001A", 129900, 1), MakeLine("帆布托特包", "", 19900, 1)};

  const sa::receipt::Options zh{.tz_offset_min = 480, .locale = sa::i18n::Locale::zh_CN};
  const std::vector<std::string> expected = {
      "上海南京路旗舰店",
      "南京东路 100 号",
      "门店 SH01  设备 till-1",
      "*** 退款 ***",
      "--------------------------------",
      "原小票号           till-1-000042",
      "日期            2026-11-22 18:04",
      "--------------------------------",
      "羊绒围巾",
      "1 x 1299.00           -1299.00",
      "序列号 SN0001A",
      "帆布托特包",
      "1 x 199.00             -199.00",
      "--------------------------------",
      "件数                           2",
      "退款合计 CNY            -1498.00",
      "现金                    -1000.00",
      "微信支付                 -498.00",
      "授权店长                     mia",
  };
  const std::string text = sa::receipt::RefundText(slip, ChineseShop(), Width::mm58, zh);
  CHECK(TrimmedLines(text) == expected);
  for (const auto& line : Lines(text)) CHECK(sa::receipt::DisplayColumns(line) <= 32);

  // As ESC/POS: GB18030 that decodes to the same lines, the drawer kick
  // (cash goes back), no QR code; a reprint is marked and keeps the drawer shut.
  const std::string esc = sa::receipt::RefundEscPos(slip, ChineseShop(), Width::mm58, zh);
  CHECK(esc.substr(2, sa::receipt::kDrawerKick.size()) == sa::receipt::kDrawerKick);
  CHECK(esc.find(Bytes({GS, '(', 'k'})) == std::string::npos);
  const auto decoded = FromGb18030(TextPart(esc, Bytes({FS, '&'}), Bytes({FS, '.'})));
  REQUIRE(decoded);
  CHECK(TrimmedLines(*decoded) == expected);
  auto copy = zh;
  copy.reprint = true;
  const std::string reprint = sa::receipt::RefundEscPos(slip, ChineseShop(), Width::mm58, copy);
  CHECK(reprint.find(std::string(sa::receipt::kDrawerKick)) == std::string::npos);
  CHECK(TrimmedLines(sa::receipt::RefundText(slip, ChineseShop(), Width::mm58, copy)).front() ==
        "重印 / COPY");

  // A card refund opens no drawer; a post-void says so; English labels.
  slip.refund.payments = {{"card", 149800, "T1"}};
  slip.kind = "void";
  CHECK(sa::receipt::RefundEscPos(slip, ChineseShop(), Width::mm58, zh)
            .find(std::string(sa::receipt::kDrawerKick)) == std::string::npos);
  const auto en = TrimmedLines(sa::receipt::RefundText(slip, ChineseShop(), Width::mm58));
  CHECK(en[3] == "*** POST-VOID ***");
  CHECK(en[5] == "Original receipt   till-1-000042");
  CHECK(en[15] == "REFUND TOTAL CNY        -1498.00");
  CHECK(en[16] == "Card                    -1498.00");
  CHECK(en[17] == "Approved by                  mia");
}
