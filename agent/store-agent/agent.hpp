// SPDX-License-Identifier: Apache-2.0
// The running agent: the loop and everything on it. Made by main() once the
// config, the data dir and the ledger are ready; Run() serves until SIGINT or
// SIGTERM and returns the exit code.
//
//   drivers (scanners) --ScanEvent--> terminals --+
//   API (HTTP, screens) --> handlers -------------+--> writer --> store --> ledger
//   sync (its own thread) --> LedgerPort ---------+
#pragma once

#include <memory>
#include <string>

#include "api.hpp"
#include "config.hpp"
#include "daemon.hpp"
#include "store.hpp"
#include "sync.hpp"

namespace sa::agent {

struct Setup {
  config::Config cfg;
  daemon::DataDir& dir;
  ledger::Database& db;
  store::Config store_config;
  api::Options api;
  sync::ClientOptions sync;
  std::string token;  // the device's API token
  bool demo = false;
  std::string version;
};

class Agent {
 public:
  // Fails (a one-line reason) when the scanners' config cannot be built.
  static Expected<std::unique_ptr<Agent>> Make(Setup setup, const daemon::Log& log,
                                               const Clock& clock);
  ~Agent();

  // Serves until a signal; the process's exit code.
  int Run();

  struct Parts;

 private:
  explicit Agent(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace sa::agent
