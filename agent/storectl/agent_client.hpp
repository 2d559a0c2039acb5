// SPDX-License-Identifier: Apache-2.0
// storectl's view of the agent's local HTTP API: one request, one answer.
// The transport is behind AgentClient; the only implementation is
// platform/curl/agent_client.cpp, the only file that includes libcurl.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base.hpp"

namespace sa::storectl {

struct HttpRequest {
  std::string method;  // "GET" or "POST"
  std::string path;    // from the base URL on, already escaped: "/v1/sales/ID/scans"
  std::string body;    // JSON (POST only)
  // Sent as Idempotency-Key when not empty (every POST has one). A retry of
  // the same request carries the same key, so the agent applies it once.
  std::string idempotency_key;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  // The Content-Language header: the store's language ("zh-CN"), "" without.
  std::string content_language{};
};

// Transport failures are Error{internal, "agent_unreachable", message, reason}
// with reason "connect" (nobody answered the connection), "reset" (the
// connection broke before an answer), "timeout", or "other".
class AgentClient {
 public:
  virtual ~AgentClient() = default;
  virtual Expected<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct ClientOptions {
  std::string base_url;  // "http://127.0.0.1:8787", no trailing slash
  std::string token;     // sent as "Authorization: Bearer {token}"
  long connect_timeout_ms = 2000;
  long total_timeout_ms = 15000;
  // https: the agent's own certificate (PEM), trusted alone, in place of
  // the system's CAs (see platform/curl/agent_client.cpp). Empty: the
  // system's CAs with the usual host name check.
  std::string agent_cert_file{};
};

// libcurl (easy interface, CURLOPT_NOSIGNAL).
std::unique_ptr<AgentClient> MakeCurlAgentClient(ClientOptions options);

// Sends once more, with the same request (and so the same Idempotency-Key),
// when the first attempt failed to connect or lost its connection. A timeout
// is not retried: the agent may still be working on it.
Expected<HttpResponse> SendRetryingOnce(AgentClient& client, const HttpRequest& request);

// Percent-encodes one path segment (a sale id, say) so that it stays one.
std::string PathSegment(std::string_view text);

// Where the agent is and how to prove who we are.
struct Endpoint {
  std::string base_url;
  std::string url_source;  // "--url", "$STORE_AGENT_URL", the api-url file, or "default"
  std::string token;
  std::string token_file;
  // https only: {data_dir}/api-cert.pem when it exists (the agent copies its
  // API certificate there at start), else "".
  std::string cert_file{};
};

// Base URL: `url_flag`, else $STORE_AGENT_URL, else {data_dir}/api-url, else
// http://127.0.0.1:8787. Errors: invalid_request (a bad --url or
// $STORE_AGENT_URL, exit 1) or internal (an unusable api-url file, exit 2).
// An https agent's own certificate is Endpoint::cert_file: {data_dir}/api-cert.pem
// when it exists.
Expected<Endpoint> ResolveBaseUrl(const std::string& url_flag, const std::string& data_dir);

// The token: the first line of `token_file_flag`, else of {data_dir}/api-token.
// Errors: invalid_request when --token-file is unreadable (exit 1), internal
// when the agent's own token file is missing or unreadable (exit 2).
Expected<std::string> ReadToken(const std::string& token_file_flag, const std::string& data_dir,
                                std::string* used_path);

// The first line of a small text file, trimmed; nothing if it cannot be read.
Expected<std::string> ReadFirstLine(const std::string& path);

}  // namespace sa::storectl
