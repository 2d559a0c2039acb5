// SPDX-License-Identifier: Apache-2.0
// store-agent: the in-store daemon. main() reads as the agent starts: the
// command line, the config (or a verified provisioning bundle), the data
// dir and its ledger, the store's config and opening stock, the API's and
// sync's options; then the Agent runs on its loop until a signal.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include "agent.hpp"
#include "codes.hpp"
#include "epcis.hpp"
#include "firmware_cfg.hpp"

namespace {

namespace fs = std::filesystem;
using namespace sa;

constexpr const char* kVersion = SA_VERSION;  // project(VERSION) in CMakeLists.txt
constexpr const char* kDemoDataDir = "store-agent-demo-data";
constexpr const char* kDataDir = "/var/lib/store-agent";
constexpr const char* kProvisioningKey = "/etc/store-agent/provisioning.pub.pem";
constexpr std::size_t kMaxBundleBytes = 4u << 20;

struct Flags {
  std::string config_path, data_dir, listen, log_level, cloud_url, web_root;
  std::string bundle_path, bundle_key_path = kProvisioningKey;
  bool demo = false;
};

int Die(const std::string& what) {
  std::cerr << "store-agent: " << what << "\n";
  return 1;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The command line. Something to exit with when the flags answer by
// themselves (--help, --version, --print-config) or are wrong.
std::optional<int> ParseFlags(int argc, char** argv, Flags& f) {
  CLI::App app{
      "store-agent: the in-store agent for one-item-one-code retail.\n"
      "Reads labels, records sales in a durable local ledger and serves the local API.\n"
      "Try: store-agent --demo"};
  bool print_config = false;
  app.add_option("--config", f.config_path, "TOML config file (see --print-config for every key)");
  app.add_option("--data-dir", f.data_dir,
                 "Data directory: ledger, API token, keys (default /var/lib/store-agent; "
                 "./store-agent-demo-data with --demo)");
  app.add_option("--listen", f.listen,
                 "API address HOST:PORT (default 127.0.0.1:8787; port 0 = any)");
  app.add_flag("--demo", f.demo,
               "A demo store: demo catalog and opening stock, demo brand and member keys made in "
               "the data dir, "
               "and a virtual scanner on a local TCP port. Needs no config and no cloud.");
  app.add_option("--cloud", f.cloud_url,
                 "The cloud's base URL (overrides cloud.url), e.g. the demo's oms-sim at "
                 "http://127.0.0.1:8788");
  app.add_option("--log-level", f.log_level,
                 "debug, info, warn or error (default from config: info)");
  app.add_option(
         "--bundle", f.bundle_path,
         "Start from a provisioning bundle (storectl provision): verified with --bundle-key, "
         "unpacked into {data-dir}/provisioned/ and its agent.toml used as the config. "
         "A bundle that does not verify stops the agent.")
      ->excludes("--config");
  app.add_option("--bundle-key", f.bundle_key_path,
                 "The brand's provisioning public key (PEM) a bundle must be signed with")
      ->capture_default_str();
  app.add_option("--web-root", f.web_root,
                 "Serve the screens (/, /store, /ui/...) from this folder, laid out like "
                 "agent/web/assets/, "
                 "instead of the copy built into the binary (for UI work)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--print-config", print_config, "Print the embedded default config and exit");
  app.set_version_flag("--version", std::string("store-agent ") + kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (print_config) {
    std::cout << config::EmbeddedDefaults();
    return 0;
  }
  if (f.data_dir.empty()) f.data_dir = f.demo ? kDemoDataDir : kDataDir;
  return std::nullopt;
}

// Verifies the bundle with the provisioning key and unpacks it into
// {data_dir}/provisioned/; the path of its agent.toml.
Expected<std::string> UnpackVerifiedBundle(const Flags& f) {
  const auto bytes = ReadFile(f.bundle_path);
  if (!bytes) return MakeError(ErrorKind::invalid_request, "cannot_read", "cannot read the bundle");
  if (bytes->size() > kMaxBundleBytes) {
    return MakeError(ErrorKind::invalid_request, "bundle_too_large", "over 4 MiB: not a bundle");
  }
  auto key = crypto::VerifyKey::LoadFile(f.bundle_key_path);
  if (!key) return key.error().WithContext("--bundle-key " + f.bundle_key_path);
  auto bundle = firmware::VerifyBundle(*bytes, *key);
  if (!bundle) return bundle.error();
  if (!bundle->Find("agent.toml")) {
    return MakeError(ErrorKind::refused, "bundle_malformed", "the bundle has no agent.toml");
  }
  ::mkdir(f.data_dir.c_str(), 0750);
  const std::string dir = f.data_dir + "/provisioned";
  if (auto ok = firmware::UnpackBundle(*bundle, dir); !ok) return ok.error();
  return dir + "/agent.toml";
}

// The config: the file (or the bundle's), then the command line's
// overrides. A flag's error is bad_flag; the file's are its own.
Expected<config::Config> LoadConfig(Flags& f) {
  auto invalid = [](std::string what) {
    return MakeError(ErrorKind::invalid_request, "bad_flag", std::move(what));
  };
  if (!f.bundle_path.empty()) {
    auto where = UnpackVerifiedBundle(f);
    if (!where) return invalid("--bundle " + f.bundle_path + ": " + where.error().message);
    f.config_path = *where;
  }
  config::Config cfg;
  if (!f.config_path.empty()) {
    auto loaded = config::LoadFile(f.config_path);
    if (!loaded) return loaded.error();  // file:line messages, as they are
    cfg = std::move(loaded).value();
  }
  if (!f.listen.empty()) cfg.listen = f.listen;
  if (!f.cloud_url.empty()) cfg.cloud_url = f.cloud_url;
  if (!config::SplitListen(cfg.listen))
    return invalid("--listen " + cfg.listen + ": expected HOST:PORT, e.g. 127.0.0.1:8787");
  if (!f.log_level.empty()) cfg.log_level = f.log_level;
  if (!daemon::ParseLevel(cfg.log_level))
    return invalid("--log-level must be debug, info, warn or error");
  if (f.demo && cfg.virtual_scanner_listen.empty()) cfg.virtual_scanner_listen = "127.0.0.1:0";
  return cfg;
}

// The demo's brand, member-service and coupon (CRM) key pairs, made once per
// data dir.
Expected<void> DemoKeys(daemon::DataDir& dir, store::Config& sc) {
  ::mkdir(dir.File("demo").c_str(), 0700);
  for (const char* who : {"brand", "member", "coupon"}) {
    const std::string key_name = std::string("demo/") + who + ".key.pem";
    std::optional<std::string> pem = ReadFile(dir.File(key_name));
    if (!pem) {
      const auto key = crypto::SigningKey::Generate();
      if (auto ok = dir.WriteFile(key_name, key.PrivatePem(), 0600); !ok) return ok.error();
      if (auto ok = dir.WriteFile(std::string("demo/") + who + ".pub.pem", key.PublicPem(), 0644);
          !ok) {
        return ok.error();
      }
      pem = key.PrivatePem();
    }
    auto key = crypto::SigningKey::FromPem(*pem);
    if (!key) return key.error().WithContext(dir.File(key_name));
    const std::string_view w = who;
    (w == "brand"    ? sc.brand_keys
     : w == "member" ? sc.member_keys
                     : sc.coupon_keys)
        .Add(key->Public());
  }
  return {};
}

// The store's own config: ids, keys (configured or the demo's), the
// phone-hash key, the region and the diversion rule.
Expected<store::Config> StoreConfig(const config::Config& cfg, daemon::DataDir& dir, bool demo) {
  store::Config sc;
  sc.store_id = cfg.store_id;
  sc.device_id = cfg.device_id;
  sc.currency = cfg.currency;
  sc.require_signature = cfg.require_signature;
  sc.member_code_window_s = cfg.member_code_window_s;
  sc.region = cfg.region;
  sc.case_max_units = cfg.case_max_units;
  sc.retention_days = cfg.retention_days;
  sc.utc_offset_min = epcis::UtcOffsetMinutes(cfg.utc_offset).value_or(0);
  sc.refuse_diverted = cfg.on_diverted == "refuse";
  auto brand = crypto::KeyRing::LoadFiles(cfg.brand_keys);
  if (!brand) return brand.error().WithContext("codes.brand_keys");
  sc.brand_keys = std::move(brand).value();
  auto members = crypto::KeyRing::LoadFiles(cfg.member_keys);
  if (!members) return members.error().WithContext("members.service_keys");
  sc.member_keys = std::move(members).value();
  auto coupons = crypto::KeyRing::LoadFiles(cfg.coupon_keys);
  if (!coupons) return coupons.error().WithContext("coupons.keys");
  sc.coupon_keys = std::move(coupons).value();
  sc.coupon_offline_cap = cfg.coupon_offline_cap;
  for (const auto& p : cfg.brand_patterns) {
    sc.parse.brand_patterns.push_back(codes::BrandPattern::Compile(p).value());  // validated
  }
  for (const auto& l : cfg.rcn_layouts) {
    sc.parse.rcn_layouts.push_back(codes::ParseRcnLayout(l).value());  // validated
  }
  if (auto problem = codes::RcnLayoutsProblem(sc.parse.rcn_layouts); !problem.empty()) {
    return MakeError(ErrorKind::invalid_request, "config_invalid",
                     "codes.scale_layouts: " + problem);
  }
  if (!cfg.phone_hash_key_file.empty()) {
    auto key = ReadFile(cfg.phone_hash_key_file);
    if (!key || key->size() < 16) {
      return MakeError(ErrorKind::invalid_request, "config_invalid",
                       "members.phone_hash_key_file: cannot read a key of 16+ bytes from " +
                           cfg.phone_hash_key_file);
    }
    sc.phone_hash_key.assign(key->begin(), key->end());
  } else {
    auto key = dir.SecretKey("phone-hash.key", 32);
    if (!key) return key.error();
    sc.phone_hash_key = *key;
  }
  if (demo) {
    if (auto ok = DemoKeys(dir, sc); !ok) return ok.error();
    sc.require_signature = true;
  }
  return sc;
}

// The catalog (catalog.import) and, for the demo, the demo store's catalog
// and opening stock.
Expected<void> StockTheStore(ledger::Database& db, const store::Config& sc,
                             const config::Config& cfg, bool demo, const daemon::Log& log,
                             const Clock& clock) {
  store::Store store(db, sc, clock);
  if (demo) {
    if (auto ok = store::OpenDemoStore(store); !ok) return ok.error();
  }
  if (cfg.catalog_import.empty()) return {};
  auto csv = ReadFile(cfg.catalog_import);
  if (!csv)
    return MakeError(ErrorKind::invalid_request, "config_invalid",
                     "catalog.import: cannot read " + cfg.catalog_import);
  auto ok = store.books.ImportCatalogCsv(*csv);
  if (!ok) return ok.error().WithContext("catalog.import " + cfg.catalog_import);
  log.Info("catalog imported", {{"rows", std::to_string(ok->rows)}});
  return {};
}

// 127.0.0.0/8 or ::1: the API may speak plain HTTP there.
bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// The CERTIFICATE blocks of a PEM text, nothing else: api.tls_cert may be a
// file that holds the private key too, and its copy is world-readable.
std::string CertificatesOnly(const std::string& pem) {
  static const std::string kBegin = "-----BEGIN CERTIFICATE-----",
                           kEnd = "-----END CERTIFICATE-----";
  std::string out;
  for (std::size_t at = pem.find(kBegin); at != std::string::npos; at = pem.find(kBegin, at)) {
    const std::size_t end = pem.find(kEnd, at);
    if (end == std::string::npos) break;
    out += pem.substr(at, end + kEnd.size() - at) + "\n";
    at = end + kEnd.size();
  }
  return out;
}

// The API's options. HTTPS (api.tls_cert + api.tls_key) is required off
// loopback, since every request carries a bearer token; storectl trusts
// {data-dir}/api-cert.pem.
Expected<api::Options> ApiOptions(const config::Config& cfg, daemon::DataDir& dir, const Flags& f,
                                  const crypto::Bytes& device_key) {
  auto invalid = [](std::string what) {
    return MakeError(ErrorKind::invalid_request, "config_invalid", std::move(what));
  };
  const auto address = config::SplitListen(cfg.listen);
  api::Options o;
  o.host = address->first;
  o.port = address->second;
  o.max_body_bytes = static_cast<std::size_t>(cfg.max_body_bytes);
  o.version = kVersion;
  o.web_root = f.web_root;
  o.shop.name = f.demo ? "Demo Store" : cfg.store_id;
  o.shop.store_id = cfg.store_id;
  o.shop.device_id = cfg.device_id;
  // Both checked by the config: receipts and reports in the store's
  // language and on its clock.
  o.locale = i18n::ParseLocale(cfg.locale).value_or(i18n::Locale::en);
  o.utc_offset_min = epcis::UtcOffsetMinutes(cfg.utc_offset).value_or(0);
  o.claim_key = receipt::ClaimKey(device_key);
  o.claim_url = cfg.claim_url;
  if (!cfg.api_tls_cert.empty() && !cfg.api_tls_key.empty()) {
    auto cert = ReadFile(cfg.api_tls_cert);
    if (!cert || cert->empty()) return invalid("api.tls_cert: cannot read " + cfg.api_tls_cert);
    auto key = ReadFile(cfg.api_tls_key);
    if (!key || key->empty()) return invalid("api.tls_key: cannot read " + cfg.api_tls_key);
    o.tls_cert_pem = std::move(*cert);
    o.tls_key_pem = std::move(*key);
  }
  if (o.tls_cert_pem.empty() && !IsLoopback(o.host)) {
    return invalid("api.listen " + cfg.listen +
                   " is off loopback: set api.tls_cert and api.tls_key " +
                   "(the API token must not cross the LAN in clear)");
  }
  if (!o.tls_cert_pem.empty()) {
    if (auto ok = dir.WriteFile("api-cert.pem", CertificatesOnly(o.tls_cert_pem), 0644); !ok)
      return ok.error();
  } else if (std::error_code ec; !fs::remove(dir.File("api-cert.pem"), ec) && ec) {
    return invalid(dir.File("api-cert.pem") + ": cannot remove the stale certificate (" +
                   ec.message() + ")");
  }
  return o;
}

// The device key: what signs the device's sync requests and, through
// receipt::ClaimKey, its receipts' claim tokens (the cloud holds it, so it
// can verify both). cloud.device_key_file when provisioned, else
// {data-dir}/sync.key made at first start (with or without a cloud, so the
// receipts of a store that connects later can still be claimed).
Expected<crypto::Bytes> DeviceKey(const config::Config& cfg, daemon::DataDir& dir) {
  // 64 hex digits (32 bytes); a trailing newline is fine.
  auto device_key = [](std::string text) -> std::optional<crypto::Bytes> {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto key = crypto::FromHex(text);
    if (!key || key->size() != sync::kDeviceKeyBytes) return std::nullopt;
    return key;
  };
  if (!cfg.cloud_device_key_file.empty()) {
    std::optional<crypto::Bytes> key;
    if (auto text = ReadFile(cfg.cloud_device_key_file)) key = device_key(*text);
    if (!key) {
      return MakeError(ErrorKind::invalid_request, "config_invalid",
                       "cloud.device_key_file: expected 64 hex digits (32 bytes) in " +
                           cfg.cloud_device_key_file);
    }
    return *key;
  }
  auto secret = dir.SecretKey("sync.key", sync::kDeviceKeyBytes);
  if (!secret) return secret.error();
  auto key = device_key(std::string(secret->begin(), secret->end()));
  if (!key) {
    return MakeError(ErrorKind::invalid_request, "config_invalid",
                     dir.File("sync.key") + ": not 64 hex digits; move it aside to make a new one");
  }
  return *key;
}

// Sync's options; with a cloud, the device key that signs its requests.
sync::ClientOptions SyncOptions(const config::Config& cfg, const crypto::Bytes& device_key) {
  sync::ClientOptions so;
  so.cloud_url = cfg.cloud_url;
  so.store_id = cfg.store_id;
  so.device_id = cfg.device_id;
  so.agent_version = kVersion;
  so.ca_file = cfg.cloud_ca_file;
  so.pinned_pubkey = cfg.cloud_pinned_pubkey;
  so.interval = std::chrono::seconds(cfg.sync_interval_s);
  so.backoff_max = std::chrono::seconds(cfg.sync_backoff_max_s);
  so.batch_size = static_cast<std::size_t>(cfg.sync_batch_size);
  if (!cfg.cloud_url.empty()) so.device_key = device_key;
  return so;
}

// The ledger's deferred check, on a thread of its own beside the till. When
// it passes, a clean stop marks the ledger again; when it finds damage, the
// agent stops (SIGTERM: queued work is answered, nothing more is taken) and
// the next start refuses the file until it is restored. Stopped (and
// joined) when main returns.
class BackgroundCheck {
 public:
  BackgroundCheck(ledger::Database& db, const daemon::Log& log) {
    if (!db.check_deferred()) return;
    thread_ = std::thread([&db, &log, this] {
      const auto start = std::chrono::steady_clock::now();
      auto checked = ledger::Database::Check(db.path(), &stop_);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      if (checked) {
        db.CheckPassed();
        log.Info("ledger checked beside the till (PRAGMA quick_check): ok",
                 {{"check_ms", std::to_string(ms.count())}});
      } else if (checked.error().code == "ledger_unavailable") {
        // Not damage: the next start checks again (no clean-close mark).
        log.Warn("ledger check could not run", {{"reason", checked.error().message}});
      } else if (checked.error().code != "check_stopped") {
        log.Error("ledger failed its integrity check: stopping",
                  {{"code", checked.error().code}, {"reason", checked.error().message}});
        failed_ = true;
        ::kill(::getpid(), SIGTERM);
      }
    });
  }
  ~BackgroundCheck() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  BackgroundCheck(const BackgroundCheck&) = delete;
  BackgroundCheck& operator=(const BackgroundCheck&) = delete;
  // It found the ledger damaged (and stopped the agent).
  bool failed() const { return failed_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (auto exit = ParseFlags(argc, argv, flags)) return *exit;
  ::signal(SIGPIPE, SIG_IGN);

  auto cfg = LoadConfig(flags);
  if (!cfg && cfg.error().code == "bad_flag") return Die(cfg.error().message);
  if (!cfg) {
    std::cerr << cfg.error().message << "\n";  // the config's own file:line messages
    return 1;
  }
  daemon::Log log(*daemon::ParseLevel(cfg->log_level));

  auto dir = daemon::DataDir::Open(flags.data_dir);
  if (!dir) return Die(dir.error().message);
  auto token = dir->Token();
  if (!token) return Die(token.error().message);
  // The ledger's whole-file check runs only after an unclean stop (a crash,
  // kill -9, a power cut) or a change by another program, and then beside
  // the till, not before it: a start is ready in constant time (README
  // "Starting").
  ledger::Database::Options ledger_options;
  ledger_options.trust_clean_close = true;
  ledger_options.defer_check = true;
  const auto opening = std::chrono::steady_clock::now();
  auto db = ledger::Database::Open(dir->File("ledger.db"), ledger_options);
  if (!db) return Die(db.error().message);
  const auto open_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opening);
  log.Info((*db)->closed_cleanly()    ? "ledger closed cleanly last time: not checked again"
           : (*db)->check_deferred()  ? "ledger not closed cleanly: checking it beside the till"
           : (*db)->checked_at_open() ? "ledger checked (PRAGMA quick_check): ok"
                                      : "new ledger",
           {{"open_ms", std::to_string(open_ms.count())}});
  const BackgroundCheck check(**db, log);

  const SystemClock clock;
  auto store_config = StoreConfig(*cfg, *dir, flags.demo);
  if (!store_config) return Die(store_config.error().message);
  if (auto ok = StockTheStore(**db, *store_config, *cfg, flags.demo, log, clock); !ok)
    return Die(ok.error().message);
  auto device_key = DeviceKey(*cfg, *dir);
  if (!device_key) return Die(device_key.error().message);
  auto api_options = ApiOptions(*cfg, *dir, flags, *device_key);
  if (!api_options) return Die(api_options.error().message);

  auto agent = agent::Agent::Make(
      agent::Setup{*cfg, *dir, **db, *store_config, std::move(api_options).value(),
                   SyncOptions(*cfg, *device_key), *token, flags.demo, kVersion},
      log, clock);
  if (!agent) return Die(agent.error().message);
  const int status = (*agent)->Run();
  return check.failed() ? 1 : status;  // stopped for a damaged ledger: not a clean exit
}
