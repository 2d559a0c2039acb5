// SPDX-License-Identifier: Apache-2.0
// The clean-close mark: a line beside the ledger ("<path>-closed") that says
// how the file stood on disk when its last connection closed cleanly. A
// ledger whose mark still names it exactly (device, inode, size and
// modification time of the file, and of its WAL if one is there) has not
// been written since, by anyone: PRAGMA quick_check at open would find what
// it found before the close, and is skipped. The mark is taken away, and
// the directory fsync'd, before the file is opened, so a crash or a power
// cut after that start leaves no mark and the next start checks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "base.hpp"

namespace sa::ledger {

namespace {

constexpr const char* kMarkSuffix = "-closed";
constexpr const char* kDamagedSuffix = "-damaged";

std::string StatLine(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "-";
  std::ostringstream out;
  out << st.st_dev << ' ' << st.st_ino << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec << '.'
      << st.st_mtim.tv_nsec;
  return out.str();
}

// The directory of `path` fsync'd, so an unlink in it is on disk.
void SyncDirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

// How the ledger at `path` stands on disk now (the file and its WAL).
std::string LedgerFileState(const std::string& path) {
  return "v1 db " + StatLine(path) + " wal " + StatLine(path + "-wal");
}

// Reads the clean-close mark of `path` and takes it away (durably): true
// when it named `state`, the file's state before this open.
bool TakeCleanCloseMark(const std::string& path, const std::string& state) {
  const std::string mark = path + kMarkSuffix;
  std::string line;
  {
    std::ifstream in(mark);
    if (!in) return false;
    std::getline(in, line);
  }
  if (std::remove(mark.c_str()) != 0) return false;  // a mark that stays is not trusted
  SyncDirectoryOf(path);
  return line == state;
}

// After the last connection closed cleanly: the mark, written atomically. A
// failure only costs the next start its check.
void WriteCleanCloseMark(const std::string& path) {
  (void)WriteFileAtomic(path + kMarkSuffix, LedgerFileState(path) + "\n", 0600);
}

// The "-damaged" mark: a check beside the till found the file damaged; the
// next open checks it before anything else (and refuses it).
bool DamagedMarkThere(const std::string& path) {
  struct stat st {};
  return ::stat((path + kDamagedSuffix).c_str(), &st) == 0;
}

void WriteDamagedMark(const std::string& path, const std::string& why) {
  (void)WriteFileAtomic(path + kDamagedSuffix, why + "\n", 0600);
}

void RemoveDamagedMark(const std::string& path) {
  if (std::remove((path + kDamagedSuffix).c_str()) == 0) SyncDirectoryOf(path);
}

}  // namespace sa::ledger
