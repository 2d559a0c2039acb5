// SPDX-License-Identifier: Apache-2.0
// The serial source: an RS-232 / USB-CDC scanner (or a pty) on
// asio::serial_port, one code per terminator.
//
// asio's serial_port::open puts the tty in raw mode (cfmakeraw, then CREAD |
// CLOCAL, 8N1): no echo, no canonical line editing, no CR->NL translation, so
// the bytes are the scanner's. The options are applied on top of that
// (parity and data bits not on a pty, which is always 8 bits, no parity).
//
// Framing quirks: with "cr" or "lf" a scanner that actually sends CRLF (or
// LFCR) would leave a stray '\n' or '\r' at the start or the end of the next
// code; for these two framings CR and LF are stripped from both ends of a
// code. "crlf" and literal suffixes are taken exactly. Empty codes are skipped.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

constexpr std::size_t kMaxCode = 4096;

// The rates asio's serial_port_base::baud_rate knows on Linux.
constexpr std::array<unsigned, 28> kBauds = {
    50,     75,     110,    134,     150,     200,     300,     600,     1200,    1800,
    2400,   4800,   9600,   19200,   38400,   57600,   115200,  230400,  460800,  500000,
    576000, 921600, 1000000, 1152000, 2000000, 3000000, 3500000, 4000000};

// A Unix98 pty slave (/dev/pts/N: majors 136-143).
bool IsPty(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  const auto dev_major = major(st.st_rdev);
  return dev_major >= 136 && dev_major <= 143;
}

std::string Terminator(const std::string& framing) {
  if (framing == "cr") return "\r";
  if (framing == "lf") return "\n";
  if (framing == "crlf") return "\r\n";
  return framing;
}

