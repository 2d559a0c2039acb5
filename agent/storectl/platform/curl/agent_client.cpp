// SPDX-License-Identifier: Apache-2.0
// AgentClient over libcurl's easy interface: the only file of storectl that
// includes curl. No signals (CURLOPT_NOSIGNAL), 2 s to connect, 15 s in all,
// no redirects, http and https only, TLS 1.2 or later.
//
// Trusting the agent over https. The agent copies its API certificate to
// {data-dir}/api-cert.pem; a store's certificate is usually self-signed and
// names no host or LAN address the till is reached by. When that file is
// there (ClientOptions::agent_cert_file), it is pinned:
//   - CURLOPT_CAINFO is that file and CURLOPT_CAPATH is unset (Debian's
//     libcurl would otherwise add /etc/ssl/certs), so the one trust anchor
//     is the agent's certificate: only a chain that verifies to it, i.e.
//     made with the agent's private key, is accepted (VERIFYPEER stays on:
//     signature and validity dates are checked);
//   - the host name check (VERIFYHOST) is off, since the certificate need
//     not name the address; with a single pinned anchor it would add
//     nothing: a publicly trusted certificate for any name is refused.
// Without the file, https is verified the usual way (system CAs + host name).
#include "agent_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <string>

namespace sa::storectl {
namespace {

// More than any answer of the local API; a runaway body is cut off.
constexpr std::size_t kMaxBody = 16 * 1024 * 1024;

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct Sink {
  std::string body;
  bool overflow = false;
};

extern "C" std::size_t WriteBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * n;
  if (sink->body.size() + bytes > kMaxBody) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->body.append(data, bytes);
  return bytes;
}

// Which failures mean "nothing answered" (safe and useful to retry once).
std::string Reason(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return "reset";
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    default: return "other";
  }
}

class CurlAgentClient final : public AgentClient {
 public:
  explicit CurlAgentClient(ClientOptions options) : options_(std::move(options)) {
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
    global_ok_ = global == CURLE_OK;
  }

  Expected<HttpResponse> Send(const HttpRequest& request) override {
    const std::string url = options_.base_url + request.path;
    if (!global_ok_) return Failure(url, "libcurl failed to initialise", "other");
    Easy easy(curl_easy_init());
    if (!easy) return Failure(url, "libcurl failed to initialise", "other");
    CURL* h = easy.get();

    Slist headers;
    auto add = [&headers](const std::string& line) {
      if (curl_slist* head = curl_slist_append(headers.get(), line.c_str())) {
        (void)headers.release();  // the same list, now one header longer
        headers.reset(head);
      }
    };
    add("Accept: application/json");
    add("Authorization: Bearer " + options_.token);
    add("Expect:");  // no 100-continue round trip
    if (!request.idempotency_key.empty()) add("Idempotency-Key: " + request.idempotency_key);
    if (request.method == "POST") add("Content-Type: application/json");

    Sink sink;
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "storectl/0.1.0");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    const std::string& cert = options_.agent_cert_file;
    if (!cert.empty() && url.rfind("https://", 0) == 0) {
      curl_easy_setopt(h, CURLOPT_CAINFO, cert.c_str());
      curl_easy_setopt(h, CURLOPT_CAPATH, static_cast<char*>(nullptr));
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      if (sink.overflow) return Failure(url, "the answer was larger than 16 MiB", "other");
      std::string detail = error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc);
      return Failure(url, detail, Reason(rc));
    }
    HttpResponse response;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    response.body = std::move(sink.body);
    curl_header* language = nullptr;
    if (curl_easy_header(h, "Content-Language", 0, CURLH_HEADER, -1, &language) == CURLHE_OK &&
        language != nullptr && language->value != nullptr) {
      response.content_language = language->value;
    }
    return response;
  }

 private:
  static Error Failure(const std::string& url, const std::string& detail,
                       const std::string& reason) {
    return MakeError(ErrorKind::internal, "agent_unreachable",
                     "cannot reach the agent at " + url + ": " + detail, reason);
  }

  ClientOptions options_;
  bool global_ok_ = false;
};

}  // namespace

std::unique_ptr<AgentClient> MakeCurlAgentClient(ClientOptions options) {
  return std::make_unique<CurlAgentClient>(std::move(options));
}

}  // namespace sa::storectl
