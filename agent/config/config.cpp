// SPDX-License-Identifier: Apache-2.0
// LoadFile: the file read (bounded), parsed, and its relative paths resolved.
// The TOML itself is read in platform/tomlpp/parse.cpp, the schema is in
// schema.cpp, the checks on values in checks.cpp and between keys in
// cross_check.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "schema.hpp"

namespace sa::config {

Expected<Config> LoadFile(const std::string& path) { return LoadFile(path, nullptr); }

namespace {

std::string CannotRead(int err) {
  return "cannot read (" + std::generic_category().message(err) + ")";
}

// Reads the whole file into `text`, refusing one larger than a config can be:
// why it cannot be read, or empty.
std::string ReadText(const std::string& path, std::string& text) {
  if (path.empty()) return "cannot read (the config path is empty)";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return CannotRead(errno);
  std::string failure;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    failure = CannotRead(errno);
  } else if (S_ISDIR(st.st_mode)) {
    failure = CannotRead(EISDIR);
  } else {
    char buf[8192];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failure = CannotRead(errno);
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > kMaxConfigBytes) {
        failure = "cannot read (larger than " + std::to_string(kMaxConfigBytes) +
                  " bytes; a config is a few KB)";
        break;
      }
    }
  }
  ::close(fd);
  return failure;
}

}  // namespace

Expected<Config> LoadFile(const std::string& path, KeyLines* lines) {
  std::string text;
  if (const std::string failure = ReadText(path, text); !failure.empty()) {
    return MakeError(ErrorKind::invalid_request, "config_invalid", path + ": " + failure);
  }
  auto parsed = Parse(text, path, lines);
  if (!parsed) return parsed;
  Config config = std::move(parsed).value();

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path folder = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) folder = fs::path(path).parent_path();
  auto resolve = [&](std::string& p) {
    if (p.empty() || fs::path(p).is_absolute()) return;
    p = (folder / p).lexically_normal().string();
  };
  for (const detail::KeySpec& k : detail::Keys()) {
    if (!k.is_path) continue;
    if (k.str) resolve(config.*k.str);
    if (k.list) {
      for (std::string& p : config.*k.list) resolve(p);
    }
  }
  return config;
}

}  // namespace sa::config
