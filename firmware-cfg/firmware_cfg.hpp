// SPDX-License-Identifier: Apache-2.0
// What a field engineer needs to give a store box its identity: device
// profiles, provisioning bundles signed with the brand's provisioning key, and
// the root filesystem overlay an image build takes.
//
// A bundle is one file:
//   SA-BUNDLE-1\n
//   <base64url of the 64-byte ECDSA P-256 signature (r||s)>\n
//   <payload: one line of JSON>\n
// The signature covers SHA-256 of "SA-BUNDLE-1\n" + payload, so any byte
// changed anywhere in the file makes it fail: in the header (not a bundle), in
// the signature (base64url is decoded strictly) or in the payload. Payload:
//   {"format":1,"store_id","device_id","role","created_at_ms","cloud_url",
//    "files":[{"path","mode","content_base64"}]}
// File paths are relative to the config folder (/etc/store-agent on a box) and
// the config refers to the others by relative paths, so the same bundle runs
// flashed into /etc/store-agent or unpacked anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "crypto.hpp"

namespace sa::firmware {

inline constexpr std::string_view kBundleMagic = "SA-BUNDLE-1";

// The device roles a profile exists for.
inline constexpr std::string_view kRoles[] = {"pos-terminal", "shelf-scanner", "store-box"};

// A profile's TOML (commented, complete), or "" for an unknown role.
std::string_view Profile(std::string_view role);

// A file the image carries: path relative to the root filesystem.
struct RootfsFile {
  std::string_view path;
  std::string_view content;
  int mode = 0644;
};
// The unit and udev rules (firmware-cfg/rootfs/), embedded at build time.
std::vector<RootfsFile> SystemFiles();

struct BundleFile {
  std::string path;  // relative, e.g. "agent.toml", "keys/brand-1.pem"
  int mode = 0644;
  std::string content;
};

struct Bundle {
  std::string store_id;
  std::string device_id;
  std::string role;
  std::int64_t created_at_ms = 0;
  std::string cloud_url;
  std::vector<BundleFile> files;

  const BundleFile* Find(std::string_view path) const;
};

struct ProvisionRequest {
  std::string store_id;
  std::string device_id;
  std::string role;          // one of kRoles
  std::string cloud_url;     // "" = offline
  std::string cloud_ca_pem;  // "" = system CAs
  std::string cloud_pin;     // "" or sha256//BASE64
  std::vector<std::string>
      label_key_pems;  // brand label keys (public); default: the provisioning key's
  std::vector<std::string> member_key_pems;  // member-service keys (public)
  // The brand's phone-hash key (secret, 16+ bytes), shared by every store of
  // the brand and its CRM, so one phone typed at two stores is one member;
  // "" = each device makes its own (phones then match within one device only).
  std::string phone_hash_key;
  int tls_days = 3650;
};

// A device's bundle: its profile with the ids, the cloud and the key paths
// filled in; a new device key pair, its LAN TLS certificate issued by the
// provisioning key; a new cloud sync key; the public keys it trusts; and the
// provisioning public key. Errors: invalid_request (bad id, unknown role, a
// key that is not a P-256 public key PEM).
Expected<Bundle> Provision(const ProvisionRequest& request,
                           const crypto::SigningKey& provisioning_key, std::int64_t now_ms);

// The bundle file's bytes, signed.
std::string SignBundle(const Bundle& bundle, const crypto::SigningKey& provisioning_key);

// The bundle in `bytes` when `key` signed it. Errors (ErrorKind::refused):
// not_a_bundle, bundle_signature_invalid, bundle_malformed.
Expected<Bundle> VerifyBundle(std::string_view bytes, const crypto::VerifyKey& key);

// Writes the bundle's files into `dir` (created 0750 if missing) with their
// modes; a file already there is replaced atomically (write, fsync, rename).
// Paths are checked again: nothing can be written outside `dir`.
Expected<void> UnpackBundle(const Bundle& bundle, const std::string& dir);

struct FlashReport {
  std::vector<std::string> written;  // paths inside the rootfs
  bool owner_set = false;            // keys chowned to the rootfs's store-agent user
};

// The overlay for an image build in `rootfs`: the bundle under
// etc/store-agent/ (keys 0600, owned by the store-agent user when the rootfs's
// etc/passwd has one), the unit and udev rules, and the unit enabled
// (etc/systemd/system/multi-user.target.wants/store-agent.service ->
// /lib/systemd/system/store-agent.service).
Expected<FlashReport> Flash(const Bundle& bundle, const std::string& rootfs);

}  // namespace sa::firmware
