// SPDX-License-Identifier: Apache-2.0
// The evdev source: struct input_event records from a /dev/input node (or a
// FIFO or a regular file, for tests and recorded streams) through a
// WedgeDecoder. Reopening, the delivery gate and the counters are
// DeviceSource's.
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

#include <asio.hpp>
#include <cerrno>
#include <cstring>

#include "device_source.hpp"
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

// The path to open now: the path itself, or the first match of a pattern.
std::optional<std::string> Resolve(const std::string& path) {
  if (!IsPattern(path)) return path;
  glob_t g{};
  const int rc = ::glob(path.c_str(), 0, nullptr, &g);
  std::optional<std::string> out;
  if (rc == 0 && g.gl_pathc > 0) out = g.gl_pathv[0];  // glob sorts its matches
  ::globfree(&g);
  return out;
}

class EvdevSource final : public DeviceSource {
 public:
  EvdevSource(loop::EventLoop& loop, EvdevOptions options, OnScan on_scan)
      : DeviceSource(loop, "evdev", options, std::move(on_scan)),
        options_(std::move(options)),
        decoder_(options_.wedge),
        stream_(loop.io()) {}

 private:
  enum class Kind { none, stream, file };

  Expected<void> Check() const override {
    if (options_.path.empty()) {
      return MakeError(ErrorKind::invalid_request, "bad_path", "evdev source needs a path");
    }
    if (!KnownLayout(options_.wedge.layout)) {
      return MakeError(ErrorKind::invalid_request, "bad_layout",
                       "unknown keyboard layout: " + options_.wedge.layout);
    }
    const auto& t = options_.wedge.terminator;
    if (t != "enter" && t != "tab" && t != "any") {
      return MakeError(ErrorKind::invalid_request, "bad_terminator",
                       "terminator must be enter, tab or any: " + t);
    }
    if (options_.reopen_ms <= 0 || options_.wedge.inter_key_timeout_ms <= 0) {
      return MakeError(ErrorKind::invalid_request, "bad_timing",
                       "reopen_ms and inter_key_timeout_ms must be positive");
    }
    return {};
  }

  std::string OpenDevice() override {
    const auto path = Resolve(options_.path);
    if (!path) return "no device matches " + options_.path;
    const int fd = ::open(path->c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return "cannot open " + *path + ": " + Errno(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0 ||
        !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))) {
      ::close(fd);
      return *path + " is not an input device, FIFO or file";
    }
    if (options_.grab && S_ISCHR(st.st_mode) && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
      const int err = errno;
      // ENOTTY/EINVAL: a char device that is not evdev (a tty, /dev/null).
      if (err != ENOTTY && err != EINVAL) {
        ::close(fd);
        return "cannot grab " + *path + ": " + Errno(err);
      }
    }
    if (S_ISREG(st.st_mode)) {
      file_fd_ = fd;
      kind_ = Kind::file;
      return "";
    }
    asio::error_code ec;
    stream_.assign(fd, ec);
    if (ec) {
      ::close(fd);
      return "cannot watch " + *path + ": " + ec.message();
    }
    kind_ = Kind::stream;
    return "";
  }

  void CloseDevice() override {
    asio::error_code ec;
    if (stream_.is_open()) stream_.close(ec);  // also releases EVIOCGRAB
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    kind_ = Kind::none;
  }

  bool device_open() const override { return kind_ != Kind::none; }

  void DiscardPartial() override {
    busy_ = false;
    if (pending_.size() > pos_) ++partials_lost_;  // half a record is lost with it
    pending_.clear();
    pos_ = 0;
    decoder_.Reset();
  }

  std::uint64_t dropped() const override { return decoder_.dropped() + partials_lost_; }

  // Feeds buffered records until a scan is delivered, then reads more once
  // the buffer holds no whole record.
  void Pump() override {
    while (gate_open()) {
      if (pending_.size() - pos_ >= kRecord) {
        struct input_event raw {};
        std::memcpy(&raw, pending_.data() + pos_, kRecord);
        pos_ += kRecord;
        KeyEvent event;
        event.at_us = static_cast<std::int64_t>(raw.input_event_sec) * 1000000 +
                      static_cast<std::int64_t>(raw.input_event_usec);
        event.type = raw.type;
        event.code = raw.code;
        event.value = raw.value;
        if (auto code = decoder_.Feed(event)) Deliver(std::move(*code));
        continue;
      }
      pending_.erase(0, pos_);
      pos_ = 0;
      if (!busy_) Read();
      return;
    }
  }

  void Read() {
    if (kind_ == Kind::stream) {
      busy_ = true;
      stream_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this, alive = shared_from_this()](const asio::error_code& ec) {
                           if (closed() || ec == asio::error::operation_aborted) return;
                           busy_ = false;
                           if (ec) return Vanish("read error: " + ec.message());
                           ReadStream();
                         });
    } else if (kind_ == Kind::file) {
      busy_ = true;
      loop().Post([this, alive = shared_from_this()] {
        if (closed() || kind_ != Kind::file) return;
        busy_ = false;
        ReadFile();
      });
    }
  }

  void ReadStream() {
    char buf[kChunk];
    const ssize_t n = ::read(stream_.native_handle(), buf, sizeof buf);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      return Pump();
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Read();
    Vanish(n == 0 ? "device closed (end of file)" : "read error: " + Errno(errno));
  }

  void ReadFile() {
    char buf[kChunk];
    ssize_t n = 0;
    do {
      n = ::read(file_fd_, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      return Pump();
    }
    if (n < 0) return Vanish("read error: " + Errno(errno));
    // End of the file: look for appended records later.
    busy_ = true;
    Later([this] {
      if (kind_ != Kind::file) return;
      busy_ = false;
      ReadFile();
    });
  }

  const EvdevOptions options_;
  WedgeDecoder decoder_;
  asio::posix::stream_descriptor stream_;
  int file_fd_ = -1;
  Kind kind_ = Kind::none;
  std::string pending_;  // read bytes not yet fed: whole records, then a partial one
  std::size_t pos_ = 0;  // first unfed byte of pending_
  bool busy_ = false;    // a read, wait or scheduled chunk is in flight
  std::uint64_t partials_lost_ = 0;
};

}  // namespace

std::unique_ptr<ScanSource> MakeEvdevSource(loop::EventLoop& loop, EvdevOptions options,
                                            OnScan on_scan) {
  return DeviceSource::Make<EvdevSource>(loop, std::move(options), std::move(on_scan));
}

}  // namespace sa::drivers
