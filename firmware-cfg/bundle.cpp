// SPDX-License-Identifier: Apache-2.0
// Profiles, provisioning and the signed bundle format (firmware_cfg.hpp).
#include <algorithm>
#include <array>

#include "bundle_internal.hpp"

namespace sa::firmware {
namespace {

Error Invalid(const std::string& code, const std::string& message) {
  return MakeError(ErrorKind::invalid_request, code, message);
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string TomlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + TomlString(items[i]);
  return out + "]";
}

// Sets `key` in `[table]` of a profile's text to `value` (TOML), keeping
// every comment: the key's line is replaced, or a line is added under the
// table's header, or the table is added at the end. Profiles are ours, so a
// line-based edit is enough; the result is parsed again by the tests.
std::string SetKey(std::string text, std::string_view table, std::string_view key,
                   const std::string& value) {
  const std::string header = "[" + std::string(table) + "]";
  const std::string line = std::string(key) + " = " + value;
  std::size_t at = 0;
  std::size_t table_at = std::string::npos;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view l(text.data() + at, end - at);
    if (table_at == std::string::npos) {
      if (l == header) table_at = end + 1;
    } else if (!l.empty() && l[0] == '[') {
      break;  // the table ended without the key
    } else if (l.substr(0, key.size() + 1) == std::string(key) + " " ||
               l.substr(0, key.size() + 1) == std::string(key) + "=") {
      return text.replace(at, end - at, line);
    }
    at = end + 1;
  }
  if (table_at == std::string::npos) return text + "\n" + header + "\n" + line + "\n";
  return text.insert(std::min(table_at, text.size()), line + "\n");
}

std::string RandomToken() {
  std::array<std::uint8_t, 24> bytes{};
  crypto::RandomBytes(bytes);
  return crypto::Base64UrlEncode(bytes);
}

}  // namespace

namespace detail {

bool SafeRelativePath(std::string_view path) {
  if (path.empty() || path.size() > 255 || path.front() == '/') return false;
  std::size_t at = 0;
  while (at <= path.size()) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    const std::string_view segment = path.substr(at, slash - at);
    if (segment == "." || segment == ".." || !IsValidId(segment)) {
      return false;
    }
    at = slash + 1;
  }
  return true;
}

}  // namespace detail

std::string_view Profile(std::string_view role) {
  const std::string name = "profiles/" + std::string(role) + ".toml";
  for (const auto& f : detail::EmbeddedFiles()) {
    if (f.name == name) return f.content;
  }
  return {};
}

std::vector<RootfsFile> SystemFiles() {
  std::vector<RootfsFile> out;
  constexpr std::string_view kRootfs = "rootfs/";
  for (const auto& f : detail::EmbeddedFiles()) {
    if (f.name.substr(0, kRootfs.size()) != kRootfs) continue;
    out.push_back({f.name.substr(kRootfs.size()), f.content, 0644});
  }
  return out;
}

