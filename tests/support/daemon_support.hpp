// SPDX-License-Identifier: Apache-2.0
// Talking to a running daemon in tests: its /v1/events stream, a TCP
// scanner connection, and the demo's signed codes from storectl.
#pragma once

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.hpp"
#include "event_stream.hpp"
#include "support.hpp"

namespace sa::testing {

struct SseEvent {
  std::string event;
  std::string data;
};

// Complete SSE events in `text` (comments and a trailing partial event skipped).
inline std::vector<SseEvent> ParseSse(const std::string& text) {
  std::vector<SseEvent> out;
  std::size_t at = 0;
  while (true) {
    const auto end = text.find("\n\n", at);
    if (end == std::string::npos) break;
    const std::string block = text.substr(at, end - at);
    at = end + 2;
    SseEvent ev;
    std::size_t l = 0;
    while (l <= block.size()) {
      const auto nl = block.find('\n', l);
      const std::string line =
          block.substr(l, nl == std::string::npos ? std::string::npos : nl - l);
      if (line.rfind("event: ", 0) == 0) ev.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) ev.data += line.substr(6);
      if (nl == std::string::npos) break;
      l = nl + 1;
    }
    if (!ev.event.empty()) out.push_back(std::move(ev));
  }
  return out;
}

// The first `event` whose JSON data satisfies `match`, or null.
inline nlohmann::json FindEvent(const std::string& text, const std::string& event,
                                const std::function<bool(const nlohmann::json&)>& match) {
  for (const auto& ev : ParseSse(text)) {
    if (ev.event != event) continue;
    const nlohmann::json j = nlohmann::json::parse(ev.data, nullptr, false);
    if (!j.is_discarded() && match(j)) return j;
  }
  return nullptr;
}

// A TCP connection to the virtual scanner at "tcp://HOST:PORT".
class ScannerConnection {
 public:
  explicit ScannerConnection(const std::string& url) {
    REQUIRE(url.rfind("tcp://", 0) == 0);
    const auto colon = url.rfind(':');
    REQUIRE(colon > 6);
    const std::string host = url.substr(6, colon - 6);
    const int port = std::stoi(url.substr(colon + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~ScannerConnection() { ::close(fd_); }
  ScannerConnection(const ScannerConnection&) = delete;
  ScannerConnection& operator=(const ScannerConnection&) = delete;

  void SendLine(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
  }

 private:
  int fd_ = -1;
};

// `storectl --data-dir DIR demo codes N`: N signed unit labels, then a member code.
inline std::vector<std::string> DemoCodes(const std::string& storectl,
                                          const std::filesystem::path& dir, int n) {
  Child ctl(storectl, {"--data-dir", dir.string(), "demo", "codes", std::to_string(n)});
  const std::string out = ctl.ReadAll();
  REQUIRE(ctl.Wait() == 0);
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto nl = out.find('\n', at);
    const std::string line = out.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  REQUIRE(lines.size() == static_cast<std::size_t>(n) + 1);
  REQUIRE(lines.back().rfind("SAM1:", 0) == 0);
  return lines;
}

// The serial (AI 21) of a Digital Link label.
inline std::string SerialOf(const std::string& link) {
  const auto at = link.find("/21/");
  REQUIRE(at != std::string::npos);
  const auto end = link.find('?', at);
  return link.substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4);
}

}  // namespace sa::testing
