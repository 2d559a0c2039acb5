// SPDX-License-Identifier: Apache-2.0
// The customer receipt of a sale: plain text laid out for a 58 mm or 80 mm
// thermal printer, the same receipt as ESC/POS bytes, and the signed claim
// token that lets a customer who did not bind at the till claim the sale for
// their membership later. Pure C++: no I/O, no clock, no floating point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base.hpp"
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

// ---- claim token ------------------------------------------------------------
// token = "SAC1." + base64url(sale_id "." total_minor "." currency)
//       + "." + base64url(HMAC-SHA256(device_key, "SAC1:" sale_id ":" total_minor ":" currency))
// base64url without padding; total_minor in canonical decimal (std::to_string).
struct Claim {
  std::string sale_id;
  MinorUnits total_minor = 0;
  std::string currency;
  friend bool operator==(const Claim&, const Claim&) = default;
};

// Tokens longer than this are refused unread.
inline constexpr std::size_t kMaxClaimTokenSize = 512;

// The sale's claim token. Empty when it cannot be minted: an empty key, a sale
// id outside [A-Za-z0-9_-]{1,64} (sale ids are UUIDs) or a currency that is not
// three letters A-Z. Those limits keep the MAC input unambiguous.
std::string ClaimToken(const sa::store::Sale& sale, std::span<const std::uint8_t> device_key);

// {sale_id, total_minor, currency} of a token minted by ClaimToken with this
// key; nothing when the prefix, the form, the encoding, a field or the MAC is
// wrong, or the key is empty. The MAC is compared in constant time.
std::optional<Claim> VerifyClaim(std::string_view token, std::span<const std::uint8_t> device_key);

// "https://{claim_host}/c/{token}": what Text() and EscPos() take as claim_url.
std::string ClaimUrl(std::string_view claim_host, std::string_view token);

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
// Plain text, '\n' after every line, no line wider than Columns(width):
//   shop name, address, "Store {store_id}  Device {device_id}" (centred, with
//   leading spaces only); "*** VOIDED ***" / "*** NOT PAID ***" unless the
//   sale is completed; receipt number; date "YYYY-MM-DD HH:MM" of
//   closed_at_ms (opened_at_ms while the sale is open) shifted by
//   tz_offset_min (0 = UTC); one block per line (the name wrapped to at most
//   two lines, cut with "..." beyond; "  {qty} x {unit price}" with the amount
//   right-aligned; "SN {serial}" when the unit has one); item count; total;
//   each payment (method and amount; refs are not printed); change; the
//   member (member_id, else the masked phone, nothing else); and
//   "Claim: {claim_url}" (wrapped) only when claim_url is non-empty, no member
//   is bound and the sale is not voided.
// Text from the sale and shop is sanitised: control characters print as a
// space and invalid UTF-8 bytes as '?', so no byte can act as a printer
// command; a UTF-8 sequence is never split across lines.
std::string Text(const sa::store::Sale& sale, const Shop& shop, Width width,
                 std::string_view claim_url, int tz_offset_min = 0);

// The same receipt as ESC/POS bytes: ESC @; the header lines between ESC a 1
// and ESC a 0 (the printer centres them, so they carry no padding spaces);
// the total line between ESC E 1 and ESC E 0; every other line exactly as in
// Text(); then, when Text() prints the claim line and the URL fits a version
// 40-M QR symbol (2331 bytes), the URL as a native QR code, centred:
//   GS ( k 4 0 49 65 50 0     model 2
//   GS ( k 3 0 49 67 n        module size n = 6 (80 mm) / 4 (58 mm)
//   GS ( k 3 0 49 69 49       error correction M
//   GS ( k pL pH 49 80 48 d…  store the URL, pL + 256 pH = size + 3
//   GS ( k 3 0 49 81 48       print
// then ESC d 4 (feed) and GS V 66 0 (feed to the cutter, partial cut).
std::string EscPos(const sa::store::Sale& sale, const Shop& shop, Width width,
                   std::string_view claim_url, int tz_offset_min = 0);

}  // namespace sa::receipt