class SerialSource final : public ScanSource {
 public:
  struct Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io_, SerialOptions o, OnScan cb)
        : io(io_), options(std::move(o)), on_scan(std::move(cb)), port(io_), timer(io_),
          terminator(Terminator(options.framing)),
          strip_crlf(options.framing == "cr" || options.framing == "lf") {}

    asio::io_context& io;
    SerialOptions options;
    OnScan on_scan;
    asio::serial_port port;
    asio::steady_timer timer;
    const std::string terminator;
    const bool strip_crlf;
    std::array<char, 1024> chunk{};
    std::string pending;     // read bytes not yet split into codes
    bool discarding = false;  // inside a code that went over kMaxCode
    bool started = false;
    bool closed = false;
    bool busy = false;     // a read is in flight
    bool waiting = false;  // a scan was delivered, its `next` not called yet
    std::uint64_t generation = 0;
    bool opened_once = false;
    std::uint64_t scans = 0;
    std::uint64_t dropped = 0;
    std::uint64_t reopens = 0;
    std::string last_error = "not started";

    Expected<void> Check() const {
      auto bad = [](std::string code, std::string message) -> Expected<void> {
        return MakeError(ErrorKind::invalid_request, std::move(code), std::move(message));
      };
      if (options.path.empty()) return bad("bad_path", "serial source needs a path");
      if (std::find(kBauds.begin(), kBauds.end(), options.baud) == kBauds.end()) {
        return bad("bad_baud", "unsupported baud rate: " + std::to_string(options.baud));
      }
      if (options.parity != "none" && options.parity != "odd" && options.parity != "even") {
        return bad("bad_parity", "parity must be none, odd or even: " + options.parity);
      }
      if (options.stop_bits != 1 && options.stop_bits != 2) {
        return bad("bad_stop_bits", "stop bits must be 1 or 2: " + std::to_string(options.stop_bits));
      }
      if (options.data_bits != 7 && options.data_bits != 8) {
        return bad("bad_data_bits", "data bits must be 7 or 8: " + std::to_string(options.data_bits));
      }
      if (options.framing.empty()) return bad("bad_framing", "framing must not be empty");
      if (options.reopen_ms <= 0) return bad("bad_timing", "reopen_ms must be positive");
      return {};
    }

    Expected<void> Start() {
      if (closed) return MakeError(ErrorKind::conflict, "source_closed", "serial source was closed");
      if (started) return {};
      if (auto ok = Check(); !ok) return ok;
      started = true;
      TryOpen();
      return {};
    }

    void Close() {
      if (closed) return;
      closed = true;
      timer.cancel();
      asio::error_code ec;
      port.close(ec);
    }

    void TryOpen() {
      if (closed) return;
      asio::error_code ec;
      port.open(options.path, ec);
      using Base = asio::serial_port_base;
      const auto parity = options.parity == "odd"    ? Base::parity::odd
                          : options.parity == "even" ? Base::parity::even
                                                     : Base::parity::none;
      const char* step = "open";
      auto apply = [&](const char* what, const auto& option) {
        if (ec) return;
        step = what;
        port.set_option(option, ec);
      };
      apply("set baud", Base::baud_rate(options.baud));
      apply("set stop bits", Base::stop_bits(options.stop_bits == 2 ? Base::stop_bits::two : Base::stop_bits::one));
      // A pty has no line: the kernel keeps it 8 bits without parity, and
      // glibc's tcsetattr reports CS7 not sticking as EINVAL. Not asked of it.
      if (!ec && !IsPty(port.native_handle())) {
        apply("set parity", Base::parity(parity));
        apply("set data bits", Base::character_size(options.data_bits));
      }
      apply("set flow control", Base::flow_control(Base::flow_control::none));
      if (ec) {
        last_error = std::string("cannot ") + step + " " + options.path + ": " + ec.message();
        asio::error_code ignored;
        port.close(ignored);
        return RetryLater();
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

    void Vanish(const std::string& why) {
      asio::error_code ec;
      port.close(ec);
      busy = false;
      if (!pending.empty() && !discarding) ++dropped;  // a half-sent code is lost
      pending.clear();
      discarding = false;
      last_error = why;
      RetryLater();
    }

    // Splits buffered bytes into codes until one is delivered; reads more
    // when no whole code is buffered.
    void Pump() {
      while (!closed && !waiting) {
        const auto at = pending.find(terminator);
        if (at == std::string::npos) {
          // A code of kMaxCode bytes plus its terminator fits in this much;
          // more without a terminator is an over-long code.
          if (pending.size() >= kMaxCode + terminator.size()) {
            if (!discarding) ++dropped;
            discarding = true;
          }
          if (discarding) {
            // Keep what may be the start of a split terminator.
            const std::size_t keep = std::min(pending.size(), terminator.size() - 1);
            pending.erase(0, pending.size() - keep);
          }
          if (!busy && port.is_open()) Read();
          return;
        }
        std::string code = pending.substr(0, at);
        pending.erase(0, at + terminator.size());
        if (discarding) {  // the end of an over-long code
          discarding = false;
          continue;
        }
        if (strip_crlf) {
          const auto first = code.find_first_not_of("\r\n");
          if (first == std::string::npos) continue;
          code = code.substr(first, code.find_last_not_of("\r\n") - first + 1);
        }
        if (code.empty()) continue;
        if (code.size() > kMaxCode) {
          ++dropped;
          continue;
        }
        Deliver(std::move(code));
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
      busy = true;
      port.async_read_some(asio::buffer(chunk),
                           [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                             if (self->closed || ec == asio::error::operation_aborted) return;
                             self->busy = false;
                             if (ec) {  // EOF, or EIO once a pty's master or a USB adapter is gone
                               return self->Vanish("read error: " + ec.message());
                             }
                             self->pending.append(self->chunk.data(), n);
                             self->Pump();
                           });
    }

    SourceStatus Status() const {
      SourceStatus s;
      s.id = options.id;
      s.type = "serial";
      s.terminal = options.terminal;
      s.path = options.path;
      s.connected = !closed && port.is_open();
      s.scans = scans;
      s.dropped = dropped;
      s.reopens = reopens;
      s.last_error = closed ? "closed" : last_error;
      return s;
    }
  };

  SerialSource(asio::io_context& io, SerialOptions options, OnScan on_scan)
      : impl_(std::make_shared<Impl>(io, std::move(options), std::move(on_scan))) {}
  ~SerialSource() override { impl_->Close(); }
  SerialSource(const SerialSource&) = delete;
  SerialSource& operator=(const SerialSource&) = delete;

  Expected<void> Start() override { return impl_->Start(); }
  void Close() override { impl_->Close(); }
  SourceStatus status() const override { return impl_->Status(); }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace

std::unique_ptr<ScanSource> MakeSerialSource(asio::io_context& io, SerialOptions options, OnScan on_scan) {
  return std::make_unique<SerialSource>(io, std::move(options), std::move(on_scan));
}

}  // namespace sa::drivers
