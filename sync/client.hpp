// SPDX-License-Identifier: Apache-2.0
// The protocol client (PROTOCOL.md §10): registers the device, pushes the
// outbox in batches, pulls the changes feed, and fixes what the protocol
// says is fixable at once (a skewed clock, a forgotten device). Blocking,
// used by the Syncer's one worker thread; it reads the ledger on its own
// connection and writes only through the LedgerPort. Private to sync.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.hpp"
#include "sync.hpp"

namespace sa::sync {

using LogFn = std::function<void(std::string_view level, std::string_view msg,
                                 std::vector<std::pair<std::string, std::string>> fields)>;

// The sync status, shared by the client (which fills in pushes and pulls)
// and the Syncer (which reads it, and marks cycles online or failed).
struct StatusBoard {
  mutable std::mutex mu;
  Status status;
};

class Client {
 public:
  Client(const ClientOptions& options, store::Config store_config, LedgerPort& port,
         const Clock& clock, const LogFn& log, StatusBoard& board, const std::atomic<bool>& abort);
  ~Client();

  // Its own read connection to the ledger, and its HTTP client. False (and
  // logged) when either cannot open.
  bool Open(const std::string& ledger_path);
  // Register when needed, push until drained, then pull until drained.
  CycleResult Cycle();
  // One online order (Syncer::FetchOnlineOrder), registering first when needed.
  Expected<std::string> FetchOnlineOrder(const OnlineOrderQuery& query);
  // What the cloud's clock is ahead of this device's (PROTOCOL.md §2).
  std::int64_t clock_offset_ms() const { return offset_ms_.load(); }

 private:
  Expected<HttpResponse> Call(std::string_view method, const std::string& path,
                              const std::string& body, bool gzip);
  Expected<HttpResponse> CallFixing(std::string_view method, const std::string& path,
                                    const std::string& body, bool gzip);
  Expected<void> Register();
  Expected<std::uint64_t> Push();
  Expected<std::uint64_t> Pull();
  // Closed shifts checked against what the cloud ingested (PROTOCOL.md
  // §12); how many got an answer. Pending ones are asked again next cycle.
  Expected<std::uint64_t> Reconcile();
  Error Refusal(const HttpResponse& r);
  void Alert(const std::string& code, const std::string& message, const std::string& dedupe);

  ClientOptions opt_;
  store::Config store_config_;
  LedgerPort& port_;
  const Clock& clock_;
  const LogFn& log_;
  StatusBoard& board_;
  const std::atomic<bool>& abort_;
  std::atomic<std::int64_t> offset_ms_{0};
  std::size_t batch_;
  std::unique_ptr<ledger::Database> db_;  // reads only
  std::unique_ptr<store::Store> reader_;  // over db_
  std::unique_ptr<HttpClient> http_;
};

}  // namespace sa::sync
