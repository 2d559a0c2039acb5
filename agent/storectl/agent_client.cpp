// SPDX-License-Identifier: Apache-2.0
// The transport-independent half of the agent client: the retry rule, path
// escaping, and where the URL and token come from.
#include "agent_client.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

namespace sa::storectl {
namespace {

constexpr char kDefaultUrl[] = "http://127.0.0.1:8787";
constexpr std::size_t kMaxLine = 4096;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// "http://host:port[/prefix]" with no trailing slash.
std::optional<std::string> NormaliseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const bool http = StartsWith(url, "http://");
  const bool https = StartsWith(url, "https://");
  if (!http && !https) return std::nullopt;
  const std::size_t host_start = http ? 7 : 8;
  if (url.size() <= host_start) return std::nullopt;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return url;
}

}  // namespace

Expected<HttpResponse> SendRetryingOnce(AgentClient& client, const HttpRequest& request) {
  auto first = client.Send(request);
  if (first) return first;
  const std::string& reason = first.error().reason;
  if (reason != "connect" && reason != "reset") return first;
  // A moment for an agent that is restarting, then the same request again.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  return client.Send(request);
}

std::string PathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved && text != "." && text != "..") {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

Expected<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return MakeError(ErrorKind::internal, "unreadable_file",
                     "cannot read " + path + ": " + std::strerror(err));
  }
  std::string line;
  char c = 0;
  while (line.size() < kMaxLine && in.get(c) && c != '\n') line += c;
  const auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; };
  while (!line.empty() && space(line.back())) line.pop_back();
  std::size_t start = 0;
  while (start < line.size() && space(line[start])) ++start;
  line.erase(0, start);
  if (line.empty()) {
    return MakeError(ErrorKind::internal, "empty_file", path + " is empty");
  }
  return line;
}

namespace {

Expected<Endpoint> ResolveUrlOnly(const std::string& url_flag, const std::string& data_dir) {
  Endpoint e;
  auto accept = [&e](std::string url, std::string source, ErrorKind kind) -> Expected<Endpoint> {
    auto normalised = NormaliseUrl(std::move(url));
    if (!normalised) {
      return MakeError(kind, "bad_url",
                       "the agent URL from " + source +
                           " is not an http:// or https:// URL, e.g. " + kDefaultUrl);
    }
    e.base_url = *normalised;
    e.url_source = std::move(source);
    return e;
  };
  if (!url_flag.empty()) return accept(url_flag, "--url", ErrorKind::invalid_request);
  if (const char* env = std::getenv("STORE_AGENT_URL"); env && *env) {
    return accept(env, "$STORE_AGENT_URL", ErrorKind::invalid_request);
  }
  const std::string file = data_dir + "/api-url";
  if (auto line = ReadFirstLine(file)) {
    return accept(*line, file, ErrorKind::internal);
  }
  return accept(kDefaultUrl, "the default", ErrorKind::internal);
}

}  // namespace

Expected<Endpoint> ResolveBaseUrl(const std::string& url_flag, const std::string& data_dir) {
  auto e = ResolveUrlOnly(url_flag, data_dir);
  if (!e) return e;
  if (StartsWith(e->base_url, "https://") && !data_dir.empty()) {
    const std::string cert = data_dir + "/api-cert.pem";
    if (std::ifstream(cert, std::ios::binary)) e->cert_file = cert;
  }
  return e;
}

Expected<std::string> ReadToken(const std::string& token_file_flag, const std::string& data_dir,
                                std::string* used_path) {
  if (!token_file_flag.empty()) {
    if (used_path) *used_path = token_file_flag;
    auto token = ReadFirstLine(token_file_flag);
    if (!token) {
      return MakeError(ErrorKind::invalid_request, "no_token",
                       "--token-file: " + token.error().message);
    }
    return token;
  }
  const std::string file = data_dir + "/api-token";
  if (used_path) *used_path = file;
  auto token = ReadFirstLine(file);
  if (!token) {
    return MakeError(ErrorKind::internal, "no_token",
                     token.error().message +
                         " (store-agent writes it at first start; is it running with this "
                         "--data-dir, and may this user read it? or pass --token-file)");
  }
  return token;
}

}  // namespace sa::storectl
