// SPDX-License-Identifier: Apache-2.0
// The serial source: an RS-232 / USB-CDC scanner (or a pty) on
// asio::serial_port, one code per terminator. Reopening, the delivery gate
// and the counters are DeviceSource's.
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
#include <asio.hpp>

#include "device_source.hpp"
#include "drivers.hpp"

namespace sa::drivers {
namespace {

constexpr std::size_t kMaxCode = 4096;

// The rates asio's serial_port_base::baud_rate knows on Linux.
constexpr std::array<unsigned, 28> kBauds = {
    50,     75,     110,     134,     150,     200,     300,     600,    1200,   1800,
    2400,   4800,   9600,    19200,   38400,   57600,   115200,  230400, 460800, 500000,
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

class SerialSource final : public DeviceSource {
 public:
  SerialSource(loop::EventLoop& loop, SerialOptions options, OnScan on_scan)
      : DeviceSource(loop, "serial", options, std::move(on_scan)),
        options_(std::move(options)),
        port_(loop.io()),
        terminator_(Terminator(options_.framing)),
        strip_crlf_(options_.framing == "cr" || options_.framing == "lf") {}

 private:
  Expected<void> Check() const override {
    auto bad = [](std::string code, std::string message) -> Expected<void> {
      return MakeError(ErrorKind::invalid_request, std::move(code), std::move(message));
    };
    if (options_.path.empty()) return bad("bad_path", "serial source needs a path");
    if (std::find(kBauds.begin(), kBauds.end(), options_.baud) == kBauds.end()) {
      return bad("bad_baud", "unsupported baud rate: " + std::to_string(options_.baud));
    }
    if (options_.parity != "none" && options_.parity != "odd" && options_.parity != "even") {
      return bad("bad_parity", "parity must be none, odd or even: " + options_.parity);
    }
    if (options_.stop_bits != 1 && options_.stop_bits != 2) {
      return bad("bad_stop_bits",
                 "stop bits must be 1 or 2: " + std::to_string(options_.stop_bits));
    }
    if (options_.data_bits != 7 && options_.data_bits != 8) {
      return bad("bad_data_bits",
                 "data bits must be 7 or 8: " + std::to_string(options_.data_bits));
    }
    if (options_.framing.empty()) return bad("bad_framing", "framing must not be empty");
    if (options_.reopen_ms <= 0) return bad("bad_timing", "reopen_ms must be positive");
    return {};
  }

  std::string OpenDevice() override {
    asio::error_code ec;
    port_.open(options_.path, ec);
    using Base = asio::serial_port_base;
    const auto parity = options_.parity == "odd"    ? Base::parity::odd
                        : options_.parity == "even" ? Base::parity::even
                                                    : Base::parity::none;
    const char* step = "open";
    auto apply = [&](const char* what, const auto& option) {
      if (ec) return;
      step = what;
      port_.set_option(option, ec);
    };
    apply("set baud", Base::baud_rate(options_.baud));
    apply("set stop bits",
          Base::stop_bits(options_.stop_bits == 2 ? Base::stop_bits::two : Base::stop_bits::one));
    // A pty has no line: the kernel keeps it 8 bits without parity, and
    // glibc's tcsetattr reports CS7 not sticking as EINVAL. Not asked of it.
    if (!ec && !IsPty(port_.native_handle())) {
      apply("set parity", Base::parity(parity));
      apply("set data bits", Base::character_size(options_.data_bits));
    }
    apply("set flow control", Base::flow_control(Base::flow_control::none));
    if (!ec) return "";
    asio::error_code ignored;
    port_.close(ignored);
    return std::string("cannot ") + step + " " + options_.path + ": " + ec.message();
  }

  void CloseDevice() override {
    asio::error_code ec;
    port_.close(ec);
  }

  bool device_open() const override { return port_.is_open(); }

  void DiscardPartial() override {
    busy_ = false;
    if (!pending_.empty() && !discarding_) ++dropped_;  // a half-sent code is lost
    pending_.clear();
    discarding_ = false;
  }

  std::uint64_t dropped() const override { return dropped_; }

  // Splits buffered bytes into codes until one is delivered; reads more
  // when no whole code is buffered.
  void Pump() override {
    while (gate_open()) {
      const auto at = pending_.find(terminator_);
      if (at == std::string::npos) {
        // A code of kMaxCode bytes plus its terminator fits in this much;
        // more without a terminator is an over-long code.
        if (pending_.size() >= kMaxCode + terminator_.size()) {
          if (!discarding_) ++dropped_;
          discarding_ = true;
        }
        if (discarding_) {
          // Keep what may be the start of a split terminator.
          const std::size_t keep = std::min(pending_.size(), terminator_.size() - 1);
          pending_.erase(0, pending_.size() - keep);
        }
        if (!busy_ && port_.is_open()) Read();
        return;
      }
      std::string code = pending_.substr(0, at);
      pending_.erase(0, at + terminator_.size());
      if (discarding_) {  // the end of an over-long code
        discarding_ = false;
        continue;
      }
      if (strip_crlf_) {
        const auto first = code.find_first_not_of("\r\n");
        if (first == std::string::npos) continue;
        code = code.substr(first, code.find_last_not_of("\r\n") - first + 1);
      }
      if (code.empty()) continue;
      if (code.size() > kMaxCode) {
        ++dropped_;
        continue;
      }
      Deliver(std::move(code));
    }
  }

  void Read() {
    busy_ = true;
    port_.async_read_some(asio::buffer(chunk_), [this, alive = shared_from_this()](
                                                    const asio::error_code& ec, std::size_t n) {
      if (closed() || ec == asio::error::operation_aborted) return;
      busy_ = false;
      if (ec) {  // EOF, or EIO once a pty's master or a USB adapter is gone
        return Vanish("read error: " + ec.message());
      }
      pending_.append(chunk_.data(), n);
      Pump();
    });
  }

  const SerialOptions options_;
  asio::serial_port port_;
  const std::string terminator_;
  const bool strip_crlf_;
  std::array<char, 1024> chunk_{};
  std::string pending_;      // read bytes not yet split into codes
  bool discarding_ = false;  // inside a code that went over kMaxCode
  bool busy_ = false;        // a read is in flight
  std::uint64_t dropped_ = 0;
};

}  // namespace

std::unique_ptr<ScanSource> MakeSerialSource(loop::EventLoop& loop, SerialOptions options,
                                             OnScan on_scan) {
  return DeviceSource::Make<SerialSource>(loop, std::move(options), std::move(on_scan));
}

}  // namespace sa::drivers
