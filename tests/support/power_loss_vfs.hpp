// SPDX-License-Identifier: Apache-2.0
// A SQLite VFS that models a power cut, for power_loss_test. It wraps the
// default ("unix") VFS and, once installed as the default, sits under the
// product's own Database::Open unchanged. It proves nothing by itself: it
// gives the test a disk that forgets what was never fsync'd, so that the test
// can show the ledger keeps every acknowledged sale anyway (docs/design.md
// invariant 1) — or, with the fsync taken away, that it does not.
//
// The model, per file (the database, its WAL, a rollback journal):
//  - every write and truncate reaches the real file at once (so SQLite reads
//    back what it wrote, as from the page cache), but until the file's next
//    xSync it is only *pending*: the VFS keeps the bytes it overwrote;
//  - xSync makes every pending operation of that file durable;
//  - the power goes before the Nth mutating operation (write, truncate, sync)
//    or when the test says so: that operation and every I/O call after it
//    fail with SQLITE_IOERR_*, so nothing later can be acknowledged (closing
//    and releasing locks still work, so that SQLite can let go of the files);
//  - when the power returns (Restore, after every connection is closed), each
//    file is rolled back to its durable content and then gets a random subset
//    of its pending operations, in random order, a write sometimes torn at
//    512-byte sector boundaries (some of its sectors written, the others not);
//  - the -shm file is deleted: it is memory, never durable, and SQLite
//    rebuilds it from the WAL.
// A second use: a copy of the files taken at the Nth write, as they are at
// that instant (a backup, or what a process crash leaves), with the write in
// progress torn in the copy.
//
// Limits of the model (what a real disk may do that it does not):
//  - directory entries are durable at once: a created or deleted file stays
//    created or deleted (SQLite fsyncs the directory on FULL anyway);
//  - a torn write never damages bytes outside its own range. That is the
//    SQLITE_IOCAP_POWERSAFE_OVERWRITE the unix VFS claims by default, and the
//    only device characteristic passed on: the model keeps no other promise
//    (no atomic or sequential writes, no safe append);
//  - the disk does not lie about fsync, and does not corrupt data at rest;
//  - what is on disk when a file is first opened through the VFS is taken as
//    durable (the previous cycle ended with a clean close);
//  - one connection at a time, one thread; no mmap (the io methods are
//    version 2, so SQLite never asks for xFetch).
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa::testing {

struct PowerCutStats {
  std::uint64_t cuts = 0;
  std::uint64_t pending = 0;     // unsynced operations when the power went
  std::uint64_t pending_db = 0;  // of those, to a database file (a checkpoint's)
  std::uint64_t dropped = 0;     // of those, never reached the disk
  std::uint64_t torn = 0;        // reached it in part (some sectors)
  std::uint64_t kept = 0;        // reached it whole
  std::uint64_t copies = 0;      // copies taken mid-write
};

class PowerLossVfs {
 public:
  static constexpr const char* kName = "sa-power-loss";
  static constexpr std::int64_t kSector = 512;

  PowerLossVfs() : real_(sqlite3_vfs_find(nullptr)) {
    if (!real_) throw std::runtime_error("no default SQLite VFS");
    vfs_.iVersion = 2;  // up to xCurrentTimeInt64; no system-call overrides
    vfs_.szOsFile = static_cast<int>(RealOffset() + static_cast<std::size_t>(real_->szOsFile));
    vfs_.mxPathname = real_->mxPathname;
    vfs_.zName = kName;
    vfs_.pAppData = this;
    vfs_.xOpen = &Open;
    vfs_.xDelete = &Delete;
    vfs_.xAccess = &Access;
    vfs_.xFullPathname = [](sqlite3_vfs* v, const char* name, int n, char* out) {
      return Real(v)->xFullPathname(Real(v), name, n, out);
    };
    vfs_.xDlOpen = [](sqlite3_vfs* v, const char* name) { return Real(v)->xDlOpen(Real(v), name); };
    vfs_.xDlError = [](sqlite3_vfs* v, int n, char* out) { Real(v)->xDlError(Real(v), n, out); };
    vfs_.xDlSym = [](sqlite3_vfs* v, void* lib, const char* sym) {
      return Real(v)->xDlSym(Real(v), lib, sym);
    };
    vfs_.xDlClose = [](sqlite3_vfs* v, void* lib) { Real(v)->xDlClose(Real(v), lib); };
    vfs_.xRandomness = [](sqlite3_vfs* v, int n, char* out) {
      return Real(v)->xRandomness(Real(v), n, out);
    };
    vfs_.xSleep = [](sqlite3_vfs* v, int us) { return Real(v)->xSleep(Real(v), us); };
    vfs_.xCurrentTime = [](sqlite3_vfs* v, double* now) {
      return Real(v)->xCurrentTime(Real(v), now);
    };
    vfs_.xGetLastError = [](sqlite3_vfs* v, int n, char* out) {
      return Real(v)->xGetLastError(Real(v), n, out);
    };
    vfs_.xCurrentTimeInt64 = [](sqlite3_vfs* v, sqlite3_int64* now) {
      return Real(v)->xCurrentTimeInt64(Real(v), now);
    };
    if (sqlite3_vfs_register(&vfs_, 0) != SQLITE_OK) {
      throw std::runtime_error("cannot register the power-loss VFS");
    }
  }
  ~PowerLossVfs() {
    sqlite3_vfs_register(real_, 1);
    sqlite3_vfs_unregister(&vfs_);
    for (auto& [path, file] : files_) CloseReader(*file);
  }
  PowerLossVfs(const PowerLossVfs&) = delete;
  PowerLossVfs& operator=(const PowerLossVfs&) = delete;

  // Makes this VFS the process default, so that sqlite3_open_v2(..., nullptr)
  // (the product's Database::Open) goes through it; Uninstall puts the real
  // one back.
  void Install() { sqlite3_vfs_register(&vfs_, 1); }
  void Uninstall() { sqlite3_vfs_register(real_, 1); }

  // The power goes before the `nth` mutating operation from now (1 = the
  // next one); 0 = only when PowerOff() is called.
  void ArmPowerCut(std::uint64_t nth) {
    ops_ = 0;
    cut_at_ = nth;
    power_off_ = false;
  }
  // The power goes now.
  void PowerOff() { power_off_ = true; }
  bool power_off() const { return power_off_; }

  // At the `nth` write from now, copies every file this VFS tracks into
  // `dir` as it is at that instant, with that write torn in the copy.
  void ArmCopy(std::uint64_t nth, std::filesystem::path dir, std::uint64_t seed) {
    writes_ = 0;
    copy_at_ = nth;
    copy_dir_ = std::move(dir);
    copy_rng_.seed(seed);
    copied_ = false;
  }
  bool copied() const { return copied_; }

  // The power returns: call with every connection closed. Rewrites each file
  // to what the disk would hold (see the top of this file), deletes the
  // -shm files, forgets everything pending and turns the power back on.
  void Restore(std::mt19937_64& rng) {
    ++stats_.cuts;
    for (auto& [path, file] : files_) {
      if (file->opens > 0) throw std::logic_error("Restore with " + path + " still open");
      RestoreFile(*file, rng);
      if (file->flags & SQLITE_OPEN_MAIN_DB) ::unlink((path + "-shm").c_str());
      CloseReader(*file);
    }
    files_.clear();
    power_off_ = false;
    cut_at_ = 0;
  }

  // Forgets what is pending without a power cut (a clean close made it
  // durable, or the test does not care): the next cycle starts from disk.
  void Forget() {
    for (auto& [path, file] : files_) {
      if (file->opens > 0) throw std::logic_error("Forget with " + path + " still open");
      CloseReader(*file);
    }
    files_.clear();
    copy_at_ = 0;
  }

  const PowerCutStats& stats() const { return stats_; }

 private:
  // One operation not yet made durable by xSync, with what it replaced so
  // that Restore can take it back.
  struct Op {
    bool truncate = false;
    std::int64_t offset = 0;  // a write's offset, or a truncate's new size
    std::string data;         // what was written
    std::string before;       // what those bytes held (or what the truncate cut off)
    std::int64_t size_before = 0;
  };
  struct Tracked {
    std::string path;
    int flags = 0;
    int opens = 0;
    int reader = -1;  // our own descriptor, to read the bytes an operation replaces
    std::vector<Op> pending;
  };
  struct File {
    sqlite3_file base;
    PowerLossVfs* vfs;
    Tracked* tracked;  // null for files that need not survive (temp files)
  };

  static std::size_t RealOffset() {
    const std::size_t align = alignof(std::max_align_t);
    return (sizeof(File) + align - 1) / align * align;
  }
  static sqlite3_vfs* Real(sqlite3_vfs* v) { return Self(v)->real_; }
  static PowerLossVfs* Self(sqlite3_vfs* v) { return static_cast<PowerLossVfs*>(v->pAppData); }
  static File* Shim(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
  static sqlite3_file* Inner(sqlite3_file* f) {
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + RealOffset());
  }
  static PowerLossVfs& Owner(sqlite3_file* f) { return *Shim(f)->vfs; }

  // Counts a mutating operation; false when the power is (now) off.
  bool Tick() {
    if (power_off_) return false;
    ++ops_;
    if (cut_at_ != 0 && ops_ >= cut_at_) power_off_ = true;
    return !power_off_;
  }

  static void CloseReader(Tracked& t) {
    if (t.reader >= 0) ::close(t.reader);
    t.reader = -1;
  }
  static std::int64_t SizeOf(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
  }
  static std::string ReadAt(int fd, std::int64_t offset, std::int64_t length) {
    std::string out(static_cast<std::size_t>(std::max<std::int64_t>(length, 0)), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
  }
  static void WriteAt(int fd, std::int64_t offset, const char* data, std::size_t length) {
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pwrite(fd, data + done, length - done,
                                 static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
      if (n <= 0) throw std::runtime_error("power-loss VFS: cannot rewrite a file");
      done += static_cast<std::size_t>(n);
    }
  }
  static void Resize(int fd, std::int64_t size) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      throw std::runtime_error("power-loss VFS: cannot resize a file");
    }
  }

  // Writes `op`'s sectors to `fd`: all of them, or (torn) a random subset.
  // Sectors are 512-byte blocks aligned on the file, as a disk writes them.
  static bool WriteSectors(int fd, const Op& op, bool torn, std::mt19937_64& rng) {
    if (!torn) {
      WriteAt(fd, op.offset, op.data.data(), op.data.size());
      return true;
    }
    const std::int64_t end = op.offset + static_cast<std::int64_t>(op.data.size());
    bool all = true;
    for (std::int64_t at = op.offset; at < end;) {
      const std::int64_t next = std::min(end, (at / kSector + 1) * kSector);
      if (rng() % 2 == 0) {
        WriteAt(fd, at, op.data.data() + (at - op.offset), static_cast<std::size_t>(next - at));
      } else {
        all = false;
      }
      at = next;
    }
    return all;
  }

  void RestoreFile(Tracked& t, std::mt19937_64& rng) {
    if (t.pending.empty()) return;
    const int fd = ::open(t.path.c_str(), O_RDWR);
    if (fd < 0) return;  // deleted before the cut: deletions are durable
    // Back to the durable content: undo every pending operation, newest first.
    for (auto it = t.pending.rbegin(); it != t.pending.rend(); ++it) {
      if (it->truncate) {
        Resize(fd, it->size_before);
        WriteAt(fd, it->offset, it->before.data(), it->before.size());
      } else {
        WriteAt(fd, it->offset, it->before.data(), it->before.size());
        const std::int64_t end = it->offset + static_cast<std::int64_t>(it->data.size());
        if (end > it->size_before) Resize(fd, it->size_before);
      }
    }
    // Then what the disk happened to write before the power went: a random
    // subset, in random order (the kernel and the drive reorder freely
    // between two flushes).
    std::vector<const Op*> order;
    for (const Op& op : t.pending) order.push_back(&op);
    std::shuffle(order.begin(), order.end(), rng);
    const unsigned keep_percent = static_cast<unsigned>(rng() % 101);  // vary the cuts' severity
    for (const Op* op : order) {
      ++stats_.pending;
      if (t.flags & SQLITE_OPEN_MAIN_DB) ++stats_.pending_db;
      if (rng() % 100 >= keep_percent) {
        ++stats_.dropped;
        continue;
      }
      if (op->truncate) {
        Resize(fd, op->offset);
        ++stats_.kept;
        continue;
      }
      const bool torn = rng() % 4 == 0;
      if (WriteSectors(fd, *op, torn, rng)) {
        ++stats_.kept;
      } else {
        ++stats_.torn;
      }
    }
    ::close(fd);
  }

  // A copy of every tracked file as it is now, with `op` (the write about to
  // happen) torn into it: what a backup or a crash sees mid-write.
  void TakeCopy(const Tracked& writing, const Op& op) {
    std::filesystem::create_directories(copy_dir_);
    for (const auto& [path, file] : files_) {
      const auto to = copy_dir_ / std::filesystem::path(path).filename();
      std::filesystem::copy_file(path, to, std::filesystem::copy_options::overwrite_existing);
      if (file.get() == &writing) {
        const int fd = ::open(to.c_str(), O_RDWR);
        if (fd < 0) throw std::runtime_error("power-loss VFS: cannot open the copy");
        WriteSectors(fd, op, true, copy_rng_);
        ::close(fd);
      }
    }
    ++stats_.copies;
    copied_ = true;
  }

  // ------------------------------------------------------------ VFS calls

  static int Open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
    PowerLossVfs& self = *Self(v);
    File* shim = Shim(f);
    shim->base.pMethods = nullptr;
    if (self.power_off_) return SQLITE_CANTOPEN;
    sqlite3_file* inner = Inner(f);
    const int rc = self.real_->xOpen(self.real_, name, inner, flags, out);
    if (rc != SQLITE_OK) return rc;
    shim->vfs = &self;
    shim->tracked = nullptr;
    const int durable = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL;
    if (name && (flags & durable) && !(flags & SQLITE_OPEN_DELETEONCLOSE)) {
      auto& slot = self.files_[name];
      if (!slot) {
        slot = std::make_unique<Tracked>();
        slot->path = name;
        slot->flags = flags;
      }
      if (slot->reader < 0) slot->reader = ::open(name, O_RDONLY);
      ++slot->opens;
      shim->tracked = slot.get();
    }
    shim->base.pMethods = &kMethods;
    return SQLITE_OK;
  }

  static int Delete(sqlite3_vfs* v, const char* name, int sync_dir) {
    PowerLossVfs& self = *Self(v);
    if (self.power_off_) return SQLITE_IOERR_DELETE;
    const int rc = self.real_->xDelete(self.real_, name, sync_dir);
    if (rc == SQLITE_OK) {
      auto it = self.files_.find(name);
      if (it != self.files_.end() && it->second->opens == 0) {
        CloseReader(*it->second);
        self.files_.erase(it);
      }
    }
    return rc;
  }

  static int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
    PowerLossVfs& self = *Self(v);
    if (self.power_off_) return SQLITE_IOERR_ACCESS;
    return self.real_->xAccess(self.real_, name, flags, out);
  }

  // ----------------------------------------------------------- file calls

  static int Close(sqlite3_file* f) {
    // Always passed on: it releases the real descriptor and locks.
    File* shim = Shim(f);
    const int rc = Inner(f)->pMethods->xClose(Inner(f));
    if (Tracked* t = shim->tracked) {
      --t->opens;
      PowerLossVfs& self = *shim->vfs;
      if (t->opens == 0 && t->pending.empty() && !self.power_off_) {
        CloseReader(*t);
        const std::string path = t->path;  // the key must outlive the erase
        self.files_.erase(path);
      }
    }
    return rc;
  }

  static int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
    if (Owner(f).power_off_) return SQLITE_IOERR_READ;
    return Inner(f)->pMethods->xRead(Inner(f), buf, n, offset);
  }

  static int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
    PowerLossVfs& self = Owner(f);
    Tracked* t = Shim(f)->tracked;
    if (!t) {
      if (self.power_off_) return SQLITE_IOERR_WRITE;
      return Inner(f)->pMethods->xWrite(Inner(f), buf, n, offset);
    }
    if (!self.Tick()) return SQLITE_IOERR_WRITE;
    Op op;
    op.offset = offset;
    op.data.assign(static_cast<const char*>(buf), static_cast<std::size_t>(n));
    op.size_before = SizeOf(t->reader);
    op.before = ReadAt(t->reader, offset, std::min<std::int64_t>(n, op.size_before - offset));
    if (self.copy_at_ != 0 && ++self.writes_ == self.copy_at_) self.TakeCopy(*t, op);
    const int rc = Inner(f)->pMethods->xWrite(Inner(f), buf, n, offset);
    if (rc == SQLITE_OK) t->pending.push_back(std::move(op));
    return rc;
  }

  static int Truncate(sqlite3_file* f, sqlite3_int64 size) {
    PowerLossVfs& self = Owner(f);
    Tracked* t = Shim(f)->tracked;
    if (!t) {
      if (self.power_off_) return SQLITE_IOERR_TRUNCATE;
      return Inner(f)->pMethods->xTruncate(Inner(f), size);
    }
    if (!self.Tick()) return SQLITE_IOERR_TRUNCATE;
    Op op;
    op.truncate = true;
    op.offset = size;
    op.size_before = SizeOf(t->reader);
    op.before = ReadAt(t->reader, size, op.size_before - size);
    const int rc = Inner(f)->pMethods->xTruncate(Inner(f), size);
    if (rc == SQLITE_OK) t->pending.push_back(std::move(op));
    return rc;
  }

  static int Sync(sqlite3_file* f, int flags) {
    PowerLossVfs& self = Owner(f);
    Tracked* t = Shim(f)->tracked;
    if (t ? !self.Tick() : self.power_off_) return SQLITE_IOERR_FSYNC;
    if (!t) return Inner(f)->pMethods->xSync(Inner(f), flags);
    // Durable now, in the model: this file's content stays whatever happens
    // next. The real fsync is skipped: the model, not the test machine's
    // disk, decides what survives, and a real one costs milliseconds.
    t->pending.clear();
    return SQLITE_OK;
  }

  static int FileSize(sqlite3_file* f, sqlite3_int64* size) {
    if (Owner(f).power_off_) return SQLITE_IOERR_FSTAT;
    return Inner(f)->pMethods->xFileSize(Inner(f), size);
  }

  // Locks are process memory and kernel state, not data: they are passed on,
  // but none is granted once the power is off (releasing one still works, so
  // that closing after the cut leaves no lock behind).
  static int Lock(sqlite3_file* f, int level) {
    if (Owner(f).power_off_) return SQLITE_IOERR_LOCK;
    return Inner(f)->pMethods->xLock(Inner(f), level);
  }
  static int Unlock(sqlite3_file* f, int level) {
    return Inner(f)->pMethods->xUnlock(Inner(f), level);
  }
  static int CheckReservedLock(sqlite3_file* f, int* out) {
    if (Owner(f).power_off_) return SQLITE_IOERR_CHECKRESERVEDLOCK;
    return Inner(f)->pMethods->xCheckReservedLock(Inner(f), out);
  }
  static int FileControl(sqlite3_file* f, int op, void* arg) {
    // A size hint may grow the file (fallocate): no I/O once the power is off.
    if (Owner(f).power_off_ && op == SQLITE_FCNTL_SIZE_HINT) return SQLITE_IOERR_TRUNCATE;
    return Inner(f)->pMethods->xFileControl(Inner(f), op, arg);
  }
  static int SectorSize(sqlite3_file* f) { return Inner(f)->pMethods->xSectorSize(Inner(f)); }
  static int DeviceCharacteristics(sqlite3_file* f) {
    return Inner(f)->pMethods->xDeviceCharacteristics(Inner(f)) & SQLITE_IOCAP_POWERSAFE_OVERWRITE;
  }
  static int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    if (Owner(f).power_off_) return SQLITE_IOERR_SHMMAP;
    return Inner(f)->pMethods->xShmMap(Inner(f), region, size, extend, out);
  }
  static int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
    if (Owner(f).power_off_ && !(flags & SQLITE_SHM_UNLOCK)) return SQLITE_IOERR_SHMLOCK;
    return Inner(f)->pMethods->xShmLock(Inner(f), offset, n, flags);
  }
  static void ShmBarrier(sqlite3_file* f) { Inner(f)->pMethods->xShmBarrier(Inner(f)); }
  static int ShmUnmap(sqlite3_file* f, int delete_flag) {
    return Inner(f)->pMethods->xShmUnmap(Inner(f), delete_flag);
  }

  static constexpr sqlite3_io_methods kMethods = {2,
                                                  &Close,
                                                  &Read,
                                                  &Write,
                                                  &Truncate,
                                                  &Sync,
                                                  &FileSize,
                                                  &Lock,
                                                  &Unlock,
                                                  &CheckReservedLock,
                                                  &FileControl,
                                                  &SectorSize,
                                                  &DeviceCharacteristics,
                                                  &ShmMap,
                                                  &ShmLock,
                                                  &ShmBarrier,
                                                  &ShmUnmap,
                                                  nullptr,
                                                  nullptr};

  sqlite3_vfs* real_;
  sqlite3_vfs vfs_{};
  std::map<std::string, std::unique_ptr<Tracked>> files_;
  std::uint64_t ops_ = 0;
  std::uint64_t cut_at_ = 0;
  bool power_off_ = false;
  std::uint64_t writes_ = 0;
  std::uint64_t copy_at_ = 0;
  std::filesystem::path copy_dir_;
  std::mt19937_64 copy_rng_;
  bool copied_ = false;
  PowerCutStats stats_;
};

}  // namespace sa::testing
