// SPDX-License-Identifier: Apache-2.0
// oms-sim's HTTP(S) front: serves a Cloud on one event loop, applies the
// fault injection of PROTOCOL.md §9 to protocol requests, and stops cleanly
// on SIGINT/SIGTERM. RESTinio and Asio stay inside http.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cloud.hpp"

namespace sa::omssim {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

struct ServeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks a free one
  std::string tls_cert;    // both set: HTTPS
  std::string tls_key;
  LogLevel log_level = LogLevel::info;
  // Shifts this cloud's clock (Date, X-SA-Server-Time, the skew check): how
  // tests show a device with a wrong clock. Give the Cloud the same offset.
  std::int64_t clock_offset_ms = 0;
};

// Serves until SIGINT or SIGTERM. `ready` gets the base URL
// ("http://127.0.0.1:PORT") once the socket listens. Returns the process's
// exit code: 0 after a signal, 1 when it cannot listen (the reason logged).
int Serve(Cloud& cloud, const ServeOptions& options,
          const std::function<void(const std::string& url)>& ready);

}  // namespace sa::omssim
