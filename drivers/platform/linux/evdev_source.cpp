// SPDX-License-Identifier: Apache-2.0
// The evdev source: struct input_event records from a /dev/input node (or a
// FIFO or a regular file, for tests and recorded streams) through a
// WedgeDecoder.
//
// Char devices and FIFOs are waited on with epoll (async_wait, then a
// non-blocking read): waiting for readiness instead of reading speculatively
// matters for a FIFO, whose read end reads EOF at once while no writer ever
// came, but is only reported readable once a writer came and went. EOF or any
// read error is "device vanished": close, reset the decoder, and look for the
// path again every reopen_ms. A regular file (epoll refuses them) is read a
// chunk per loop turn; at its end it is polled every reopen_ms for appended
// records (like tail -f), never reopened, so its records are not replayed.
#include <fcntl.h>
#include <glob.h>
#include <linux/input.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

constexpr std::size_t kRecord = sizeof(struct input_event);
// One read takes what a scanner types for a long code (a Digital Link URL is
// about 1,000 records: press, release and their EV_MSC/EV_SYN companions),
// so a code costs a few loop turns, not dozens.
constexpr std::size_t kChunk = 512 * kRecord;

std::string Errno(int err) { return std::strerror(err); }

bool IsPattern(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

class EvdevSource final : public ScanSource {
 public:
  struct Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io_, EvdevOptions o, OnScan cb)
        : io(io_), options(std::move(o)), on_scan(std::move(cb)), decoder(options.wedge), stream(io_),
          timer(io_) {}

    enum class Kind { none, stream, file };

    asio::io_context& io;
    EvdevOptions options;
    OnScan on_scan;
    WedgeDecoder decoder;
    asio::posix::stream_descriptor stream;
    int file_fd = -1;
    Kind kind = Kind::none;
    asio::steady_timer timer;
    std::string pending;   // read bytes not yet fed: whole records, then a partial one
    std::size_t pos = 0;   // first unfed byte of pending
    bool started = false;
    bool closed = false;
    bool busy = false;     // a read, wait or scheduled chunk is in flight
    bool waiting = false;  // a scan was delivered, its `next` not called yet
    std::uint64_t generation = 0;  // which delivery a `next` belongs to
    bool opened_once = false;
    std::uint64_t scans = 0;
    std::uint64_t partials_lost = 0;
    std::uint64_t reopens = 0;
    std::string last_error = "not started";

    Expected<void> Start() {
      if (closed) return MakeError(ErrorKind::conflict, "source_closed", "evdev source was closed");
      if (started) return {};
      if (options.path.empty()) {
        return MakeError(ErrorKind::invalid_request, "bad_path", "evdev source needs a path");
      }
      if (!KnownLayout(options.wedge.layout)) {
        return MakeError(ErrorKind::invalid_request, "bad_layout",
                         "unknown keyboard layout: " + options.wedge.layout);
      }
      const auto& t = options.wedge.terminator;
      if (t != "enter" && t != "tab" && t != "any") {
        return MakeError(ErrorKind::invalid_request, "bad_terminator",
                         "terminator must be enter, tab or any: " + t);
      }
      if (options.reopen_ms <= 0 || options.wedge.inter_key_timeout_ms <= 0) {
        return MakeError(ErrorKind::invalid_request, "bad_timing",
                         "reopen_ms and inter_key_timeout_ms must be positive");
      }
      started = true;
      TryOpen();
      return {};
    }

    void Close() {
      if (closed) return;
      closed = true;
      timer.cancel();
      CloseDevice();
    }

    void CloseDevice() {
      asio::error_code ec;
      if (stream.is_open()) stream.close(ec);  // also releases EVIOCGRAB
      if (file_fd >= 0) ::close(file_fd);
      file_fd = -1;
      kind = Kind::none;
    }

    // The path to open now: the path itself, or the first match of a pattern.
    std::optional<std::string> Resolve() {
      if (!IsPattern(options.path)) return options.path;
      glob_t g{};
      const int rc = ::glob(options.path.c_str(), 0, nullptr, &g);
      std::optional<std::string> out;
      if (rc == 0 && g.gl_pathc > 0) out = g.gl_pathv[0];  // glob sorts its matches
      ::globfree(&g);
      if (!out) last_error = "no device matches " + options.path;
      return out;
    }

    void TryOpen() {
      if (closed) return;
      const auto path = Resolve();
      if (!path) return RetryLater();
      const int fd = ::open(path->c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        last_error = "cannot open " + *path + ": " + Errno(errno);
        return RetryLater();
      }
      struct stat st {};
      if (::fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))) {
        ::close(fd);
        last_error = *path + " is not an input device, FIFO or file";
        return RetryLater();
      }
      if (options.grab && S_ISCHR(st.st_mode) && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
        const int err = errno;
        // ENOTTY/EINVAL: a char device that is not evdev (a tty, /dev/null).
        if (err != ENOTTY && err != EINVAL) {
          ::close(fd);
          last_error = "cannot grab " + *path + ": " + Errno(err);
          return RetryLater();
        }
      }
      if (S_ISREG(st.st_mode)) {
        file_fd = fd;
        kind = Kind::file;
      } else {
        asio::error_code ec;
        stream.assign(fd, ec);
        if (ec) {
          ::close(fd);
          last_error = "cannot watch " + *path + ": " + ec.message();
          return RetryLater();
        }
        kind = Kind::stream;
      }
      if (opened_once) ++reopens;
      opened_once = true;
      last_error.clear();
      Pump();
    }

    void RetryLater() {
      timer.expires_after(std::chrono::milliseconds(options.reopen_ms));
      timer.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec || self->closed) return;
        self->TryOpen();
      });
    }

    // EOF or a read error: the device is gone until it can be opened again.
    void Vanish(const std::string& why) {
      CloseDevice();
      busy = false;
      if (pending.size() > pos) ++partials_lost;  // half a record is lost with it
      pending.clear();
      pos = 0;
      decoder.Reset();
      last_error = why;
      RetryLater();
    }

    // Feeds buffered records until a scan is delivered, then reads more once
    // the buffer holds no whole record.
    void Pump() {
      while (!closed && !waiting) {
        if (pending.size() - pos >= kRecord) {
          struct input_event raw {};
          std::memcpy(&raw, pending.data() + pos, kRecord);
          pos += kRecord;
          KeyEvent event;
          event.at_us = static_cast<std::int64_t>(raw.input_event_sec) * 1000000 +
                        static_cast<std::int64_t>(raw.input_event_usec);
          event.type = raw.type;
          event.code = raw.code;
          event.value = raw.value;
          if (auto code = decoder.Feed(event)) Deliver(std::move(*code));
          continue;
        }
        pending.erase(0, pos);
        pos = 0;
        if (!busy) Read();
        return;
      }
    }

    void Deliver(std::string payload) {
      ++scans;
      waiting = true;
      const std::uint64_t gen = ++generation;
      ScanEvent event{options.id, options.terminal, "", std::move(payload), SystemClock().now_ms()};
      // Posted, so a handler calling next() at once does not recurse into Pump.
      auto next = [weak = weak_from_this(), gen] {
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->io, [self, gen] {
          if (self->closed || !self->waiting || self->generation != gen) return;
          self->waiting = false;
          self->Pump();
        });
      };
      on_scan(std::move(event), std::move(next));
    }

    void Read() {
      if (kind == Kind::stream) {
        busy = true;
        stream.async_wait(asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const asio::error_code& ec) {
                            if (self->closed || ec == asio::error::operation_aborted) return;
                            self->busy = false;
                            if (ec) return self->Vanish("read error: " + ec.message());
                            self->ReadStream();
                          });
      } else if (kind == Kind::file) {
        busy = true;
        asio::post(io, [self = shared_from_this()] {
          if (self->closed || self->kind != Kind::file) return;
          self->busy = false;
          self->ReadFile();
        });
      }
    }

    void ReadStream() {
      char buf[kChunk];
      const ssize_t n = ::read(stream.native_handle(), buf, sizeof buf);
      if (n > 0) {
        pending.append(buf, static_cast<std::size_t>(n));
        return Pump();
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Read();
      Vanish(n == 0 ? "device closed (end of file)" : "read error: " + Errno(errno));
    }

    void ReadFile() {
      char buf[kChunk];
      ssize_t n = 0;
      do {
        n = ::read(file_fd, buf, sizeof buf);
      } while (n < 0 && errno == EINTR);
      if (n > 0) {
        pending.append(buf, static_cast<std::size_t>(n));
        return Pump();
      }
      if (n < 0) return Vanish("read error: " + Errno(errno));
      // End of the file: look for appended records later.
      busy = true;
      timer.expires_after(std::chrono::milliseconds(options.reopen_ms));
      timer.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec || self->closed || self->kind != Kind::file) return;
        self->busy = false;
        self->ReadFile();
      });
    }

    SourceStatus Status() const {
      SourceStatus s;
      s.id = options.id;
      s.type = "evdev";
      s.terminal = options.terminal;
      s.path = options.path;
      s.connected = !closed && kind != Kind::none;
      s.scans = scans;
      s.dropped = decoder.dropped() + partials_lost;
      s.reopens = reopens;
      s.last_error = closed ? "closed" : last_error;
      return s;
    }
  };

  EvdevSource(asio::io_context& io, EvdevOptions options, OnScan on_scan)
      : impl_(std::make_shared<Impl>(io, std::move(options), std::move(on_scan))) {}
  ~EvdevSource() override { impl_->Close(); }
  EvdevSource(const EvdevSource&) = delete;
  EvdevSource& operator=(const EvdevSource&) = delete;

  Expected<void> Start() override { return impl_->Start(); }
  void Close() override { impl_->Close(); }
  SourceStatus status() const override { return impl_->Status(); }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace

std::unique_ptr<ScanSource> MakeEvdevSource(asio::io_context& io, EvdevOptions options, OnScan on_scan) {
  return std::make_unique<EvdevSource>(io, std::move(options), std::move(on_scan));
}

}  // namespace sa::drivers
