// SPDX-License-Identifier: Apache-2.0
// The local HTTP API (docs/openapi.json) on the agent's loop: the routes,
// the screens, server-sent events (/v1/events) and /metrics. An adapter: it
// turns requests into calls of the store, the terminals and the sessions,
// and their results into answers; no store rule lives here. RESTinio is
// included by platform/restinio/server.cpp alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon.hpp"
#include "loop.hpp"
#include "receipt.hpp"
#include "sessions.hpp"
#include "store.hpp"
#include "terminals.hpp"

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
  // An outbox event was written (a sale completed or voided, a refund, a
  // stock move, an order's step, a shift closed): sync may push it now. On
  // the loop; must not block.
  std::function<void()> event_written;
  // Asks the cloud for an online order by its number, else by a unit's GTIN
  // and serial (sync::Syncer::FetchOnlineOrder); `done` (on any thread)
  // gets the cloud's JSON for it or an error (order_not_found,
  // cloud_unreachable). Empty: no lookup (503 cloud_unreachable).
  std::function<void(std::string number, std::string gtin, std::string serial,
                     std::function<void(Expected<std::string>)> done)>
      online_order;
};

// One attempt of a receipt job in its printer's queue, as the API hears of it.
struct PrintAttempt {
  std::string printer;    // the printer's name ("default": the [printer] table's)
  std::uint64_t job = 0;  // the job's number in that printer's queue
  std::string state;      // queued (waiting to be tried again), printing, printed, failed
  std::string reason;     // why not printed: paper_out, cover_open, offline, error, timeout, ...
  std::string detail;     // for a person
  int attempts = 0;
  std::size_t bytes = 0;
};

// A completed sale's receipt, for the queue of its terminal's printer. The
// queue makes the bytes (and the API claims the print in the ledger) only
// when the printer can take them, in that printer's width and encoding.
struct ReceiptJob {
  std::string sale_id;
  std::string refund_id;       // set: the receipt of this refund of the sale
  std::string drawer_open_id;  // set: no receipt, the drawer kick of this no-sale opening
  std::string terminal;
  // Asked for (POST .../print): a printer that cannot take it fails it at
  // once. Otherwise (the print after completion) it waits in the queue and
  // is tried again until it prints.
  bool asked = false;
  // On the loop: the bytes, or why there are none.
  std::function<void(receipt::Width, receipt::Encoding,
                     std::function<void(Expected<std::string>)> bytes)>
      make_bytes;
  // On the loop: the bytes made never reached the printer.
  std::function<void()> not_taken;
  // On the loop, after every attempt.
  std::function<void(const PrintAttempt&)> attempted;
};

// The store's hardware as the API sees it (the daemon wires these to
// drivers/; the API does not include it).
struct HardwareHooks {
  // JSON array of scanner sources (id, type, terminal, path, connected,
  // scans, dropped, reopens, last_error). Called on the loop; must not block.
  std::function<std::string()> scanners;
  // Sends one ESC/POS job to the default receipt printer (the [printer]
  // table's, else the first [printers.NAME]); `done` (on any thread) gets ""
  // or why it failed. Empty: the store has no printer at all.
  std::function<void(std::string escpos, std::function<void(std::string error)> done)> print;
  // Queues a receipt on its terminal's printer (no_printer when the
  // terminal has none); `first` hears of the job's first attempt, on the loop.
  std::function<Expected<void>(ReceiptJob job, std::function<void(const PrintAttempt&)> first)>
      queue_receipt;
  // JSON array of the printers (GET /v1/printers): name, target, default,
  // terminals, status {state, paper, cover, detail, checked_at}, queue
  // [{job, sale_id, state, reason, detail, attempts, bytes, at}]. On the
  // loop; must not block.
  std::function<std::string()> printers;
  bool auto_print = true;  // print each completed sale's receipt
  receipt::Width print_width = receipt::Width::mm80;
  // The printer's text encoding (printer.encoding): of the printed receipts
  // and of escpos_base64 in GET /v1/sales/{id}/receipt.
  receipt::Encoding print_encoding = receipt::Encoding::gb18030;
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8787;
  std::size_t max_body_bytes = 65536;
  // HTTPS: the certificate chain (leaf first) and its private key, as PEM
  // text. Both empty: plain HTTP. A chain or key that does not load makes
  // Start call `failed` with a one-line reason. TLS 1.2 and 1.3 only.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string version;
  receipt::Shop shop;
  // The store's language (store.locale) and offset from UTC in minutes
  // (store.utc_offset): of receipts, shift reports and the screens' default.
  i18n::Locale locale = i18n::Locale::en;
  int utc_offset_min = 0;
  crypto::Bytes claim_key;  // signs receipt claim tokens: receipt::ClaimKey(device key)
  std::string claim_url{receipt::kClaimUrlDefault};  // config receipt.claim_url
  // The screens (/, /store, /ui/...): from this folder when set (store-agent
  // --web-root), else the copy embedded at build time.
  std::string web_root;
  SyncHooks sync;  // empty: GET /v1/sync says sync is off
  HardwareHooks hardware;
  // A retention pass now (POST /v1/ledger/retention): `done` (on the loop)
  // gets what it compacted as JSON {"sales","refunds","events","answers"}.
  // Empty: 503 retention_unavailable.
  std::function<void(std::function<void(Expected<std::string>)> done)> retention_now;
};

// What the API serves: the writer (every ledger read and change), the
// store's books (checked codes, config), the terminals and the sessions.
struct Parts {
  daemon::Writer& writer;
  const store::Books& books;
  terminals::Terminals& terminals;
  sessions::Sessions& sessions;
};

class Server {
 public:
  Server(loop::EventLoop& loop, Options options, const daemon::Log& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // What the terminals tell the screens (/v1/events) and sync: give it to
  // the Terminals this server serves.
  terminals::Listener& listener();

  // Binds and listens (on the loop); `ready` gets the bound port, `failed` a reason.
  void Start(Parts parts, std::function<void(std::uint16_t)> ready,
             std::function<void(std::string)> failed);
  // Stops accepting and closes connections (event streams included).
  void Stop(std::function<void()> stopped);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sa::api
