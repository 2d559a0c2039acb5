// SPDX-License-Identifier: Apache-2.0
// mbedTLS 2.28 backend of crypto.hpp. The only file that includes mbedTLS.
#include "crypto.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace sa::crypto {
namespace {

// One DRBG per thread: no locking, and mbedTLS contexts are not thread-safe.
class Drbg {
 public:
  Drbg() {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    static const char kPersonalisation[] = "store-agent";
    if (mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                              reinterpret_cast<const unsigned char*>(kPersonalisation),
                              sizeof kPersonalisation - 1) != 0) {
      throw std::runtime_error("cannot seed the random generator");
    }
  }
  ~Drbg() {
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
  }
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;
  mbedtls_ctr_drbg_context* ctx() { return &drbg_; }

 private:
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
};

Drbg& ThreadDrbg() {
  thread_local Drbg drbg;
  return drbg;
}

struct Mpi {
  Mpi() { mbedtls_mpi_init(&v); }
  ~Mpi() { mbedtls_mpi_free(&v); }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
  mbedtls_mpi v;
};

struct Pk {
  Pk() { mbedtls_pk_init(&ctx); }
  ~Pk() { mbedtls_pk_free(&ctx); }
  Pk(const Pk&) = delete;
  Pk& operator=(const Pk&) = delete;
  mbedtls_pk_context ctx;
};

bool IsP256(const mbedtls_pk_context& pk) {
  if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY) return false;
  return mbedtls_pk_ec(pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

std::string PemBuffer(std::string_view pem) {
  // mbedTLS wants PEM input NUL-terminated, with the NUL counted in the length.
  return std::string(pem);
}

bool VerifyWith(const mbedtls_pk_context& pk, std::string_view message,
                std::span<const std::uint8_t> raw_sig) {
  if (raw_sig.size() != kRawSignatureSize) return false;
  const Digest hash = Sha256(message);
  Mpi r, s;
  if (mbedtls_mpi_read_binary(&r.v, raw_sig.data(), 32) != 0) return false;
  if (mbedtls_mpi_read_binary(&s.v, raw_sig.data() + 32, 32) != 0) return false;
  // mbedtls_ecdsa_verify takes non-const group and point; it does not modify
  // the key, so the const_cast only satisfies the 2.28 signature.
  auto* kp = mbedtls_pk_ec(pk);
  return mbedtls_ecdsa_verify(&kp->grp, hash.data(), hash.size(), &kp->Q, &r.v, &s.v) == 0;
}

}  // namespace

Digest Sha256(std::string_view data) {
  Digest out{};
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                     0);
  return out;
}

Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  Digest out{};
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key.data(), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::optional<Bytes> FromHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::optional<Bytes> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no valid encoding has this length
  std::string std64;
  std64.reserve(text.size() + 3);
  for (char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      std64.push_back(c);
    } else if (c == '-') {
      std64.push_back('+');
    } else if (c == '_') {
      std64.push_back('/');
    } else {
      return std::nullopt;
    }
  }
  while (std64.size() % 4 != 0) std64.push_back('=');
  Bytes out(std64.size() / 4 * 3);
  std::size_t written = 0;
  if (mbedtls_base64_decode(out.data(), out.size(), &written,
                            reinterpret_cast<const unsigned char*>(std64.data()),
                            std64.size()) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  // Refuse non-canonical text (stray bits in the last character): a label has
  // exactly one spelling of its signature.
  if (Base64UrlEncode(out) != text) return std::nullopt;
  return out;
}

std::string Base64UrlEncode(std::span<const std::uint8_t> bytes) {
  std::string buf(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  std::size_t written = 0;
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(buf.data()), buf.size(), &written,
                        bytes.data(), bytes.size());
  buf.resize(written);
  for (char& c : buf) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!buf.empty() && buf.back() == '=') buf.pop_back();
  return buf;
}

