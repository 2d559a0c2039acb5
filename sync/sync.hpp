// SPDX-License-Identifier: Apache-2.0
// Cloud sync (sync/PROTOCOL.md): the protocol's shared pieces (request
// signing, gzip bodies), used by the client here and by oms-sim, and the
// Syncer: a worker thread whose protocol client (client.cpp) pushes the
// outbox and pulls changes, talking HTTP through a port (http_client.hpp)
// that libcurl implements in platform/curl/.
//
// The worker reads the ledger on its own SQLite connection and never writes
// it directly: acknowledgements and pulled changes go to the store's cloud
// inbox through a LedgerPort, which the daemon implements with its writer
// (one writer, group commits), so a sale never waits on the cloud.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "crypto.hpp"
#include "store.hpp"

namespace sa::sync {

// ------------------------------------------------------------------ protocol

inline constexpr std::string_view kPathRegister = "/sync/v1/devices/register";
inline constexpr std::string_view kPathEvents = "/sync/v1/events";
inline constexpr std::string_view kPathChanges = "/sync/v1/changes";
inline constexpr std::string_view kPathOnlineOrders = "/sync/v1/online-orders";
inline constexpr std::string_view kPathReconciliations = "/sync/v1/reconciliations";
inline constexpr std::int64_t kMaxSkewMs = 300'000;
inline constexpr std::size_t kMaxBodyBytes = std::size_t{8} << 20;  // decompressed
inline constexpr std::size_t kMaxBatchEvents = 5000;
inline constexpr std::size_t kDeviceKeyBytes = 32;

struct SignedRequest {
  std::string_view method;  // "POST"
  std::string_view path;    // protocol path and query: "/sync/v1/changes?after=3&limit=500"
  std::int64_t timestamp_ms = 0;
  std::string_view store_id;
  std::string_view device_id;
  std::string_view body;  // exactly as sent (gzip'd bytes for a push)
};

// The seven-line canonical string of PROTOCOL.md §2.
std::string CanonicalString(const SignedRequest& request);
// "v1=" + hex HMAC-SHA256(key, canonical string).
std::string Sign(std::span<const std::uint8_t> key, const SignedRequest& request);
// Constant-time check of an X-SA-Signature header value.
bool VerifySignature(std::span<const std::uint8_t> key, const SignedRequest& request,
                     std::string_view header);

// gzip (RFC 1952) with zlib. Gunzip refuses (bad_body / too_large) a stream
// that is not gzip, is truncated, or inflates past `max_bytes`.
std::string Gzip(std::string_view data);
Expected<std::string> Gunzip(std::string_view data, std::size_t max_bytes = kMaxBodyBytes);

// ------------------------------------------------------------------- client

struct ClientOptions {
  std::string cloud_url;  // base URL, no trailing slash needed
  std::string store_id;
  std::string device_id;
  crypto::Bytes device_key;  // kDeviceKeyBytes
  std::string agent_version;
  std::string ca_file;        // "" = system CAs
  std::string pinned_pubkey;  // "" = none; "sha256//BASE64"
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds interval{30000};  // idle cycle
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{60000};
  std::size_t batch_size = 500;
  std::size_t pull_limit = 500;
};

// What sync needs from the ledger's single writer. Each call runs `work` on
// the store's cloud inbox in one transaction on the writer thread (all of it
// or, when it fails, none) and returns once it is committed; the worker
// thread blocks on it, nobody else does.
class LedgerPort {
 public:
  virtual ~LedgerPort() = default;
  virtual Expected<void> Write(std::function<Expected<void>(store::Inbox&)> work) = 0;
};

struct Status {
  bool enabled = false;  // a cloud.url is configured
  bool online = false;
  bool registered = false;
  std::int64_t acked_seq = 0;
  std::int64_t last_seq = 0;  // newest outbox seq
  std::int64_t cursor = 0;    // pull cursor
  std::optional<std::int64_t> last_push_at_ms;
  std::optional<std::int64_t> last_pull_at_ms;
  std::string last_error;  // "" when the last exchange succeeded
  std::int64_t clock_offset_ms = 0;
  std::uint64_t pushed_events = 0;  // since start
  std::uint64_t pulled_changes = 0;
  std::uint64_t failures = 0;
  std::int64_t pending() const { return last_seq - acked_seq; }
};

// Which online order (PROTOCOL.md §5a): by its number, else by a unit it holds.
struct OnlineOrderQuery {
  std::string number;
  std::string gtin;
  std::string serial;
};

// The result of one cycle (push until drained, then pull until drained).
struct CycleResult {
  bool ok = false;
  std::string error;  // the first failure, when !ok
  std::uint64_t pushed = 0;
  std::uint64_t pulled = 0;
};

class Syncer {
 public:
  // `ledger_path`: the worker opens its own connection to it (reads only).
  // `store_config`: store id, device id (for event envelopes).
  Syncer(ClientOptions options, std::string ledger_path, store::Config store_config,
         LedgerPort& port, const Clock& clock,
         std::function<void(std::string_view level, std::string_view msg,
                            std::vector<std::pair<std::string, std::string>> fields)>
             log);
  ~Syncer();
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  void Start();
  // Ends the current request within its timeouts and joins the thread.
  void Stop();
  // Runs a cycle as soon as the worker is free (ignoring backoff) and calls
  // `done` from the worker thread with its result.
  void RequestNow(std::function<void(CycleResult)> done);
  // New events are in the outbox: while the cloud answers, push them at
  // once rather than at the next interval. Ignored while backing off (a dead
  // cloud is not hammered sale by sale). Cheap; never blocks.
  void Nudge();
  // Asks the cloud for an online order (a customer returning it at the
  // counter). Runs on the worker between cycles; `done` is called from the
  // worker thread (or at once, when sync is off) with the cloud's JSON for
  // the order, or an error: order_not_found (not_found), cloud_unreachable
  // (unavailable: no cloud configured, sync stopped, no answer, a refusal),
  // bad_request (an empty query).
  void FetchOnlineOrder(OnlineOrderQuery query, std::function<void(Expected<std::string>)> done);
  Status status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sa::sync
