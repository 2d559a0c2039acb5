// SPDX-License-Identifier: Apache-2.0
// Staff badge codes (books.hpp): their text, parsed and minted.
#include "books.hpp"

namespace sa::store {
namespace {

constexpr std::string_view kPrefix = "SAG1:";

}  // namespace

bool IsStaffCode(std::string_view payload) { return payload.substr(0, kPrefix.size()) == kPrefix; }

std::string StaffCode::SignedMessage() const { return std::string(kPrefix) + staff_id; }

Expected<StaffCode> ParseStaffCode(std::string_view payload) {
  auto bad = [](std::string why) {
    return MakeError(ErrorKind::refused, "staff_code_malformed",
                     "this staff badge cannot be read (" + std::move(why) + ")");
  };
  if (!IsStaffCode(payload) || payload.size() > 200) return bad("not a staff badge");
  const std::string_view rest = payload.substr(kPrefix.size());
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos) {
    return bad("SAG1:{staff_id}:{signature}");
  }
  StaffCode c;
  c.staff_id = std::string(rest.substr(0, colon));
  if (!IsValidId(c.staff_id)) return bad("its staff id");
  c.signature = std::string(rest.substr(colon + 1));
  const auto raw = crypto::Base64UrlDecode(c.signature);
  if (!raw || raw->size() != crypto::kRawSignatureSize) return bad("its signature");
  return c;
}

std::string MakeStaffCode(std::string_view staff_id, const crypto::SigningKey& key) {
  const std::string message = std::string(kPrefix) + std::string(staff_id);
  return message + ":" + crypto::Base64UrlEncode(key.Sign(message));
}

}  // namespace sa::store