void RandomBytes(std::span<std::uint8_t> out) {
  if (mbedtls_ctr_drbg_random(ThreadDrbg().ctx(), out.data(), out.size()) != 0) {
    throw std::runtime_error("random generator failed");
  }
}

std::string NewUuidV7(std::int64_t unix_ms) {
  std::array<std::uint8_t, 16> b{};
  RandomBytes(b);
  const auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));
  const std::string hex = ToHex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// ---------------------------------------------------------------- VerifyKey

// mbedTLS caches precomputed points in a key's group on first use, so one
// parsed key must not verify on two threads at once. Each thread that
// verifies gets its own copy, parsed from the same DER on first use there.
struct VerifyKey::Impl {
  Pk pk;  // the original, checked at load
  std::vector<unsigned char> der;
  std::uint64_t id = 0;  // unique per key, never reused (unlike an address)
};

namespace {

std::atomic<std::uint64_t> g_next_key_id{1};

const mbedtls_pk_context& ThreadCopy(const VerifyKey::Impl& impl) {
  thread_local std::unordered_map<std::uint64_t, std::unique_ptr<Pk>> copies;
  auto& slot = copies[impl.id];
  if (!slot) {
    slot = std::make_unique<Pk>();
    if (mbedtls_pk_parse_public_key(&slot->ctx, impl.der.data(), impl.der.size()) != 0) {
      throw std::runtime_error("cannot copy a verified key");
    }
  }
  return slot->ctx;
}

}  // namespace

Expected<VerifyKey> VerifyKey::FromPem(std::string_view pem) {
  auto impl = std::make_shared<Impl>();
  const std::string buf = PemBuffer(pem);
  const int rc = mbedtls_pk_parse_public_key(
      &impl->pk.ctx, reinterpret_cast<const unsigned char*>(buf.c_str()), buf.size() + 1);
  if (rc != 0) {
    return MakeError(ErrorKind::invalid_request, "bad_key", "not a PEM public key");
  }
  if (!IsP256(impl->pk.ctx)) {
    return MakeError(ErrorKind::invalid_request, "bad_key",
                     "the key is not an ECDSA P-256 (prime256v1) public key");
  }
  unsigned char der[256];
  // mbedtls_pk_write_pubkey_der writes at the end of the buffer.
  const int len = mbedtls_pk_write_pubkey_der(&impl->pk.ctx, der, sizeof der);
  if (len <= 0) return MakeError(ErrorKind::invalid_request, "bad_key", "cannot encode the key");
  impl->der.assign(der + sizeof der - static_cast<std::size_t>(len), der + sizeof der);
  impl->id = g_next_key_id.fetch_add(1);
  return VerifyKey(std::move(impl));
}

Expected<VerifyKey> VerifyKey::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorKind::invalid_request, "bad_key", "cannot read key file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto key = FromPem(text);
  if (!key) return key.error().WithContext(path);
  return key;
}

bool VerifyKey::Verify(std::string_view message, std::span<const std::uint8_t> raw_sig) const {
  return impl_ && VerifyWith(ThreadCopy(*impl_), message, raw_sig);
}

// --------------------------------------------------------------- SigningKey

struct SigningKey::Impl {
  Pk pk;
  std::mutex mu;  // signing is rare (demo, tests): one thread at a time per key
};

SigningKey SigningKey::Generate() {
  auto impl = std::make_shared<Impl>();
  if (mbedtls_pk_setup(&impl->pk.ctx, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(impl->pk.ctx),
                          mbedtls_ctr_drbg_random, ThreadDrbg().ctx()) != 0) {
    throw std::runtime_error("cannot generate a P-256 key");
  }
  return SigningKey(std::move(impl));
}

Expected<SigningKey> SigningKey::FromPem(std::string_view pem) {
  auto impl = std::make_shared<Impl>();
  const std::string buf = PemBuffer(pem);
  if (mbedtls_pk_parse_key(&impl->pk.ctx, reinterpret_cast<const unsigned char*>(buf.c_str()),
                           buf.size() + 1, nullptr, 0) != 0 ||
      !IsP256(impl->pk.ctx)) {
    return MakeError(ErrorKind::invalid_request, "bad_key", "not a PEM ECDSA P-256 private key");
  }
  return SigningKey(std::move(impl));
}

