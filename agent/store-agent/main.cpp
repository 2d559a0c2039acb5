// SPDX-License-Identifier: Apache-2.0
// store-agent: the in-store daemon. Wires config, the data dir, the ledger,
// the writer, the HTTP API and the scanners onto one io_context.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "api.hpp"
#include "codes.hpp"
#include "config.hpp"
#include "daemon.hpp"
#include "firmware_cfg.hpp"
#include "hardware.hpp"
#include "ledger.hpp"
#include "store.hpp"
#include "sync.hpp"

namespace {

namespace fs = std::filesystem;
constexpr const char* kVersion = SA_VERSION;  // project(VERSION) in CMakeLists.txt
constexpr const char* kDemoDataDir = "store-agent-demo-data";
constexpr const char* kDemoScarf = "06950123450005";
constexpr auto kExpirySweep = std::chrono::seconds(5);  // reservations past their TTL
constexpr const char* kProvisioningKey = "/etc/store-agent/provisioning.pub.pem";
constexpr std::size_t kMaxBundleBytes = 4u << 20;

int Die(const std::string& what) {
  std::cerr << "store-agent: " << what << "\n";
  return 1;
}

// The CERTIFICATE blocks of a PEM text, nothing else: api.tls_cert may be a
// file that holds the private key too, and its copy is world-readable.
std::string CertificatesOnly(const std::string& pem) {
  static const std::string kBegin = "-----BEGIN CERTIFICATE-----", kEnd = "-----END CERTIFICATE-----";
  std::string out;
  for (std::size_t at = pem.find(kBegin); at != std::string::npos; at = pem.find(kBegin, at)) {
    const std::size_t end = pem.find(kEnd, at);
    if (end == std::string::npos) break;
    out += pem.substr(at, end + kEnd.size() - at) + "\n";
    at = end + kEnd.size();
  }
  return out;
}

// 127.0.0.0/8 or ::1: the API may speak plain HTTP there.
bool IsLoopback(const std::string& host) {
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The demo's brand and member-service key pairs, made once per data dir.
sa::Expected<void> DemoKeys(sa::daemon::DataDir& dir, sa::store::Config& sc) {
  ::mkdir(dir.File("demo").c_str(), 0700);
  for (const char* who : {"brand", "member"}) {
    const std::string key_name = std::string("demo/") + who + ".key.pem";
    std::optional<std::string> pem = ReadFile(dir.File(key_name));
    if (!pem) {
      const auto key = sa::crypto::SigningKey::Generate();
      if (auto ok = dir.WriteFile(key_name, key.PrivatePem(), 0600); !ok) return ok.error();
      if (auto ok = dir.WriteFile(std::string("demo/") + who + ".pub.pem", key.PublicPem(), 0644);
          !ok) {
        return ok.error();
      }
      pem = key.PrivatePem();
    }
    auto key = sa::crypto::SigningKey::FromPem(*pem);
    if (!key) return key.error().WithContext(dir.File(key_name));
    (std::string(who) == "brand" ? sc.brand_keys : sc.member_keys).Add(key->Public());
  }
  return {};
}

// A device key file: 64 hex digits (32 bytes), as the data dir's secret
// files are written; a trailing newline is fine.
std::optional<sa::crypto::Bytes> DeviceKey(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() != 2 * sa::sync::kDeviceKeyBytes) return std::nullopt;
  sa::crypto::Bytes key;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const auto hi = std::string("0123456789abcdef").find(static_cast<char>(std::tolower(text[i])));
    const auto lo = std::string("0123456789abcdef").find(static_cast<char>(std::tolower(text[i + 1])));
    if (hi == std::string::npos || lo == std::string::npos) return std::nullopt;
    key.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return key;
}

// Sync's writes (acknowledgements, pulled pages) on the daemon's writer:
// they ride its group commits, so the cloud never holds the ledger's write
// lock against a sale. Relaxed durability is enough: an acknowledgement or a
// page lost to a power cut is simply fetched or acknowledged again (push is
// idempotent, pull re-reads from the cursor that was lost with it).
class WriterPort final : public sa::sync::LedgerPort {
 public:
  explicit WriterPort(sa::daemon::Writer& writer) : writer_(writer) {}

