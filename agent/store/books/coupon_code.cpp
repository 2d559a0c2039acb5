// SPDX-License-Identifier: Apache-2.0
// Coupon codes (books.hpp): their text, parsed and minted.
#include <algorithm>
#include <vector>

#include "books.hpp"

namespace sa::store {
namespace {

constexpr std::string_view kPrefix = "SAC1:";
constexpr MinorUnits kMaxAmount = 1'000'000'000'000;

// Digits only, no leading zero (the signed text is rebuilt exactly), at most 13.
std::optional<std::int64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 13 || (s.size() > 1 && s[0] == '0') ||
      s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool IsCouponCode(std::string_view payload) { return payload.substr(0, kPrefix.size()) == kPrefix; }

std::string CouponCode::SignedMessage() const {
  return std::string(kPrefix) + id + ":" + type + ":" + std::to_string(amount) + ":" +
         std::to_string(min_spend) + ":" + std::to_string(expires_at_s) + ":" + store;
}

Expected<CouponCode> ParseCouponCode(std::string_view payload) {
  auto bad = [](std::string why) {
    return MakeError(ErrorKind::refused, "coupon_malformed",
                     "this coupon cannot be read (" + std::move(why) + ")");
  };
  if (!IsCouponCode(payload) || payload.size() > 400) return bad("not a coupon code");
  std::vector<std::string_view> parts;
  std::string_view rest = payload.substr(kPrefix.size());
  while (true) {
    const std::size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() != 7) {
    return bad("SAC1:{id}:{type}:{amount}:{min_spend}:{expires}:{store}:{signature}");
  }
  CouponCode c;
  c.id = parts[0];
  c.type = parts[1];
  if (!IsValidId(c.id)) return bad("its id");
  if (!codes::IsPriceGroup(c.type)) return bad("its type: 1-32 of a-z 0-9 - _");
  const auto amount = Number(parts[2]), min_spend = Number(parts[3]), expires = Number(parts[4]);
  if (!amount || *amount < 1 || *amount > kMaxAmount) return bad("its amount");
  if (!min_spend || *min_spend > kMaxAmount) return bad("its minimum spend");
  if (!expires) return bad("its expiry");
  c.amount = *amount;
  c.min_spend = *min_spend;
  c.expires_at_s = *expires;
  c.store = parts[5];
  if (c.store != "*" && !IsValidId(c.store)) return bad("its store");
  c.signature = parts[6];
  const auto raw = crypto::Base64UrlDecode(c.signature);
  if (!raw || raw->size() != crypto::kRawSignatureSize) return bad("its signature");
  return c;
}

std::string MakeCouponCode(const CouponCode& coupon, const crypto::SigningKey& key) {
  const std::string message = coupon.SignedMessage();
  return message + ":" + crypto::Base64UrlEncode(key.Sign(message));
}

}  // namespace sa::store