Bytes SigningKey::Sign(std::string_view message) const {
  const Digest hash = Sha256(message);
  std::lock_guard lock(impl_->mu);
  auto* kp = mbedtls_pk_ec(impl_->pk.ctx);
  Mpi r, s;
  if (mbedtls_ecdsa_sign(&kp->grp, &r.v, &s.v, &kp->d, hash.data(), hash.size(),
                         mbedtls_ctr_drbg_random, ThreadDrbg().ctx()) != 0) {
    throw std::runtime_error("ECDSA signing failed");
  }
  Bytes out(kRawSignatureSize);
  mbedtls_mpi_write_binary(&r.v, out.data(), 32);
  mbedtls_mpi_write_binary(&s.v, out.data() + 32, 32);
  return out;
}

std::string SigningKey::PublicPem() const {
  std::string buf(512, '\0');
  if (mbedtls_pk_write_pubkey_pem(&impl_->pk.ctx, reinterpret_cast<unsigned char*>(buf.data()),
                                  buf.size()) != 0) {
    throw std::runtime_error("cannot write a public key");
  }
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

std::string SigningKey::PrivatePem() const {
  std::string buf(1024, '\0');
  if (mbedtls_pk_write_key_pem(&impl_->pk.ctx, reinterpret_cast<unsigned char*>(buf.data()),
                               buf.size()) != 0) {
    throw std::runtime_error("cannot write a private key");
  }
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

VerifyKey SigningKey::Public() const { return VerifyKey::FromPem(PublicPem()).value(); }

// ------------------------------------------------------------------ KeyRing

Expected<KeyRing> KeyRing::LoadFiles(const std::vector<std::string>& paths) {
  KeyRing ring;
  for (const auto& path : paths) {
    auto key = VerifyKey::LoadFile(path);
    if (!key) return key.error();
    ring.Add(std::move(key).value());
  }
  return ring;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

namespace {
Bytes Pbkdf2(std::string_view pin, const Bytes& salt, std::uint32_t iterations) {
  Bytes out(32);
  mbedtls_md_context_t md;
  mbedtls_md_init(&md);
  int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
  if (rc == 0) {
    rc = mbedtls_pkcs5_pbkdf2_hmac(&md, reinterpret_cast<const unsigned char*>(pin.data()),
                                   pin.size(), salt.data(), salt.size(), iterations,
                                   static_cast<std::uint32_t>(out.size()), out.data());
  }
  mbedtls_md_free(&md);
  if (rc != 0) throw std::runtime_error("PBKDF2 failed");
  return out;
}
}  // namespace

PinHash HashPin(std::string_view pin, std::uint32_t iterations) {
  PinHash h;
  h.salt.resize(16);
  RandomBytes(h.salt);
  h.iterations = iterations < 1 ? 1 : iterations;
  h.hash = Pbkdf2(pin, h.salt, h.iterations);
  return h;
}

bool VerifyPin(std::string_view pin, const PinHash& stored) {
  if (stored.iterations < 1 || stored.hash.size() != 32) return false;
  const Bytes got = Pbkdf2(pin, stored.salt, stored.iterations);
  return ConstantTimeEqual(
      std::string_view(reinterpret_cast<const char*>(got.data()), got.size()),
      std::string_view(reinterpret_cast<const char*>(stored.hash.data()), stored.hash.size()));
}

std::string VerifyKey::Fingerprint() const {
  return ToHex(Sha256(
      std::string_view(reinterpret_cast<const char*>(impl_->der.data()), impl_->der.size())));
}

void KeyRing::Remove(std::string_view fingerprint) {
  std::erase_if(keys_, [&](const VerifyKey& k) { return k.Fingerprint() == fingerprint; });
}

bool KeyRing::Verify(std::string_view message, std::span<const std::uint8_t> raw_sig) const {
  for (const auto& key : keys_) {
    if (key.Verify(message, raw_sig)) return true;
  }
  return false;
}

}  // namespace sa::crypto

namespace sa::crypto {
namespace {

// "YYYYMMDDhhmmss" in UTC, as mbedtls_x509write_crt_set_validity takes it.
std::string X509Time(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

}  // namespace

Expected<std::string> IssueCertificate(const SigningKey& subject, std::string_view subject_cn,
                                       const SigningKey& issuer, std::string_view issuer_cn,
                                       std::int64_t not_before_unix_s, int days) {
  for (std::string_view cn : {subject_cn, issuer_cn}) {
    if (!IsValidId(cn)) {
      return MakeError(ErrorKind::invalid_request, "bad_common_name",
                       "a certificate name is 1-64 of A-Z a-z 0-9 _ . -");
    }
  }
  if (days <= 0 || days > 36500) {
    return MakeError(ErrorKind::invalid_request, "bad_validity",
                     "a certificate is valid 1 to 36500 days");
  }
  mbedtls_x509write_cert crt;
  mbedtls_x509write_crt_init(&crt);
  mbedtls_mpi serial;
  mbedtls_mpi_init(&serial);
  std::array<std::uint8_t, 16> serial_bytes{};
  RandomBytes(serial_bytes);
  serial_bytes[0] &= 0x7f;  // a positive INTEGER
  serial_bytes[0] |= 0x01;  // and never a short one
  // The keys' mutexes keep a concurrent Sign off them (an mbedTLS pk context
  // is not thread-safe).
  auto& subject_impl = *subject.impl_;
  auto& issuer_impl = *issuer.impl_;
  std::unique_lock<std::mutex> issuer_lock(issuer_impl.mu, std::defer_lock);
  std::unique_lock<std::mutex> subject_lock(subject_impl.mu, std::defer_lock);
  if (&subject_impl == &issuer_impl) {
    issuer_lock.lock();
  } else {
    std::lock(issuer_lock, subject_lock);
  }
  const std::string subject_name = "CN=" + std::string(subject_cn) + ",O=store-agent";
  const std::string issuer_name = "CN=" + std::string(issuer_cn) + ",O=store-agent";
  const std::string not_before = X509Time(not_before_unix_s);
  const std::string not_after = X509Time(not_before_unix_s + std::int64_t{days} * 86400);
  const bool ca = &subject_impl == &issuer_impl;
  int rc = mbedtls_mpi_read_binary(&serial, serial_bytes.data(), serial_bytes.size());
  mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&crt, &subject_impl.pk.ctx);
  mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_impl.pk.ctx);
  if (rc == 0) rc = mbedtls_x509write_crt_set_subject_name(&crt, subject_name.c_str());
  if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer_name.c_str());
  if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
  if (rc == 0) rc = mbedtls_x509write_crt_set_validity(&crt, not_before.c_str(), not_after.c_str());
  if (rc == 0) rc = mbedtls_x509write_crt_set_basic_constraints(&crt, ca ? 1 : 0, -1);
  if (rc == 0) {
    rc = mbedtls_x509write_crt_set_key_usage(
        &crt, ca ? MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN
                 : MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_AGREEMENT);
  }
  if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt);
  if (rc == 0) rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt);
  std::string pem(4096, '\0');
  if (rc == 0) {
    rc = mbedtls_x509write_crt_pem(&crt, reinterpret_cast<unsigned char*>(pem.data()), pem.size(),
                                   mbedtls_ctr_drbg_random, ThreadDrbg().ctx());
  }
  mbedtls_mpi_free(&serial);
  mbedtls_x509write_crt_free(&crt);
  if (rc != 0) {
    return MakeError(ErrorKind::internal, "certificate_failed",
                     "cannot write the certificate (mbedTLS error " + std::to_string(rc) + ")");
  }
  pem.resize(std::strlen(pem.c_str()));
  return pem;
}

}  // namespace sa::crypto
