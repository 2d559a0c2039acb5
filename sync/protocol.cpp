// SPDX-License-Identifier: Apache-2.0
// PROTOCOL.md §2: the canonical string and its HMAC.
#include <string>

#include "sync.hpp"

namespace sa::sync {

std::string CanonicalString(const SignedRequest& r) {
  const auto body_hash = crypto::Sha256(r.body);
  std::string out = "SA1\n";
  out.append(r.method).append("\n");
  out.append(r.path).append("\n");
  out.append(std::to_string(r.timestamp_ms)).append("\n");
  out.append(r.store_id).append("\n");
  out.append(r.device_id).append("\n");
  out.append(crypto::ToHex(body_hash));
  return out;
}

std::string Sign(std::span<const std::uint8_t> key, const SignedRequest& request) {
  return "v1=" + crypto::ToHex(crypto::HmacSha256(key, CanonicalString(request)));
}

bool VerifySignature(std::span<const std::uint8_t> key, const SignedRequest& request,
                     std::string_view header) {
  return crypto::ConstantTimeEqual(Sign(key, request), header);
}

}  // namespace sa::sync
