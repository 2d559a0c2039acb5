// SPDX-License-Identifier: Apache-2.0
// The HTTP client sync talks to the cloud through: a port, so the protocol
// client (client.cpp) is plain C++ and libcurl stays in platform/curl/.
// Private to the sync module.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"

namespace sa::sync {

struct HttpRequest {
  std::string_view method;           // GET or POST
  std::string url;                   // the whole URL
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // POST only
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::optional<std::int64_t> server_time_ms;  // X-SA-Server-Time
  std::optional<std::int64_t> retry_after_s;   // Retry-After
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::string ca_file;        // "" = system CAs
  std::string pinned_pubkey;  // "" = none; "sha256//BASE64"
  std::string user_agent;
  // Set from another thread to end the request in flight (Syncer::Stop).
  const std::atomic<bool>* abort = nullptr;
};

// One connection to the cloud, kept alive between requests; its calls block.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // An HTTP answer of any status, or cloud_unreachable when none came (no
  // connection, a timeout, TLS refused, aborted).
  virtual Expected<HttpResponse> Send(const HttpRequest& request) = 0;
};

// The libcurl client (platform/curl/http_client.cpp); nothing when curl
// cannot start.
std::unique_ptr<HttpClient> MakeCurlClient(const HttpClientOptions& options);

}  // namespace sa::sync