  sa::Expected<void> Write(std::function<sa::Expected<void>(sa::store::Store&)> work) override {
    auto failure = std::make_shared<std::optional<sa::Error>>();
    std::promise<sa::daemon::Reply> answered;
    auto answer = answered.get_future();
    sa::daemon::Job job;
    job.durability = sa::ledger::Durability::relaxed;
    job.reply_off_loop = true;
    job.work = [&work, failure](sa::store::Store& s) {
      auto done = work(s);
      if (!done) {
        *failure = done.error();
        throw sa::ledger::Failure(done.error());  // rolls this job's savepoint back
      }
      return sa::daemon::Reply{200, {}};
    };
    job.done = [&answered](sa::daemon::Reply r) { answered.set_value(std::move(r)); };
    writer_.Submit(std::move(job));
    const sa::daemon::Reply reply = answer.get();
    if (reply.status == 200) return {};
    if (*failure) return **failure;
    return sa::MakeError(sa::ErrorKind::storage, "ledger_write_failed", reply.body);
  }

 private:
  sa::daemon::Writer& writer_;
};

std::string SyncStatusJson(const sa::sync::Status& st) {
  auto at = [](const std::optional<std::int64_t>& ms) {
    return ms ? nlohmann::json(sa::FormatTimestamp(*ms)) : nlohmann::json(nullptr);
  };
  return nlohmann::json{{"enabled", st.enabled},
                        {"online", st.online},
                        {"registered", st.registered},
                        {"last_push_at", at(st.last_push_at_ms)},
                        {"last_pull_at", at(st.last_pull_at_ms)},
                        {"last_error", st.last_error},
                        {"clock_offset_ms", st.clock_offset_ms},
                        {"pushed_events", st.pushed_events},
                        {"pulled_changes", st.pulled_changes},
                        {"failures", st.failures}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Verifies the bundle with the provisioning key and unpacks it into
// {data_dir}/provisioned/; the path of its agent.toml.
sa::Expected<std::string> UnpackVerifiedBundle(const std::string& bundle_path, const std::string& key_path,
                                               const std::string& data_dir) {
  const auto bytes = ReadFile(bundle_path);
  if (!bytes) return sa::MakeError(sa::ErrorKind::invalid_request, "cannot_read", "cannot read the bundle");
  if (bytes->size() > kMaxBundleBytes) {
    return sa::MakeError(sa::ErrorKind::invalid_request, "bundle_too_large", "over 4 MiB: not a bundle");
  }
  auto key = sa::crypto::VerifyKey::LoadFile(key_path);
  if (!key) return key.error().WithContext("--bundle-key " + key_path);
  auto bundle = sa::firmware::VerifyBundle(*bytes, *key);
  if (!bundle) return bundle.error();
  if (!bundle->Find("agent.toml")) {
    return sa::MakeError(sa::ErrorKind::refused, "bundle_malformed", "the bundle has no agent.toml");
  }
  ::mkdir(data_dir.c_str(), 0750);
  const std::string dir = data_dir + "/provisioned";
  if (auto ok = sa::firmware::UnpackBundle(*bundle, dir); !ok) return ok.error();
  return dir + "/agent.toml";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"store-agent: the in-store agent for one-item-one-code retail.\n"
               "Reads labels, records sales in a durable local ledger and serves the local API.\n"
               "Try: store-agent --demo"};
  std::string config_path, data_dir, listen, log_level;
  bool demo = false, print_config = false;
  app.add_option("--config", config_path, "TOML config file (see --print-config for every key)");
  app.add_option("--data-dir", data_dir,
                 "Data directory: ledger, API token, keys (default /var/lib/store-agent; "
                 "./store-agent-demo-data with --demo)");
  app.add_option("--listen", listen, "API address HOST:PORT (default 127.0.0.1:8787; port 0 = any)");
  app.add_flag("--demo", demo,
               "A demo store: demo catalog, demo brand and member keys made in the data dir, and "
               "a virtual scanner on a local TCP port. Needs no config and no cloud.");
  std::string cloud_url;
  app.add_option("--cloud", cloud_url,
                 "The cloud's base URL (overrides cloud.url), e.g. the demo's oms-sim at "
                 "http://127.0.0.1:8788");
  app.add_option("--log-level", log_level, "debug, info, warn or error (default from config: info)");
  std::string bundle_path, bundle_key_path = kProvisioningKey;
  app.add_option("--bundle", bundle_path,
                 "Start from a provisioning bundle (storectl provision): verified with --bundle-key, "
                 "unpacked into {data-dir}/provisioned/ and its agent.toml used as the config. "
                 "A bundle that does not verify stops the agent.")
      ->excludes("--config");
  app.add_option("--bundle-key", bundle_key_path,
                 "The brand's provisioning public key (PEM) a bundle must be signed with")
      ->capture_default_str();
  std::string web_root;
  app.add_option("--web-root", web_root,
                 "Serve the screens (/, /store, /ui/...) from this folder, laid out like "
                 "agent/web/assets/, instead of the copy built into the binary (for UI work)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--print-config", print_config, "Print the embedded default config and exit");
  app.set_version_flag("--version", std::string("store-agent ") + kVersion);
  CLI11_PARSE(app, argc, argv);
  if (print_config) {
    std::cout << sa::config::EmbeddedDefaults();
    return 0;
  }
  ::signal(SIGPIPE, SIG_IGN);

  // ------------------------------------------------------------- bundle
  if (!bundle_path.empty()) {
    if (data_dir.empty()) data_dir = demo ? kDemoDataDir : "/var/lib/store-agent";
    auto where = UnpackVerifiedBundle(bundle_path, bundle_key_path, data_dir);
    if (!where) return Die("--bundle " + bundle_path + ": " + where.error().message);
    config_path = *where;
  }

  // ------------------------------------------------------------- config
  sa::config::Config cfg;
  if (!config_path.empty()) {
    auto loaded = sa::config::LoadFile(config_path);
    if (!loaded) {
      std::cerr << loaded.error().message << "\n";
      return 1;
    }
    cfg = std::move(loaded).value();
  }
  if (!listen.empty()) cfg.listen = listen;
  if (!cloud_url.empty()) cfg.cloud_url = cloud_url;
  const auto api_address = sa::config::SplitListen(cfg.listen);
  if (!api_address) return Die("--listen " + cfg.listen + ": expected HOST:PORT, e.g. 127.0.0.1:8787");
  if (!log_level.empty()) cfg.log_level = log_level;
  const auto level = sa::daemon::ParseLevel(cfg.log_level);
  if (!level) return Die("--log-level must be debug, info, warn or error");
  sa::daemon::Log log(*level);
  if (demo && cfg.virtual_scanner_listen.empty()) cfg.virtual_scanner_listen = "127.0.0.1:0";

  // ----------------------------------------------------------- data dir
  if (data_dir.empty()) data_dir = demo ? kDemoDataDir : "/var/lib/store-agent";
  auto dir = sa::daemon::DataDir::Open(data_dir);
  if (!dir) return Die(dir.error().message);
  auto token = dir->Token();
  if (!token) return Die(token.error().message);

  // ------------------------------------------------------------- ledger
  auto db = sa::ledger::Database::Open(dir->File("ledger.db"));
  if (!db) return Die(db.error().message);

  sa::store::Config sc;
  sc.store_id = cfg.store_id;
  sc.device_id = cfg.device_id;
  sc.currency = cfg.currency;
  sc.require_signature = cfg.require_signature;
  sc.member_code_window_s = cfg.member_code_window_s;
  sc.region = cfg.region;
  sc.refuse_diverted = cfg.on_diverted == "refuse";
  auto brand = sa::crypto::KeyRing::LoadFiles(cfg.brand_keys);
  if (!brand) return Die("codes.brand_keys: " + brand.error().message);
  sc.brand_keys = std::move(brand).value();
  auto members = sa::crypto::KeyRing::LoadFiles(cfg.member_keys);
  if (!members) return Die("members.service_keys: " + members.error().message);
  sc.member_keys = std::move(members).value();
  for (const auto& p : cfg.brand_patterns) {
    sc.parse.brand_patterns.push_back(sa::codes::BrandPattern::Compile(p).value());  // validated
  }
  if (!cfg.phone_hash_key_file.empty()) {
    auto key = ReadFile(cfg.phone_hash_key_file);
    if (!key || key->size() < 16) {
      return Die("members.phone_hash_key_file: cannot read a key of 16+ bytes from " +
                 cfg.phone_hash_key_file);
    }
    sc.phone_hash_key.assign(key->begin(), key->end());
  } else {
    auto key = dir->SecretKey("phone-hash.key", 32);
    if (!key) return Die(key.error().message);
    sc.phone_hash_key = *key;
  }
  if (demo) {
    if (auto ok = DemoKeys(*dir, sc); !ok) return Die(ok.error().message);
    sc.require_signature = true;
  }
  auto claim_key = dir->SecretKey("claim.key", 32);
  if (!claim_key) return Die(claim_key.error().message);

  sa::SystemClock clock;
  sa::store::Store store(**db, sc, clock);
  if (demo && !store.books.FindProduct(kDemoScarf)) {
    if (auto ok = store.books.ImportCatalogCsv(sa::store::DemoCatalogCsv()); !ok) {
      return Die(ok.error().message);
    }
  }
  if (!cfg.catalog_import.empty()) {
    auto csv = ReadFile(cfg.catalog_import);
    if (!csv) return Die("catalog.import: cannot read " + cfg.catalog_import);
    auto ok = store.books.ImportCatalogCsv(*csv);
    if (!ok) return Die("catalog.import " + cfg.catalog_import + ": " + ok.error().message);
    log.Info("catalog imported", {{"rows", std::to_string(ok->rows)}});
  }

  // --------------------------------------------------------------- loop
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  sa::daemon::Writer writer(io, **db, store, log);
  sa::api::Options opts;
  opts.host = api_address->first;
  opts.port = api_address->second;
  opts.max_body_bytes = static_cast<std::size_t>(cfg.max_body_bytes);
  opts.token = *token;
  opts.version = kVersion;
  opts.web_root = web_root;
  opts.shop.name = demo ? "Demo Store" : cfg.store_id;
  opts.shop.store_id = cfg.store_id;
  opts.shop.device_id = cfg.device_id;
  opts.claim_key = *claim_key;
  // HTTPS (api.tls_cert + api.tls_key): required off loopback, since every
  // request carries the API token. storectl trusts {data-dir}/api-cert.pem.
  if (!cfg.api_tls_cert.empty() && !cfg.api_tls_key.empty()) {
    auto cert = ReadFile(cfg.api_tls_cert);
    if (!cert || cert->empty()) return Die("api.tls_cert: cannot read " + cfg.api_tls_cert);
    auto key = ReadFile(cfg.api_tls_key);
    if (!key || key->empty()) return Die("api.tls_key: cannot read " + cfg.api_tls_key);
    opts.tls_cert_pem = std::move(*cert);
    opts.tls_key_pem = std::move(*key);
  }
  if (opts.tls_cert_pem.empty() && !IsLoopback(opts.host)) {
    return Die("api.listen " + cfg.listen + " is off loopback: set api.tls_cert and api.tls_key " +
               "(the API token must not cross the LAN in clear)");
  }
  if (!opts.tls_cert_pem.empty()) {
    if (auto ok = dir->WriteFile("api-cert.pem", CertificatesOnly(opts.tls_cert_pem), 0644); !ok) {
      return Die(ok.error().message);
    }
  } else if (std::error_code ec; !fs::remove(dir->File("api-cert.pem"), ec) && ec) {
    return Die(dir->File("api-cert.pem") + ": cannot remove the stale certificate (" + ec.message() + ")");
  }

  // ------------------------------------------------------------ sync
  WriterPort sync_port(writer);
  sa::sync::ClientOptions so;
  so.cloud_url = cfg.cloud_url;
  so.store_id = cfg.store_id;
  so.device_id = cfg.device_id;
  so.agent_version = kVersion;
  so.ca_file = cfg.cloud_ca_file;
  so.pinned_pubkey = cfg.cloud_pinned_pubkey;
  so.interval = std::chrono::seconds(cfg.sync_interval_s);
  so.backoff_max = std::chrono::seconds(cfg.sync_backoff_max_s);
  so.batch_size = static_cast<std::size_t>(cfg.sync_batch_size);
  if (!cfg.cloud_url.empty()) {
    std::optional<sa::crypto::Bytes> key;
    if (!cfg.cloud_device_key_file.empty()) {
      if (auto text = ReadFile(cfg.cloud_device_key_file)) key = DeviceKey(*text);
      if (!key) {
        return Die("cloud.device_key_file: expected 64 hex digits (32 bytes) in " +
                   cfg.cloud_device_key_file);
      }
    } else {
      auto secret = dir->SecretKey("sync.key", sa::sync::kDeviceKeyBytes);
      if (!secret) return Die(secret.error().message);
      key = DeviceKey(std::string(secret->begin(), secret->end()));
      if (!key) return Die(dir->File("sync.key") + ": not 64 hex digits; move it aside to make a new one");
    }
    so.device_key = *key;
  }
  sa::sync::Syncer syncer(
      so, dir->File("ledger.db"), sc, sync_port, clock,
      [&log](std::string_view lvl_name, std::string_view msg,
             std::vector<std::pair<std::string, std::string>> fields) {
        const auto lvl = sa::daemon::ParseLevel(lvl_name).value_or(sa::daemon::Level::info);
        log.Write(lvl, msg, fields);
      });
  if (!cfg.cloud_url.empty()) {
    opts.sync.status = [&syncer] { return SyncStatusJson(syncer.status()); };
    if (cfg.sync_push_after_sale) opts.sync.event_written = [&syncer] { syncer.Nudge(); };
    opts.sync.now = [&syncer](std::function<void(std::string)> done) {
      syncer.RequestNow([done = std::move(done)](sa::sync::CycleResult r) {
        done(nlohmann::json{{"ok", r.ok}, {"error", r.error}, {"pushed", r.pushed}, {"pulled", r.pulled}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      });
    };
  }

  // Scanners reach the API's scan router; it is made below, before any
  // source starts.
  sa::api::Server* scan_router = nullptr;
  auto hardware = sa::agent::Hardware::Make(
      loop, cfg, [&scan_router](sa::drivers::ScanEvent scan, std::function<void()> next) {
        scan_router->OnScan(scan.source, scan.terminal, scan.payload, std::move(next));
      });
  if (!hardware) return Die(hardware.error().message);
  sa::agent::Hardware& hw = **hardware;
  opts.hardware.scanners = [&hw] { return hw.ScannersJson(); };
  opts.hardware.terminal_modes = hw.TerminalModes();
  if (hw.has_printer()) {
    opts.hardware.print = [&hw](std::string escpos, std::function<void(std::string)> done) {
      hw.Print(std::move(escpos), std::move(done));
    };
    opts.hardware.auto_print = cfg.printer_auto;
    opts.hardware.print_width = cfg.printer_width_mm == 58 ? sa::receipt::Width::mm58 : sa::receipt::Width::mm80;
  }

  sa::api::Server server(io, writer, store, opts, log);
  opts.tls_key_pem.assign(opts.tls_key_pem.size(), '\0');  // the server has its copy
  scan_router = &server;
  if (auto ok = hw.Start(); !ok) return Die(ok.error().message);
  const std::string& scanner_url = hw.scanner_url();

  sa::daemon::Notifier notifier;
  asio::steady_timer watchdog(io);
  std::function<void()> pet = [&] {
    notifier.Send("WATCHDOG=1");
    watchdog.expires_after(notifier.WatchdogInterval());
    watchdog.async_wait([&](const asio::error_code& ec) {
      if (!ec) pet();
    });
  };

  // Reservations whose TTL lapsed give their stock back: swept on the
  // writer every few seconds (each sweep is one durable transaction; the
  // next is scheduled once it is answered, so sweeps never pile up).
  asio::steady_timer expiry(io);
  bool sweeping = true;
  std::function<void()> sweep = [&] {
    expiry.expires_after(kExpirySweep);
    expiry.async_wait([&](const asio::error_code& ec) {
      if (ec || !sweeping) return;
      auto expired = std::make_shared<std::size_t>(0);
      sa::daemon::Job job;
      // A read first: the durable sweep runs only when an order has lapsed.
      job.durability = sa::ledger::Durability::relaxed;
      job.work = [expired](sa::store::Store& s) {
        auto due = s.stock.AnyExpired();
        if (!due) return sa::daemon::ErrorReply(due.error());
        return sa::daemon::Reply{*due ? 202 : 200, {}};
      };
      job.done = [&, expired](sa::daemon::Reply due) {
        if (due.status != 202) {
          if (due.status != 200) log.Warn("reservation expiry failed", {{"status", std::to_string(due.status)}});
          if (sweeping) asio::post(io, sweep);
          return;
        }
        sa::daemon::Job expire;
        expire.durability = sa::ledger::Durability::full;
        expire.work = [expired](sa::store::Store& s) {
          auto n = s.stock.ExpireReservations();
          if (!n) return sa::daemon::ErrorReply(n.error());
          *expired = *n;
          return sa::daemon::Reply{200, {}};
        };
        expire.done = [&, expired](sa::daemon::Reply r) {
          if (r.status != 200) {
            log.Warn("reservation expiry failed", {{"status", std::to_string(r.status)}, {"error", r.body}});
          } else if (*expired > 0) {
            log.Info("reservations expired", {{"count", std::to_string(*expired)}});
            if (opts.sync.event_written) opts.sync.event_written();  // push the expiries now
          }
          if (sweeping) asio::post(io, sweep);  // posted: a refused job runs `done` inside Submit
        };
        writer.Submit(std::move(expire));
      };
      writer.Submit(std::move(job));
    });
  };

  int exit_code = 0;
  server.Start(
      [&](std::uint16_t port) {
        const std::string url =
            (opts.tls_cert_pem.empty() ? "http://" : "https://") + opts.host + ":" + std::to_string(port);
        if (auto ok = dir->WriteFile("api-url", url + "\n"); !ok) log.Warn(ok.error().message);
        if (!scanner_url.empty()) (void)dir->WriteFile("scanner-url", scanner_url + "\n");
        syncer.Start();
        log.Info("ready", {{"url", url},
                           {"data_dir", dir->path()},
                           {"store_id", sc.store_id},
                           {"device_id", sc.device_id},
                           {"scanner", scanner_url},
                           {"cloud", cfg.cloud_url},
                           {"version", kVersion}});
        notifier.Send("READY=1\nSTATUS=serving " + url);
        if (notifier.WatchdogInterval().count() > 0) pet();
        sweep();
        if (demo) {
          const std::string ctl = "build/bin/storectl --data-dir " + dir->path();
          std::cout << "store-agent demo store is ready: API " << url << ", data in " << dir->path()
                    << "\nMake a first sale (in another terminal):\n"
                    << "  " << ctl << " demo codes 2          # two signed labels + a member code\n"
                    << "  " << ctl << " sale open             # prints the sale id\n"
                    << "  " << ctl << " sale scan SALE CODE   # or: echo CODE | nc "
                    << scanner_url.substr(6, scanner_url.rfind(':') - 6) << " "
                    << scanner_url.substr(scanner_url.rfind(':') + 1) << "  (virtual scanner)\n"
                    << "  " << ctl << " sale member SALE --code MEMBER_CODE\n"
                    << "  " << ctl << " sale complete SALE --pay cash:1200\n"
                    << "  " << ctl << " sale receipt SALE --width 58\n"
                    << "API: curl -H \"Authorization: Bearer $(cat " << dir->File("api-token")
                    << ")\" " << url << "/v1/health      Ctrl-C stops the agent.\n";
          if (!cfg.cloud_url.empty()) {
            std::cout << "Cloud: each sale is pushed to " << cfg.cloud_url << " as it completes:\n"
                      << "  " << ctl << " sync status\n"
                      << "  curl " << cfg.cloud_url << "/admin/v1/stores/" << cfg.store_id
                      << "/events     # what the cloud received\n";
          }
          std::cout << std::flush;
        }
      },
      [&](const std::string& why) {
        log.Error("cannot serve the API", {{"listen", cfg.listen}, {"why", why}});
        exit_code = 1;
        writer.Stop();
        io.stop();
      });

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    // A second signal while stopping means "now": nothing acknowledged is
    // lost by it (every answered commit is already durable).
    signals.async_wait([&](const asio::error_code& again, int) {
      if (!again) std::_Exit(1);
    });
    log.Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    notifier.Send("STOPPING=1");
    hw.Close();
    watchdog.cancel();
    sweeping = false;
    expiry.cancel();
    // Sync first: its last write needs the writer still running.
    syncer.Stop();
    // Finish every queued commit first (their answers are posted to the loop
    // and go out before the listener closes), then stop serving.
    writer.Stop();
    asio::post(io, [&] { server.Stop([&] { io.stop(); }); });
  });

  io.run();
  syncer.Stop();
  writer.Stop();
  log.Info("stopped");
  return exit_code;
}
