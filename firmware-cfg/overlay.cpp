// SPDX-License-Identifier: Apache-2.0
// Writing bundles and the image overlay to disk (firmware_cfg.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "bundle_internal.hpp"

namespace sa::firmware {
namespace {

Error Io(const std::string& what, int err) {
  return MakeError(ErrorKind::internal, "write_failed",
                   what + ": " + std::generic_category().message(err));
}

// mkdir -p with `mode` for the folders it makes.
Expected<void> MakeDirs(const std::string& dir, mode_t mode) {
  std::string at;
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    const std::size_t slash = std::min(dir.find('/', pos), dir.size());
    at = dir.substr(0, slash);
    pos = slash + 1;
    if (at.empty()) continue;
    if (::mkdir(at.c_str(), mode) != 0 && errno != EEXIST) return Io("mkdir " + at, errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Io(dir, ENOTDIR);
  return {};
}

// Written whole under a temporary name, fsync'd, then renamed over the old
// one: a power cut leaves the old file or the new one, never half of one.
Expected<void> WriteAtomically(const std::string& path, std::string_view content, int mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(mode));
  if (fd < 0) return Io("open " + tmp, errno);
  std::size_t done = 0;
  int err = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = errno ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fchmod(fd, static_cast<mode_t>(mode)) != 0)
    err = errno;  // umask does not apply
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Io("write " + path, err);
  }
  return {};
}

std::string Parent(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// The store-agent user of the image being built, from its etc/passwd.
std::optional<std::pair<uid_t, gid_t>> ImageUser(const std::string& rootfs) {
  std::ifstream in(rootfs + "/etc/passwd");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("store-agent:", 0) != 0) continue;
    std::istringstream fields(line);
    std::string name, pw, uid, gid;
    std::getline(fields, name, ':');
    std::getline(fields, pw, ':');
    std::getline(fields, uid, ':');
    std::getline(fields, gid, ':');
    try {
      return std::make_pair(static_cast<uid_t>(std::stoul(uid)),
                            static_cast<gid_t>(std::stoul(gid)));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

Expected<void> UnpackBundle(const Bundle& bundle, const std::string& dir) {
  if (auto ok = MakeDirs(dir, 0750); !ok) return ok;
  for (const auto& f : bundle.files) {
    if (!detail::SafeRelativePath(f.path)) {
      return MakeError(ErrorKind::refused, "bundle_malformed",
                       "a bundle file outside its folder: " + f.path);
    }
    const std::string path = dir + "/" + f.path;
    if (auto ok = MakeDirs(Parent(path), 0750); !ok) return ok;
    if (auto ok = WriteAtomically(path, f.content, f.mode); !ok) return ok;
  }
  return {};
}

Expected<FlashReport> Flash(const Bundle& bundle, const std::string& rootfs) {
  struct stat st {};
  if (::stat(rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorKind::invalid_request, "bad_rootfs", rootfs + " is not a directory");
  }
  FlashReport report;
  const std::string etc = rootfs + "/etc/store-agent";
  if (auto ok = UnpackBundle(bundle, etc); !ok) return ok.error();
  for (const auto& f : bundle.files) report.written.push_back("etc/store-agent/" + f.path);

  for (const auto& f : SystemFiles()) {
    // etc/store-agent is the bundle's: the package's default config must not
    // replace the provisioned one.
    if (f.path.rfind("etc/store-agent/", 0) == 0) continue;
    const std::string path = rootfs + "/" + std::string(f.path);
    if (auto ok = MakeDirs(Parent(path), 0755); !ok) return ok.error();
    if (auto ok = WriteAtomically(path, f.content, f.mode); !ok) return ok.error();
    report.written.push_back(std::string(f.path));
  }

  // Enabled as `systemctl enable` would: the wants link.
  const std::string wants = rootfs + "/etc/systemd/system/multi-user.target.wants";
  if (auto ok = MakeDirs(wants, 0755); !ok) return ok.error();
  const std::string link = wants + "/store-agent.service";
  ::unlink(link.c_str());
  if (::symlink("/lib/systemd/system/store-agent.service", link.c_str()) != 0)
    return Io("symlink " + link, errno);
  report.written.push_back("etc/systemd/system/multi-user.target.wants/store-agent.service");

  // The service runs as store-agent: its config and keys must be its own.
  if (const auto user = ImageUser(rootfs)) {
    if (::chown(etc.c_str(), user->first, user->second) != 0) return Io("chown " + etc, errno);
    for (const auto& f : bundle.files) {
      const std::string path = etc + "/" + f.path;
      if (::lchown(path.c_str(), user->first, user->second) != 0) return Io("chown " + path, errno);
      // and the folders under etc/store-agent it is in (keys/)
      for (std::string dir = Parent(path); dir.size() > etc.size(); dir = Parent(dir)) {
        if (::chown(dir.c_str(), user->first, user->second) != 0) return Io("chown " + dir, errno);
      }
    }
    report.owner_set = true;
  }
  return report;
}

}  // namespace sa::firmware