const BundleFile* Bundle::Find(std::string_view path) const {
  for (const auto& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

Expected<Bundle> Provision(const ProvisionRequest& r, const crypto::SigningKey& provisioning_key,
                           std::int64_t now_ms) {
  if (!IsValidId(r.store_id))
    return Invalid("invalid_store_id", "--store: 1-64 of A-Z a-z 0-9 _ . -");
  if (!IsValidId(r.device_id))
    return Invalid("invalid_device_id", "--device: 1-64 of A-Z a-z 0-9 _ . -");
  std::string config(Profile(r.role));
  if (config.empty()) {
    std::string roles;
    for (auto role : kRoles) roles += (roles.empty() ? "" : ", ") + std::string(role);
    return Invalid("unknown_role", "--role " + r.role + ": one of " + roles);
  }
  if (!r.cloud_url.empty() && r.cloud_url.rfind("https://", 0) != 0 &&
      r.cloud_url.rfind("http://", 0) != 0) {
    return Invalid("invalid_cloud_url", "--cloud: an http(s) URL");
  }

  Bundle b;
  b.store_id = r.store_id;
  b.device_id = r.device_id;
  b.role = r.role;
  b.created_at_ms = now_ms;
  b.cloud_url = r.cloud_url;

  // The keys it trusts, checked as P-256 public keys.
  std::vector<std::string> label_pems = r.label_key_pems;
  if (label_pems.empty()) label_pems.push_back(provisioning_key.PublicPem());
  std::vector<std::string> label_paths, member_paths;
  for (std::size_t i = 0; i < label_pems.size(); ++i) {
    if (auto k = crypto::VerifyKey::FromPem(label_pems[i]); !k) {
      return Invalid("invalid_key",
                     "label key " + std::to_string(i + 1) + ": " + k.error().message);
    }
    label_paths.push_back("keys/brand-" + std::to_string(i + 1) + ".pem");
    b.files.push_back({label_paths.back(), 0644, label_pems[i]});
  }
  for (std::size_t i = 0; i < r.member_key_pems.size(); ++i) {
    if (auto k = crypto::VerifyKey::FromPem(r.member_key_pems[i]); !k) {
      return Invalid("invalid_key",
                     "member key " + std::to_string(i + 1) + ": " + k.error().message);
    }
    member_paths.push_back("keys/member-" + std::to_string(i + 1) + ".pem");
    b.files.push_back({member_paths.back(), 0644, r.member_key_pems[i]});
  }
  b.files.push_back({"provisioning.pub.pem", 0644, provisioning_key.PublicPem()});

  // The device's identity: a key pair and its LAN TLS certificate, issued by
  // the provisioning key (a POS screen pins it, or trusts the brand's CA).
  const auto device_key = crypto::SigningKey::Generate();
  auto cert =
      crypto::IssueCertificate(device_key, r.device_id, provisioning_key,
                               "store-agent-provisioning", now_ms / 1000 - 3600, r.tls_days);
  if (!cert) return cert.error();
  b.files.push_back({"device.key.pem", 0600, device_key.PrivatePem()});
  b.files.push_back({"device.pub.pem", 0644, device_key.PublicPem()});
  b.files.push_back({"device.crt.pem", 0644, *cert});
  // The cloud sync key (HMAC-SHA256), 64 hex digits.
  std::array<std::uint8_t, 32> sync_key{};
  crypto::RandomBytes(sync_key);
  b.files.push_back({"sync.key", 0600, crypto::ToHex(sync_key) + "\n"});
  if (!r.cloud_ca_pem.empty()) b.files.push_back({"cloud-ca.pem", 0644, r.cloud_ca_pem});
  if (!r.phone_hash_key.empty()) {
    if (r.phone_hash_key.size() < 16) {
      return Invalid("invalid_key", "the phone-hash key must have 16 bytes or more");
    }
    b.files.push_back({"keys/phone-hash.key", 0600, r.phone_hash_key});
  }

  config = SetKey(std::move(config), "store", "id", TomlString(r.store_id));
  config = SetKey(std::move(config), "device", "id", TomlString(r.device_id));
  config = SetKey(std::move(config), "codes", "brand_keys", TomlList(label_paths));
  config = SetKey(std::move(config), "codes", "require_signature", "true");
  if (!member_paths.empty())
    config = SetKey(std::move(config), "members", "service_keys", TomlList(member_paths));
  if (!r.phone_hash_key.empty()) {
    config = SetKey(std::move(config), "members", "phone_hash_key_file",
                    TomlString("keys/phone-hash.key"));
  }
  config = SetKey(std::move(config), "cloud", "url", TomlString(r.cloud_url));
  config = SetKey(std::move(config), "cloud", "device_key_file", TomlString("sync.key"));
  if (!r.cloud_ca_pem.empty())
    config = SetKey(std::move(config), "cloud", "ca_file", TomlString("cloud-ca.pem"));
  if (!r.cloud_pin.empty())
    config = SetKey(std::move(config), "cloud", "pinned_pubkey", TomlString(r.cloud_pin));
  // A profile's placeholder scanner token becomes this device's own.
  const std::string placeholder = "\"change-this-scanner-token\"";
  if (const auto at = config.find(placeholder); at != std::string::npos) {
    config.replace(at, placeholder.size(), TomlString(RandomToken()));
  }
  const std::string stamp = "# Provisioned for store " + r.store_id + ", device " + r.device_id +
                            " (" + r.role + ") by storectl provision.\n";
  b.files.insert(b.files.begin(), {"agent.toml", 0640, stamp + config});
  return b;
}

std::string SignBundle(const Bundle& bundle, const crypto::SigningKey& provisioning_key) {
  const std::string payload = detail::PayloadJson(bundle);
  const std::string header = std::string(kBundleMagic) + "\n";
  const auto sig = provisioning_key.Sign(header + payload);
  return header + crypto::Base64UrlEncode(sig) + "\n" + payload + "\n";
}

Expected<Bundle> VerifyBundle(std::string_view bytes, const crypto::VerifyKey& key) {
  const std::string header = std::string(kBundleMagic) + "\n";
  if (bytes.substr(0, header.size()) != header) {
    return MakeError(ErrorKind::refused, "not_a_bundle",
                     "not a store-agent bundle (no SA-BUNDLE-1 header)");
  }
  const std::size_t sig_end = bytes.find('\n', header.size());
  if (sig_end == std::string_view::npos || bytes.size() < sig_end + 2 || bytes.back() != '\n' ||
      bytes.find('\n', sig_end + 1) != bytes.size() - 1) {
    return MakeError(ErrorKind::refused, "bundle_malformed",
                     "the bundle is not three lines (cut or joined?)");
  }
  const auto sig = crypto::Base64UrlDecode(bytes.substr(header.size(), sig_end - header.size()));
  const std::string_view payload = bytes.substr(sig_end + 1, bytes.size() - sig_end - 2);
  if (!sig || sig->size() != crypto::kRawSignatureSize ||
      !key.Verify(header + std::string(payload), *sig)) {
    return MakeError(
        ErrorKind::refused, "bundle_signature_invalid",
        "the bundle's signature does not verify with this key (changed, or signed by another key)");
  }
  return detail::ParsePayload(payload);
}

}  // namespace sa::firmware
