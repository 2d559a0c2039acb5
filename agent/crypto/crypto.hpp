// SPDX-License-Identifier: Apache-2.0
// The cryptography the agent needs, behind a small interface: SHA-256,
// HMAC-SHA256, base64url, random bytes, and ECDSA P-256 with raw r||s
// signatures (the form GS1 DIGSIG labels and member codes carry).
// The only implementation is platform/mbedtls/.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"

namespace sa::crypto {

using Bytes = std::vector<std::uint8_t>;
using Digest = std::array<std::uint8_t, 32>;
inline constexpr std::size_t kRawSignatureSize = 64;  // r||s, 32 bytes each

Digest Sha256(std::string_view data);
Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view data);
std::string ToHex(std::span<const std::uint8_t> bytes);
// Hex digits (either case, an even number of them) as bytes; nothing on
// anything else.
std::optional<Bytes> FromHex(std::string_view hex);

// RFC 4648 section 5, no padding on output; input must not be padded either
// (docs/design.md: "base64url, no padding"). Nothing on any other character.
std::optional<Bytes> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::span<const std::uint8_t> bytes);

// Cryptographically secure random bytes (CTR-DRBG seeded from the OS).
void RandomBytes(std::span<std::uint8_t> out);
// Equal contents, compared in time that depends on the length only: for
// secrets (API tokens, signatures, pickup codes).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// A PIN as the ledger keeps it: PBKDF2-HMAC-SHA256 with a random salt. Slow
// on purpose (a 4-8 digit PIN has at most 10^8 values: the iteration count is
// what makes trying them all from a stolen ledger expensive).
struct PinHash {
  Bytes salt;  // 16 random bytes
  std::uint32_t iterations = 0;
  Bytes hash;  // 32 bytes
};
inline constexpr std::uint32_t kPinIterations = 100000;
// Hashes `pin` with a fresh salt. `iterations` below 1 is raised to 1 (tests
// of other things may pass fewer than kPinIterations to stay fast).
PinHash HashPin(std::string_view pin, std::uint32_t iterations = kPinIterations);
// True when `pin` hashes to `stored` (constant-time compare of the hashes).
bool VerifyPin(std::string_view pin, const PinHash& stored);

// A UUIDv7 (time-ordered) string: device-generated ids for sales and events.
std::string NewUuidV7(std::int64_t unix_ms);

// An ECDSA P-256 public key.
class VerifyKey {
 public:
  // From a PEM "PUBLIC KEY" (SubjectPublicKeyInfo). Refuses other curves.
  static Expected<VerifyKey> FromPem(std::string_view pem);
  static Expected<VerifyKey> LoadFile(const std::string& path);

  // True when `raw_sig` (64 bytes r||s) signs SHA-256(message) under this key.
  // Safe to call from several threads at once.
  bool Verify(std::string_view message, std::span<const std::uint8_t> raw_sig) const;
  // Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo: the same key
  // in any PEM layout has one fingerprint (how a retired key is named).
  std::string Fingerprint() const;

  struct Impl;

 private:
  explicit VerifyKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// An ECDSA P-256 private key: for minting demo and test codes, never needed by
// a store in production.
class SigningKey {
 public:
  static SigningKey Generate();
  static Expected<SigningKey> FromPem(std::string_view pem);

  // 64 bytes r||s over SHA-256(message). Thread-safe.
  Bytes Sign(std::string_view message) const;
  std::string PublicPem() const;
  std::string PrivatePem() const;
  VerifyKey Public() const;

  struct Impl;

 private:
  friend Expected<std::string> IssueCertificate(const SigningKey&, std::string_view,
                                                const SigningKey&, std::string_view, std::int64_t,
                                                int);
  explicit SigningKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// An X.509 v3 certificate (PEM) for `subject`'s public key with
// CN=`subject_cn`, signed with SHA-256 by `issuer` (CN=`issuer_cn`; the same
// key makes it self-signed), valid for `days` from `not_before_unix_s`, with a
// random 128-bit serial. CNs are 1-64 of [A-Za-z0-9_.-] (invalid_request
// otherwise). What a store box serves its LAN API with; made at provisioning.
Expected<std::string> IssueCertificate(const SigningKey& subject, std::string_view subject_cn,
                                       const SigningKey& issuer, std::string_view issuer_cn,
                                       std::int64_t not_before_unix_s, int days);

// The keys trusted for one purpose (brand labels, or member codes). A key
// rotation adds a key; a signature is good when any key verifies it.
class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<VerifyKey> keys) : keys_(std::move(keys)) {}
  // Loads every PEM file; the first unreadable or wrong key is the error.
  static Expected<KeyRing> LoadFiles(const std::vector<std::string>& paths);

  void Add(VerifyKey key) { keys_.push_back(std::move(key)); }
  // Drops every key with this fingerprint (a retired key).
  void Remove(std::string_view fingerprint);
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  bool Verify(std::string_view message, std::span<const std::uint8_t> raw_sig) const;

 private:
  std::vector<VerifyKey> keys_;
};

}  // namespace sa::crypto
