// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "daemon.hpp"

namespace sa::daemon {
namespace {

Error IoError(std::string code, std::string message) {
  return MakeError(ErrorKind::internal, std::move(code), std::move(message));
}

std::string Errno() { return std::strerror(errno); }

}  // namespace

// ------------------------------------------------------------------ DataDir

Expected<DataDir> DataDir::Open(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("data_dir_unavailable", "cannot create data directory " + path + ": " + Errno());
  }
  const std::string lock = path + "/lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("data_dir_unavailable", "cannot open " + lock + ": " + Errno());
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return IoError("data_dir_locked", "another store-agent is using " + path +
                                          " (stop it first, or use another --data-dir)");
  }
  return DataDir(path, fd);
}

DataDir::DataDir(DataDir&& other) noexcept
    : path_(std::move(other.path_)), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

DataDir::~DataDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Expected<void> DataDir::WriteFile(std::string_view name, std::string_view text, unsigned mode) {
  auto ok = WriteFileAtomic(File(name), text, mode);
  if (!ok) return IoError("data_dir_unavailable", ok.error().message);
  return {};
}

Expected<crypto::Bytes> DataDir::SecretKey(std::string_view name, std::size_t bytes) {
  const std::string file = File(name);
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() >= 16) return crypto::Bytes(text.begin(), text.end());
    return IoError("data_dir_unavailable", file + " is too short to be a key");
  }
  crypto::Bytes key(bytes);
  crypto::RandomBytes(key);
  const std::string hex = crypto::ToHex(key);
  if (auto ok = WriteFile(name, hex, 0600); !ok) return ok.error();
  return crypto::Bytes(hex.begin(), hex.end());
}

Expected<std::string> DataDir::Token() {
  auto key = SecretKey("api-token", 32);
  if (!key) return key.error();
  std::string token(key->begin(), key->end());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

// ---------------------------------------------------------------------- Log

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  return std::nullopt;
}

void Log::Write(Level level, std::string_view msg,
                std::initializer_list<std::pair<const char*, std::string>> fields) const {
  std::vector<std::pair<std::string, std::string>> list;
  for (const auto& [key, value] : fields) list.emplace_back(key, value);
  Write(level, msg, list);
}

void Log::Write(Level level, std::string_view msg,
                const std::vector<std::pair<std::string, std::string>>& fields) const {
  if (level < level_) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  nlohmann::ordered_json j;
  j["ts"] = FormatTimestamp(SystemClock().now_ms());
  j["level"] = kNames[static_cast<int>(level)];
  j["msg"] = msg;
  for (const auto& [key, value] : fields) j[key] = value;
  // One write per line, so lines from two threads never interleave.
  const std::string line =
      j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

// ----------------------------------------------------------------- Notifier

Notifier::Notifier() {
  if (const char* sock = std::getenv("NOTIFY_SOCKET"); sock && *sock) socket_path_ = sock;
  if (const char* usec = std::getenv("WATCHDOG_USEC"); usec && *usec) {
    const long long v = std::atoll(usec);
    if (v > 0) watchdog_ = std::chrono::microseconds(v / 2);
  }
}

void Notifier::Send(std::string_view state) const {
  if (socket_path_.empty()) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr),
           len);
  ::close(fd);
}

}  // namespace sa::daemon
