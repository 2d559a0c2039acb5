// SPDX-License-Identifier: Apache-2.0
// The local HTTP API (DESIGN.md "Local HTTP API") on the agent's io_context,
// plus the hub that routes driver scans to sales and feeds /v1/scans and the
// server-sent events of /v1/events. RESTinio lives only in server.cpp.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon.hpp"
#include "receipt.hpp"
#include "store.hpp"

namespace sa::api {

// What the API shows of cloud sync and asks of it (the daemon wires these
// to sync/; the API does not include it).
struct SyncHooks {
  // JSON object: enabled, online, last_push_at, last_pull_at, last_error,
  // clock_offset_ms, ... Called on the loop; must not block.
  std::function<std::string()> status;
  // Runs a push-and-pull cycle now; `done` (on any thread) gets a JSON
  // object {"ok","error","pushed","pulled"}.
  std::function<void(std::function<void(std::string)> done)> now;
  // A sale completed or voided, a refund made, stock received or counted,
  // an order's step (or a manager's override at the till): its event is in
  // the outbox. On the loop; must not block.
  std::function<void()> event_written;
};

// The store's hardware as the API sees it (the daemon wires these to
// drivers/; the API does not include it).
struct HardwareHooks {
  // JSON array of scanner sources (id, type, terminal, path, connected,
  // scans, dropped, reopens, last_error). Called on the loop; must not block.
  std::function<std::string()> scanners;
  // Sends one ESC/POS job to the receipt printer; `done` (on any thread)
  // gets "" or why it failed. Empty: there is no printer.
  std::function<void(std::string escpos, std::function<void(std::string error)> done)> print;
  bool auto_print = true;                       // print each completed sale's receipt
  receipt::Width print_width = receipt::Width::mm80;
  // Each terminal's mode at start ("sale" when not named): sale | receive | count.
  std::map<std::string, std::string> terminal_modes;
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8787;
  std::size_t max_body_bytes = 65536;
  std::string token;
  // HTTPS: the certificate chain (leaf first) and its private key, as PEM
  // text. Both empty: plain HTTP. A chain or key that does not load makes
  // Start call `failed` with a one-line reason. TLS 1.2 and 1.3 only.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string version;
  receipt::Shop shop;
  crypto::Bytes claim_key;                   // signs receipt claim tokens
  std::string claim_host = "claim.brand.example";
  // The screens (/, /store, /ui/...): from this folder when set (store-agent
  // --web-root), else the copy embedded at build time.
  std::string web_root;
  // PBKDF2 iterations for new PINs (crypto::kPinIterations; tests may lower it).
  std::uint32_t pin_iterations = crypto::kPinIterations;
  SyncHooks sync;                            // empty: GET /v1/sync says sync is off
  HardwareHooks hardware;
};

class Server {
 public:
  // `store` is used read-only here (its config and CheckCode, on workers);
  // every change goes through the writer.
  Server(asio::io_context& io, daemon::Writer& writer, const store::Store& store, Options options,
         const daemon::Log& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (on the loop); `ready` gets the bound port, `failed` a reason.
  void Start(std::function<void(std::uint16_t)> ready, std::function<void(std::string)> failed);
  // Stops accepting and closes connections (event streams included).
  void Stop(std::function<void()> stopped);

  // A scan from a driver: shown on /v1/scans and /v1/events, and handled as
  // the terminal's mode says: sale (added to the terminal's open sale; one is
  // opened when there is none), receive (a unit in), count (tallied until
  // POST /v1/terminals/{t}/count) or pick (a unit for the order being
  // picked). `handled` runs once it is answered (the driver then reads the
  // next one).
  void OnScan(const std::string& source, const std::string& terminal, const std::string& payload,
              std::function<void()> handled);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sa::api
