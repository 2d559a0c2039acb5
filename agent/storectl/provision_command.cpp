// SPDX-License-Identifier: Apache-2.0
#include "provision_command.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "config.hpp"
#include "crypto.hpp"
#include "firmware_cfg.hpp"

namespace sa::storectl {
namespace {

using nlohmann::json;

Error Rejected(const std::string& code, const std::string& message) {
  return MakeError(ErrorKind::refused, code, message);
}

// A P-256 public key from a PEM file holding it, or the private key.
Expected<crypto::VerifyKey> PublicKeyFile(const std::string& path) {
  const auto pem = ReadWholeFile(path);
  if (!pem) return Rejected("cannot_read", path + ": cannot read");
  if (auto pub = crypto::VerifyKey::FromPem(*pem)) return pub;
  if (auto priv = crypto::SigningKey::FromPem(*pem)) return priv->Public();
  return Rejected("invalid_key", path + ": not a P-256 public or private key (PEM)");
}

Expected<firmware::Bundle> ReadBundle(const std::string& path, const std::string& key_path) {
  auto key = PublicKeyFile(key_path);
  if (!key) return key.error().WithContext("--brand-key");
  const auto bytes = ReadWholeFile(path);
  if (!bytes) return Rejected("cannot_read", path + ": cannot read");
  auto bundle = firmware::VerifyBundle(*bytes, *key);
  if (!bundle) return bundle.error().WithContext(path);
  return bundle;
}

// ---- config check ------------------------------------------------------------

struct Finding {
  std::uint32_t line = 0;  // 0: the file as a whole
  std::string message;
};

// What to do about a problem, by its class.
std::string HintFor(const std::string& message) {
  auto has = [&](std::string_view s) { return message.find(s) != std::string::npos; };
  if (has("TOML syntax error")) return "check the quotes, brackets and '=' on that line";
  if (has("did you mean")) return "use the key it suggests";
  if (has("unknown key") || has("unknown table")) {
    return "remove it or fix its spelling; `store-agent --print-config` lists every key";
  }
  if (has("does not apply to"))
    return "remove it from this [[scanners]] table, or change the table's type";
  if (has("is missing")) return "add the key to that table";
  if (has("must be between")) return "set a value inside that range";
  if (has("must be one of")) return "use one of the values listed";
  if (has(", not "))
    return "quote strings, write true/false for booleans and [\"a\", \"b\"] for lists";
  if (has("off loopback"))
    return "listen on 127.0.0.1, or set what it asks for (TLS certificate, token)";
  if (has("cannot read") || has("not found")) {
    return "the path is relative to the config file's folder; check that it exists and is readable";
  }
  if (has("key")) return "use a P-256 key in PEM, as `storectl provision` writes them";
  return "see `store-agent --print-config` for what the key takes";
}

// Files the config names: they must be there and be what they should be.
void CheckFiles(const config::Config& c, const config::KeyLines& lines, std::vector<Finding>& out) {
  auto line_of = [&](const std::string& key) {
    const auto it = lines.find(key);
    return it == lines.end() ? std::uint32_t{0} : it->second;
  };
  auto readable = [&](const std::string& key,
                      const std::string& path) -> std::optional<std::string> {
    if (path.empty()) return std::nullopt;
    auto text = ReadWholeFile(path);
    if (!text) out.push_back({line_of(key), key + ": cannot read " + path});
    return text;
  };
  for (const auto& [key, paths] : {std::pair{std::string("codes.brand_keys"), c.brand_keys},
                                   std::pair{std::string("members.service_keys"), c.member_keys}}) {
    for (const auto& path : paths) {
      if (auto pem = readable(key, path)) {
        if (auto k = crypto::VerifyKey::FromPem(*pem); !k) {
          out.push_back({line_of(key),
                         key + ": " + path + " is not a P-256 public key: " + k.error().message});
        }
      }
    }
  }
  if (auto key = readable("members.phone_hash_key_file", c.phone_hash_key_file);
      key && key->size() < 16) {
    out.push_back(
        {line_of("members.phone_hash_key_file"),
         "members.phone_hash_key_file: " + c.phone_hash_key_file + " holds under 16 bytes"});
  }
  (void)readable("catalog.import", c.catalog_import);
  if (auto ca = readable("cloud.ca_file", c.cloud_ca_file);
      ca && ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    out.push_back({line_of("cloud.ca_file"),
                   "cloud.ca_file: " + c.cloud_ca_file + " holds no PEM certificate"});
  }
  if (auto key = readable("cloud.device_key_file", c.cloud_device_key_file)) {
    std::string hex = *key;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    if (const auto bytes = crypto::FromHex(hex); !bytes || bytes->size() != 32) {
      out.push_back(
          {line_of("cloud.device_key_file"),
           "cloud.device_key_file: " + c.cloud_device_key_file + " is not 64 hex digits"});
    }
  }
  // What the agent refuses at start beyond the parser: plain HTTP on the LAN.
  if (const auto api = config::SplitListen(c.listen);
      api && c.api_tls_cert.empty() && api->first != "::1" && api->first.rfind("127.", 0) != 0) {
    out.push_back(
        {line_of("api.listen"), "api.listen \"" + c.listen +
                                    "\" is off loopback without TLS: the agent refuses to start "
                                    "(set api.tls_cert and api.tls_key)"});
  }
  if (auto cert = readable("api.tls_cert", c.api_tls_cert);
      cert && cert->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    out.push_back(
        {line_of("api.tls_cert"), "api.tls_cert: " + c.api_tls_cert + " holds no PEM certificate"});
  }
  if (auto key = readable("api.tls_key", c.api_tls_key);
      key && !crypto::SigningKey::FromPem(*key)) {
    out.push_back(
        {line_of("api.tls_key"), "api.tls_key: " + c.api_tls_key + " is not a P-256 private key"});
  }
}

}  // namespace

ProvisionCommands::ProvisionCommands(CLI::App& app, Options& options) : options_(options) {
  auto* config = app.add_subcommand("config", "Config files, offline");
  auto* check = AddCommand(
      config, "check",
      "Check a config file as the agent would at start, plus the files it names (keys, "
      "certificates, catalog): every problem with FILE:LINE and a hint. Exit 3 when invalid.",
      [this] { return ConfigCheck(); });
  check->add_option("FILE", config_file_, "The TOML config")->required();
  check->add_flag("--json", options_.json,
                  "Print {\"valid\",\"problems\":[{\"file\",\"line\",\"message\",\"hint\"}]}");

  auto* provision = AddCommand(
      &app, "provision",
      "Make a store box's provisioning bundle: its role's profile with the ids, cloud and keys "
      "filled in, a new device key pair and LAN TLS certificate, a new cloud sync key, the keys "
      "it trusts; signed with the brand's provisioning key. The bundle holds private keys: it "
      "is written 0600.",
      [this] { return Provision(); });
  provision->add_option("--store", store_, "The store's id");
  provision->add_option("--device", device_, "The device's id");
  provision->add_option("--role", role_, "pos-terminal, shelf-scanner or store-box");
  provision->add_option("--brand-key", brand_key_, "The brand's provisioning private key (PEM)");
  provision->add_option("--out", out_, "Where the bundle goes");
  provision->add_option("--cloud", cloud_, "The cloud's URL (default: none, offline)");
  provision->add_option("--cloud-ca", cloud_ca_, "A CA certificate (PEM) for the cloud's TLS");
  provision->add_option("--cloud-pin", cloud_pin_, "The cloud's key pin, sha256//BASE64");
  provision->add_option(
      "--label-key", label_keys_,
      "A brand label public key (PEM) the device trusts; repeatable (default: the "
      "provisioning key's public half)");
  provision->add_option("--member-key", member_keys_,
                        "A member-service public key (PEM); repeatable");
  provision->add_option("--phone-key", phone_key_,
                        "The brand's phone-hash key file (secret, 16+ bytes), shared with its "
                        "CRM: one phone typed at two stores is one member (default: the device "
                        "makes its own)");
  provision->add_option("--tls-days", tls_days_, "How long the LAN TLS certificate is valid")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  provision->add_flag("--force", force_, "Replace --out if it exists");
  provision->add_flag("--json", options_.json, "Print a JSON summary");
  auto* verify =
      AddCommand(provision, "verify",
                 "Check a bundle's signature with the brand's provisioning key. Exit 0 when it "
                 "verifies, 3 with the reason when not.",
                 [this] { return Verify(); });
  verify->add_option("BUNDLE", bundle_, "The bundle file")->required();
  verify->add_option("--brand-key", brand_key_, "The provisioning public key (PEM)")->required();
  verify->add_flag("--json", options_.json, "Print a JSON summary");

  auto* flash = AddCommand(
      &app, "flash",
      "Write a verified bundle into a root filesystem for an image build: the config and "
      "keys in etc/store-agent (keys 0600, owned by the image's store-agent user when it "
      "has one), the systemd unit enabled, the udev rules.",
      [this] { return Flash(); });
  flash->add_option("--bundle", bundle_, "The bundle file")->required();
  flash->add_option("--rootfs", rootfs_, "The root filesystem directory")->required();
  flash->add_option("--brand-key", brand_key_, "The provisioning public key (PEM)")->required();
  flash->add_flag("--json", options_.json, "Print a JSON summary");
}

int ProvisionCommands::ConfigCheck() const {
  std::vector<Finding> found;
  config::KeyLines lines;
  auto parsed = config::LoadFile(config_file_, &lines);
  if (!parsed) {
    // One "FILE:LINE: text" (or "FILE: text") per problem.
    const std::string& m = parsed.error().message;
    std::size_t at = 0;
    while (at < m.size()) {
      const std::size_t end = std::min(m.find('\n', at), m.size());
      std::string one = m.substr(at, end - at);
      at = end + 1;
      Finding f;
      if (one.rfind(config_file_ + ":", 0) == 0) {
        one.erase(0, config_file_.size() + 1);
        const std::size_t colon = one.find(':');
        if (colon != std::string::npos && colon > 0 &&
            one.find_first_not_of("0123456789") == colon) {
          f.line = static_cast<std::uint32_t>(std::stoul(one.substr(0, colon)));
          one.erase(0, colon + 1);
        }
        while (!one.empty() && one.front() == ' ') one.erase(0, 1);
      }
      f.message = one;
      found.push_back(std::move(f));
    }
  } else {
    CheckFiles(*parsed, lines, found);
  }
  if (options_.json) {
    json problems = json::array();
    for (const auto& f : found) {
      problems.push_back({{"file", config_file_},
                          {"line", f.line == 0 ? json(nullptr) : json(f.line)},
                          {"message", f.message},
                          {"hint", HintFor(f.message)}});
    }
    std::cout << json{{"valid", found.empty()}, {"problems", problems}}.dump(
                     -1, ' ', false, json::error_handler_t::replace)
              << "\n";
  } else if (found.empty()) {
    std::cout << config_file_ << ": ok\n";
  } else {
    for (const auto& f : found) {
      std::cerr << config_file_ << (f.line ? ":" + std::to_string(f.line) : std::string()) << ": "
                << f.message << "\n  hint: " << HintFor(f.message) << "\n";
    }
    std::cerr << found.size() << " problem" << (found.size() == 1 ? "" : "s") << " in "
              << config_file_ << "\n";
  }
  return found.empty() ? kExitOk : kExitRejected;
}

int ProvisionCommands::Provision() const {
  for (const auto& [name, value] :
       {std::pair{"--store", &store_}, std::pair{"--device", &device_}, std::pair{"--role", &role_},
        std::pair{"--brand-key", &brand_key_}, std::pair{"--out", &out_}}) {
    if (value->empty()) {
      return Fail(options_, kExitUsage,
                  MakeError(ErrorKind::invalid_request, "missing_option",
                            std::string(name) + " is required (see --help)"));
    }
  }
  const auto key_pem = ReadWholeFile(brand_key_);
  if (!key_pem)
    return Fail(options_, kExitRejected, Rejected("cannot_read", brand_key_ + ": cannot read"));
  auto key = crypto::SigningKey::FromPem(*key_pem);
  if (!key) {
    return Fail(
        options_, kExitRejected,
        Rejected("invalid_key", "--brand-key " + brand_key_ + ": not a P-256 private key (PEM)"));
  }
  firmware::ProvisionRequest r;
  r.store_id = store_;
  r.device_id = device_;
  r.role = role_;
  r.cloud_url = cloud_;
  r.cloud_pin = cloud_pin_;
  r.tls_days = tls_days_;
  auto read_all = [&](const std::vector<std::string>& paths,
                      std::vector<std::string>& out) -> Expected<void> {
    for (const auto& p : paths) {
      auto text = ReadWholeFile(p);
      if (!text) return Rejected("cannot_read", p + ": cannot read");
      out.push_back(std::move(*text));
    }
    return {};
  };
  if (auto ok = read_all(label_keys_, r.label_key_pems); !ok)
    return Fail(options_, kExitRejected, ok.error());
  if (auto ok = read_all(member_keys_, r.member_key_pems); !ok)
    return Fail(options_, kExitRejected, ok.error());
  if (!phone_key_.empty()) {
    auto phone_key = ReadWholeFile(phone_key_);
    if (!phone_key)
      return Fail(options_, kExitRejected, Rejected("cannot_read", phone_key_ + ": cannot read"));
    r.phone_hash_key = *phone_key;
  }
  if (!cloud_ca_.empty()) {
    auto ca = ReadWholeFile(cloud_ca_);
    if (!ca)
      return Fail(options_, kExitRejected, Rejected("cannot_read", cloud_ca_ + ": cannot read"));
    r.cloud_ca_pem = *ca;
  }
  auto bundle = firmware::Provision(r, *key, SystemClock().now_ms());
  if (!bundle) return Fail(options_, kExitRejected, bundle.error());
  const std::string bytes = firmware::SignBundle(*bundle, *key);

  // The bundle holds this device's private keys: never over another one's
  // unless asked, and never half written.
  struct stat st {};
  if (!force_ && ::lstat(out_.c_str(), &st) == 0) {
    return Fail(options_, kExitRejected,
                Rejected("exists", out_ + ": exists (use --force to replace it)"));
  }
  if (auto written = WriteFileAtomic(out_, bytes, 0600); !written) {
    return Fail(options_, kExitUnreachable, Rejected("cannot_write", written.error().message));
  }

  const auto pub = crypto::VerifyKey::FromPem(bundle->Find("device.pub.pem")->content);
  const std::string fingerprint = pub ? pub->Fingerprint() : std::string();
  if (options_.json) {
    json files = json::array();
    for (const auto& f : bundle->files) files.push_back(f.path);
    std::cout << json{{"bundle", out_},       {"store_id", store_},
                      {"device_id", device_}, {"role", role_},
                      {"files", files},       {"device_key_sha256", fingerprint},
                      {"bytes", bytes.size()}}
                     .dump()
              << "\n";
  } else {
    std::cout << "bundle " << out_ << " (" << bytes.size() << " bytes, 0600): store " << store_
              << ", device " << device_ << ", role " << role_ << "\n  device key sha256 "
              << fingerprint << "\n  files:";
    for (const auto& f : bundle->files) std::cout << " " << f.path;
    std::cout << "\n";
  }
  return kExitOk;
}

int ProvisionCommands::Verify() const {
  auto bundle = ReadBundle(bundle_, brand_key_);
  if (!bundle) return Fail(options_, kExitRejected, bundle.error());
  if (options_.json) {
    std::cout << json{{"valid", true},
                      {"store_id", bundle->store_id},
                      {"device_id", bundle->device_id},
                      {"role", bundle->role},
                      {"created_at_ms", bundle->created_at_ms},
                      {"files", bundle->files.size()}}
                     .dump()
              << "\n";
  } else {
    std::cout << bundle_ << ": ok, signed by the provisioning key: store " << bundle->store_id
              << ", device " << bundle->device_id << ", role " << bundle->role << ", "
              << bundle->files.size() << " files\n";
  }
  return kExitOk;
}

int ProvisionCommands::Flash() const {
  auto bundle = ReadBundle(bundle_, brand_key_);
  if (!bundle) return Fail(options_, kExitRejected, bundle.error());
  auto report = firmware::Flash(*bundle, rootfs_);
  if (!report) {
    return Fail(
        options_,
        report.error().kind == ErrorKind::invalid_request ? kExitRejected : kExitUnreachable,
        report.error());
  }
  if (options_.json) {
    std::cout << json{{"rootfs", rootfs_},
                      {"written", report->written},
                      {"owner_set", report->owner_set}}
                     .dump()
              << "\n";
  } else {
    std::cout << "flashed " << bundle->device_id << " into " << rootfs_ << ":\n";
    for (const auto& w : report->written) std::cout << "  " << w << "\n";
    if (!report->owner_set) {
      std::cout
          << "note: the rootfs has no store-agent user yet; etc/store-agent stays root's until the "
             "package's postinst (or your image build) gives it to store-agent\n";
    }
  }
  return kExitOk;
}

}  // namespace sa::storectl
