// SPDX-License-Identifier: Apache-2.0
// oms-sim: the reference cloud OMS of sync/PROTOCOL.md, for tests and the
// demo. Flags, the data dir and the ready line; the rest is cloud.cpp (the
// domain) and http.cpp (the server).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "cloud.hpp"
#include "serve.hpp"

namespace {

int Die(const std::string& what) {
  std::cerr << "oms-sim: " << what << "\n";
  return 1;
}

// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces).
bool ParseListen(const std::string& text, sa::omssim::ServeOptions& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size() || text.size() - colon > 6)
    return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return false;
  out.host = host;
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

// The system clock, shifted by --clock-offset-s.
class OffsetClock final : public sa::Clock {
 public:
  explicit OffsetClock(std::int64_t offset_ms) : offset_ms_(offset_ms) {}
  std::int64_t now_ms() const override { return system_.now_ms() + offset_ms_; }

 private:
  sa::SystemClock system_;
  std::int64_t offset_ms_;
};

// Everything the command line sets.
struct Flags {
  std::string listen = "127.0.0.1:8788";
  std::string log_level = "info";
  std::int64_t clock_offset_s = 0;
  sa::omssim::Cloud::Options cloud;
  sa::omssim::ServeOptions serve;
};

void AddFlags(CLI::App& app, Flags& flags) {
  auto& f = flags.cloud.faults;
  app.add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0: any free port)");
  // Required, but checked after parsing: CLI11 checks a required option
  // before --version and --help could answer on their own.
  app.add_option("--data-dir", flags.cloud.data_dir,
                 "directory of the SQLite state (created if missing); required");
  app.add_flag("--strict", flags.cloud.strict,
               "accept only devices provisioned through the admin API");
  app.add_option("--admin-token", flags.cloud.admin_token,
                 "require Authorization: Bearer TOKEN on /admin and /crm");
  app.add_option("--tls-cert", flags.serve.tls_cert, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", flags.serve.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--fault-drop", f.drop, "fraction of protocol requests dropped unanswered")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-delay", f.delay, "fraction of protocol answers held --fault-delay-ms")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-error", f.error, "fraction of protocol requests answered 500 unprocessed")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-cut", f.cut, "fraction of protocol answers cut short after processing")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-delay-ms", f.delay_ms, "how long a delayed answer is held")
      ->check(CLI::Range(0, 60000));
  app.add_option("--seed", f.seed, "seed of the fault injection's generator");
  app.add_flag("--revoke-clones", flags.cloud.revoke_clones,
               "revoke brand-wide a unit that two stores sold (a copied label), beside the alert");
  app.add_option("--claim-days", flags.cloud.claim_days,
                 "days after its sale a receipt's claim token is honoured (default 30)")
      ->check(CLI::Range(0, 3650));
  app.add_option("--clock-offset-s", flags.clock_offset_s,
                 "run this cloud's clock this many seconds off (tests of device clock skew)");
  app.add_option("--log-level", flags.log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.set_version_flag("--version", std::string("oms-sim ") + SA_VERSION);
}

// What is wrong with the flags together, or ""; fills in the serve options
// that are spelt differently on the command line.
std::string CheckFlags(Flags& flags) {
  if (flags.cloud.data_dir.empty()) return "--data-dir is required";
  if (!ParseListen(flags.listen, flags.serve))
    return "--listen must be HOST:PORT, got \"" + flags.listen + "\"";
  if (flags.serve.tls_cert.empty() != flags.serve.tls_key.empty())
    return "--tls-cert and --tls-key go together";
  const std::string& level = flags.log_level;
  flags.serve.log_level = level == "error"  ? sa::omssim::LogLevel::error
                          : level == "warn" ? sa::omssim::LogLevel::warn
                          : level == "info" ? sa::omssim::LogLevel::info
                                            : sa::omssim::LogLevel::debug;
  flags.serve.clock_offset_ms = flags.clock_offset_s * 1000;
  return "";
}

// Tests wait for this line; {data-dir}/url is for scripts.
void AnnounceReady(const std::string& data_dir, const std::string& url) {
  std::ofstream(data_dir + "/url") << url << "\n";
  std::printf("{\"msg\":\"ready\",\"url\":\"%s\"}\n", url.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oms-sim: the reference cloud OMS (sync/PROTOCOL.md), SQLite-backed"};
  Flags flags;
  AddFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help or --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Die(e.what());
  }
  if (const std::string problem = CheckFlags(flags); !problem.empty()) return Die(problem);

  const std::string data_dir = flags.cloud.data_dir;
  OffsetClock clock(flags.serve.clock_offset_ms);
  auto opened = sa::omssim::Cloud::Open(std::move(flags.cloud), clock);
  if (!opened) return Die(opened.error().message);
  return sa::omssim::Serve(**opened, flags.serve,
                           [&data_dir](const std::string& url) { AnnounceReady(data_dir, url); });
}
