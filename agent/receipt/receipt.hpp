// SPDX-License-Identifier: Apache-2.0
// The customer receipt of a sale: plain text laid out for a 58 mm or 80 mm
// thermal printer, the same receipt as ESC/POS bytes in the printer's
// encoding, and the signed claim token that lets a customer who did not bind
// at the till claim the sale for their membership later. No I/O, no clock, no
// floating point; the one platform call, glibc's iconv for the printer's
// encoding, is confined to platform/iconv/ (docs/receipts.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "i18n.hpp"
#include "store.hpp"

namespace sa::receipt {

struct Shop {
  std::string name = "Demo Store";
  std::string address;
  std::string store_id;
  std::string device_id;
};

// Paper width: 32 (58 mm) and 48 (80 mm) characters per line in Font A.
enum class Width { mm58, mm80 };
int Columns(Width width);

// ---- how a receipt is printed ---------------------------------------------
// The character encoding of the printer's text (config printer.encoding):
//   gb18030  "gb18030": Chinese mode (FS &) and GB18030 bytes, the default
//            (Chinese stores' printers expect GB18030, not UTF-8)
//   utf8     "utf-8": the UTF-8 bytes as they are
//   cp437    "cp437": code page PC437 (FS . then ESC t 0)
// A character the encoding lacks prints as '?', as '??' when it is wide (two
// columns), so the columns stay as laid out.
enum class Encoding { gb18030, utf8, cp437 };
std::optional<Encoding> ParseEncoding(std::string_view name);  // "gb18030", "utf-8", "cp437"
std::string_view EncodingName(Encoding encoding);
// False when this system's iconv cannot convert to `encoding` (its gconv
// module is missing): every non-ASCII character would print as '?'.
bool CanEncode(Encoding encoding);

struct Options {
  int tz_offset_min = 0;  // the date's offset from UTC (0 = UTC); the store's: store.utc_offset
  // The receipt's language (store.locale): its labels and payment methods
  // from the message catalog (i18n::Text).
  i18n::Locale locale = i18n::Locale::en;
  // A print after the sale's first one: "COPY / 重印" ("重印 / COPY" in
  // zh-CN) at the top, and no drawer kick.
  bool reprint = false;
  Encoding encoding = Encoding::gb18030;  // EscPos() only; Text() is UTF-8
};

// The cash drawer kick at the start of a cash sale's original receipt:
// ESC p m t1 t2, pin 2 (m = 0), 25 x 2 ms on, 250 x 2 ms off.
inline constexpr std::string_view kDrawerKick{"\x1b\x70\x00\x19\xfa", 5};
// Whether a receipt opens the drawer: a completed sale with a cash payment,
// and not a reprint.
bool OpensDrawer(const sa::store::Sale& sale, const Options& options);

// ---- claim token ------------------------------------------------------------
// A customer who did not bind at the till claims the sale later by scanning
// the receipt's QR in the brand's mini-program; the brand's CRM verifies the
// token and binds the sale to the member once (sync/PROTOCOL.md §11, with
// its threat model).
//
// token = "SAC2." base64url(payload) "." base64url(mac)
// payload = store_id " " device_id " " sale_id " " total_minor " " currency " " sold_at_s
// mac = the first 16 bytes of HMAC-SHA256(ClaimKey(device key), "SAC2\n" payload)
// base64url without padding; numbers in canonical decimal (std::to_string).
// The device key is the one that signs the device's sync requests, so the
// cloud, which holds it, can verify every token the device mints.
struct Claim {
  std::string store_id;   // [A-Za-z0-9_.-]{1,64}, as config's store.id
  std::string device_id;  // as store_id
  std::string sale_id;    // [A-Za-z0-9_-]{1,64} (sale ids are UUIDs)
  MinorUnits total_minor = 0;
  std::string currency;        // three letters A-Z
  std::int64_t sold_at_s = 0;  // when the sale completed, Unix seconds, >= 0
  friend bool operator==(const Claim&, const Claim&) = default;
};

// Tokens longer than this are refused unread.
inline constexpr std::size_t kMaxClaimTokenSize = 512;
// The MAC's length in a token: 128 bits, short enough for a small QR.
inline constexpr std::size_t kClaimMacBytes = 16;

// The key claim tokens are signed with: HMAC-SHA256(device_key,
// "store-agent claim key 1"). Never the device key itself, so a token's MAC
// can never stand for a request signature. Empty for an empty device key.
std::vector<std::uint8_t> ClaimKey(std::span<const std::uint8_t> device_key);

// What a completed sale's token claims, sold at this shop; nothing for a
// sale that is not completed.
std::optional<Claim> ClaimOf(const sa::store::Sale& sale, const Shop& shop);

// The claim's token. Empty when it cannot be minted: an empty key or a field
// outside its form above (the forms keep the payload unambiguous).
std::string ClaimToken(const Claim& claim, std::span<const std::uint8_t> claim_key);

// The claim a token states, its MAC not checked: whose key verifies it (the
// CRM looks the device up). Nothing when the prefix, the form, the encoding
// or a field is wrong, or the token is longer than kMaxClaimTokenSize.
std::optional<Claim> ReadClaim(std::string_view token);

// The claim of a token minted by ClaimToken with this key; nothing when
// ReadClaim refuses it, the key is empty or the MAC is wrong (compared in
// constant time).
std::optional<Claim> VerifyClaim(std::string_view token, std::span<const std::uint8_t> claim_key);

// The claim URL: `url_template` (config receipt.claim_url, e.g.
// "https://m.brand.example/claim?t={token}") with its "{token}" replaced.
// What Text() and EscPos() take as claim_url.
inline constexpr std::string_view kClaimUrlDefault = "https://claim.brand.example/c/{token}";
std::string ClaimUrl(std::string_view url_template, std::string_view token);

// ---- formatting helpers -----------------------------------------------------
// Minor units (fen) as "599.00", "-0.05"; integer arithmetic, two decimals.
std::string FormatMoney(MinorUnits minor);

// Display columns of UTF-8 text as a receipt printer lays it out: CJK wide
// characters (U+1100..115F, U+2E80..A4CF, U+AC00..D7A3, U+F900..FAFF,
// U+FE30..FE4F, U+FF00..FF60, U+FFE0..FFE6, and U+20000..3FFFD) take 2, any
// other character 1; each byte of an invalid sequence counts as 1 (it prints
// as '?').
std::size_t DisplayColumns(std::string_view utf8);

// ---- the receipt ------------------------------------------------------------
// Plain text, '\n' after every line, no line wider than Columns(width), the
// labels in options.locale (the English ones are shown here):
//   "COPY / 重印" when options.reprint; shop name, address,
//   "Store {store_id}  Device {device_id}" (centred, with leading spaces
//   only); "*** VOIDED ***" / "*** NOT PAID ***" unless the sale is
//   completed; receipt number; date "YYYY-MM-DD HH:MM" of closed_at_ms
//   (opened_at_ms while the sale is open) shifted by options.tz_offset_min;
//   one block per line (the name wrapped to at most two lines, cut with "..."
//   beyond; "  {qty} x {unit price}" with the amount right-aligned;
//   "SN {serial}" when the unit has one); item count; total; each payment
//   (method and amount; refs are not printed); change; the member
//   (member_id, else the masked phone, nothing else); and "Claim: {claim_url}"
//   (wrapped) only when claim_url is non-empty, no member is bound and the
//   sale is not voided.
// Text from the sale and shop is sanitised: control characters print as a
// space and invalid UTF-8 bytes as '?', so no byte can act as a printer
// command; a UTF-8 sequence is never split across lines.
std::string Text(const sa::store::Sale& sale, const Shop& shop, Width width,
                 std::string_view claim_url, const Options& options = {});

// The same receipt as ESC/POS bytes:
//   ESC @;
//   kDrawerKick when OpensDrawer();
//   gb18030: FS & (Chinese character mode on); cp437: FS . (off) and ESC t 0
//   (code page PC437); utf-8: nothing;
//   the lines of Text() in options.encoding: the header lines (and the COPY
//   line) between ESC a 1 and ESC a 0 (the printer centres them, so they
//   carry no padding spaces); the COPY line and the total line between
//   ESC E 1 and ESC E 0; every other line exactly as in Text();
//   gb18030: FS . (Chinese mode off again, before any QR or cut);
// then, when Text() prints the claim line and the URL fits a version 40-M QR
// symbol (2331 bytes), the URL as a native QR code, centred:
//   GS ( k 4 0 49 65 50 0     model 2
//   GS ( k 3 0 49 67 n        module size n = 6 (80 mm) / 4 (58 mm)
//   GS ( k 3 0 49 69 49       error correction M
//   GS ( k pL pH 49 80 48 d…  store the URL, pL + 256 pH = size + 3
//   GS ( k 3 0 49 81 48       print
// then ESC d 4 (feed) and GS V 66 0 (feed to the cutter, partial cut).
std::string EscPos(const sa::store::Sale& sale, const Shop& shop, Width width,
                   std::string_view claim_url, const Options& options = {});

// ---- the refund receipt -------------------------------------------------------
// A refund's (or post-void's) receipt, as Text() lays a sale's out: the
// header; "*** REFUND ***" ("*** POST-VOID ***"); the original receipt
// number and the refund's date; each line that came back with its quantity
// and a negative amount (and its serial); the item count; the refund total,
// negative; each method the money went back by, negative; the approving
// manager. RefundEscPos is the same as ESC/POS, as EscPos() makes it, with
// the drawer kick when cash goes back (not on a reprint) and no QR code.
std::string RefundText(const sa::store::RefundSlip& slip, const Shop& shop, Width width,
                       const Options& options = {});
std::string RefundEscPos(const sa::store::RefundSlip& slip, const Shop& shop, Width width,
                         const Options& options = {});

// ---- the shift report ---------------------------------------------------------
// A shift's X report (open) or Z report (closed) as plain text for the
// screen, storectl and the printer, in options.locale, its times "YYYY-MM-DD
// HH:MM" shifted by options.tz_offset_min: the title; terminal, cashier,
// opened, closed, currency; sales, refunds, voids and post-voids with their
// counts and totals; per payment method sales / refunds / net; the cash
// drawer (opening cash, cash taken, change given and cash refunded as
// negatives, expected, and counted and variance once closed); the VAT by
// rate (sales / refunds / net); the events not yet synced.
std::string ShiftReportText(const sa::store::ShiftReport& report, Width width,
                            const Options& options = {});

}  // namespace sa::receipt
