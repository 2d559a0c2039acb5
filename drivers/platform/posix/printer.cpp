// SPDX-License-Identifier: Apache-2.0
// The receipt printer: one whole ESC/POS job to a device or file path, or to
// a network printer's raw port (usually 9100). Blocking, with a deadline: the
// daemon calls it on a worker, never on the loop.
//
// A path is written with open/write/poll (termios for a serial printer); a
// network printer through a private Asio io_context that lives for one job
// on the calling thread, not on the agent's loop.
//
// The status (DLE EOT n, decoded in printer_status.cpp) is asked over the
// same links where the target can answer: a network printer's connection and
// a character device opened read/write (a USB printer's /dev/usb/lp0, a
// serial port). A regular file cannot answer and is never sent a query.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

Error Unavailable(const std::string& why) {
  return MakeError(ErrorKind::internal, "printer_unavailable", why);
}

std::string Errno(int e) { return std::generic_category().message(e); }

// A path: the device or file must exist (a missing /dev/usb/lp0 is an
// unplugged printer, not a file to create in /dev).
Expected<void> PrintToPath(const std::string& path, std::string_view bytes, int timeout_ms) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Unavailable(path + ": " + Errno(errno));
  // A serial printer is a tty: raw output, or the line discipline would turn
  // every LF inside the job (QR data, bitmaps) into CR LF.
  if (::isatty(fd)) {
    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
      ::cfmakeraw(&tio);
      (void)::tcsetattr(fd, TCSANOW, &tio);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t done = 0;
  std::string failure;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The printer's buffer is full (paper out, a slow print head): wait
      // for room until the deadline.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) {
        failure =
            path + ": timed out with " + std::to_string(bytes.size() - done) + " bytes unsent";
        break;
      }
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) {
        failure = path + ": " + Errno(errno);
        break;
      }
      continue;
    }
    failure = path + ": " + Errno(n < 0 ? errno : EIO);
    break;
  }
  ::close(fd);
  if (!failure.empty()) return Unavailable(failure);
  return {};
}

Expected<void> PrintToTcp(const std::string& where, std::string_view bytes, int timeout_ms) {
  const auto colon = where.rfind(':');
  if (colon == std::string::npos) return Unavailable("tcp://" + where + ": expected HOST:PORT");
  std::string host = where.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = where.substr(colon + 1);

  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::ip::tcp::socket socket(io);
  asio::steady_timer deadline(io);
  asio::error_code result = asio::error::timed_out;
  bool finished = false;
  auto finish = [&](const asio::error_code& ec) {
    if (finished) return;
    finished = true;
    result = ec;
    asio::error_code ignored;
    deadline.cancel();
    resolver.cancel();
    socket.close(ignored);
  };
  deadline.expires_after(std::chrono::milliseconds(timeout_ms));
  deadline.async_wait([&](const asio::error_code& ec) {
    if (!ec) finish(asio::error::timed_out);
  });
  resolver.async_resolve(
      host, port, [&](const asio::error_code& ec, asio::ip::tcp::resolver::results_type endpoints) {
        if (ec) return finish(ec);
        asio::async_connect(
            socket, endpoints,
            [&](const asio::error_code& connect_ec, const asio::ip::tcp::endpoint&) {
              if (connect_ec) return finish(connect_ec);
              asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                                [&](const asio::error_code& write_ec, std::size_t) {
                                  if (write_ec) return finish(write_ec);
                                  // A clean close, so the printer sees the job end.
                                  asio::error_code ignored;
                                  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                                  finish({});
                                });
            });
      });
  io.run();
  if (result) return Unavailable("tcp://" + where + ": " + result.message());
  return {};
}

// ---- two-way links for the status queries ----------------------------------

using Clock = std::chrono::steady_clock;

int LeftMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Where a job and its queries go: a character device or a network printer.
// Every call ends by its deadline.
class Link {
 public:
  virtual ~Link() = default;
  // "" or why the printer cannot be reached.
  virtual std::string Open(Clock::time_point deadline) = 0;
  // "" or why not all bytes went; `timed_out` says it was the deadline.
  virtual std::string Write(std::string_view bytes, Clock::time_point deadline,
                            bool& timed_out) = 0;
  // One byte the printer sent, or nothing by the deadline (or on an error).
  virtual std::optional<std::uint8_t> ReadByte(Clock::time_point deadline) = 0;
  // Forgets bytes the printer sent before a query (a late answer, ASB).
  virtual void Drain() = 0;
};

class FdLink final : public Link {
 public:
  explicit FdLink(std::string path) : path_(std::move(path)) {}
  ~FdLink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  std::string Open(Clock::time_point) override {
    fd_ = ::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) return path_ + ": " + Errno(errno);
    if (::isatty(fd_)) {
      termios tio{};
      if (::tcgetattr(fd_, &tio) == 0) {
        ::cfmakeraw(&tio);
        (void)::tcsetattr(fd_, TCSANOW, &tio);
      }
    }
    return {};
  }

  std::string Write(std::string_view bytes, Clock::time_point deadline, bool& timed_out) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const int left = LeftMs(deadline);
        if (left <= 0) {
          timed_out = true;
          return path_ + ": timed out with " + std::to_string(bytes.size() - done) +
                 " bytes unsent";
        }
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, left) < 0 && errno != EINTR) return path_ + ": " + Errno(errno);
        continue;
      }
      return path_ + ": " + Errno(n < 0 ? errno : EIO);
    }
    return {};
  }

  std::optional<std::uint8_t> ReadByte(Clock::time_point deadline) override {
    while (true) {
      std::uint8_t b = 0;
      const ssize_t n = ::read(fd_, &b, 1);
      if (n == 1) return b;
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return std::nullopt;
      const int left = LeftMs(deadline);
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, left);
      if (r < 0 && errno != EINTR) return std::nullopt;
      if (r > 0 && (p.revents & POLLIN) == 0) return std::nullopt;  // hung up, an error
    }
  }

  void Drain() override {
    if (::isatty(fd_)) {
      (void)::tcflush(fd_, TCIFLUSH);
      return;
    }
    char buf[256];
    for (int i = 0; i < 16 && ::read(fd_, buf, sizeof buf) > 0; ++i) {
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// A network printer through a private io_context on the calling thread.
// Each step runs the context until it is done or its deadline passes (then
// the socket is closed and the step's handler runs with an error).
class TcpLink final : public Link {
 public:
  explicit TcpLink(std::string where) : where_(std::move(where)), socket_(io_) {}

  std::string Open(Clock::time_point deadline) override {
    const auto colon = where_.rfind(':');
    if (colon == std::string::npos) return Name() + ": expected HOST:PORT";
    std::string host = where_.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    asio::ip::tcp::resolver resolver(io_);
    asio::error_code result = asio::error::timed_out;
    bool done = false;
    resolver.async_resolve(
        host, where_.substr(colon + 1),
        [&](const asio::error_code& ec, asio::ip::tcp::resolver::results_type endpoints) {
          if (ec) {
            result = ec;
            done = true;
            return;
          }
          asio::async_connect(socket_, endpoints,
                              [&](const asio::error_code& connect_ec, const auto&) {
                                result = connect_ec;
                                done = true;
                              });
        });
    Run(done, deadline, [&] { resolver.cancel(); });
    if (result) return Name() + ": " + result.message();
    return {};
  }

  std::string Write(std::string_view bytes, Clock::time_point deadline, bool& timed_out) override {
    asio::error_code result = asio::error::timed_out;
    bool done = false;
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [&](const asio::error_code& ec, std::size_t) {
                        result = ec;
                        done = true;
                      });
    if (!Run(done, deadline)) timed_out = true;
    if (timed_out) return Name() + ": timed out sending the job";
    if (result) return Name() + ": " + result.message();
    return {};
  }

  std::optional<std::uint8_t> ReadByte(Clock::time_point deadline) override {
    if (!socket_.is_open()) return std::nullopt;
    std::uint8_t b = 0;
    asio::error_code result = asio::error::timed_out;
    bool done = false;
    socket_.async_read_some(asio::buffer(&b, 1), [&](const asio::error_code& ec, std::size_t n) {
      result = ec ? ec : (n == 1 ? asio::error_code() : asio::error::eof);
      done = true;
    });
    if (!Run(done, deadline) || result) return std::nullopt;
    return b;
  }

  void Drain() override {
    if (!socket_.is_open()) return;
    asio::error_code ec;
    std::uint8_t buf[256];
    while (socket_.available(ec) > 0 && !ec) socket_.read_some(asio::buffer(buf), ec);
  }

  ~TcpLink() override {
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);  // the job's end
    socket_.close(ignored);
  }

 private:
  std::string Name() const { return "tcp://" + where_; }

  // Runs until `done` or the deadline; false on the deadline (the socket is
  // then closed, and the pending handler has run when this returns).
  bool Run(bool& done, Clock::time_point deadline, const std::function<void()>& cancel = {}) {
    io_.restart();
    while (!done) {
      const int left = LeftMs(deadline);
      if (left <= 0 || io_.run_one_for(std::chrono::milliseconds(left)) == 0) {
        if (done) break;
        if (cancel) cancel();
        asio::error_code ignored;
        socket_.close(ignored);
        io_.restart();
        io_.run();
        return false;
      }
    }
    return true;
  }

  std::string where_;
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

std::unique_ptr<Link> LinkTo(const std::string& target) {
  constexpr std::string_view kTcp = "tcp://";
  if (target.compare(0, kTcp.size(), kTcp) == 0) {
    return std::make_unique<TcpLink>(target.substr(kTcp.size()));
  }
  return std::make_unique<FdLink>(target);
}

// The time a status exchange may take: a live printer answers at once.
Clock::time_point StatusDeadline(const PrinterOptions& printer) {
  const int ms = std::min(printer.timeout_ms > 0 ? printer.timeout_ms : 5000, 2000);
  return Clock::now() + std::chrono::milliseconds(ms);
}

std::optional<std::uint8_t> Ask(Link& link, int n, Clock::time_point deadline) {
  link.Drain();
  bool timed_out = false;
  if (!link.Write(StatusQuery(n), deadline, timed_out).empty()) return std::nullopt;
  return link.ReadByte(deadline);
}

// DLE EOT 1, and 2 to 4 only from a printer whose first answer was one.
PrinterStatus AskOver(Link& link, Clock::time_point deadline) {
  StatusAnswers answers;
  answers.printer = Ask(link, 1, deadline);
  if (answers.printer && IsStatusByte(*answers.printer)) {
    answers.offline = Ask(link, 2, deadline);
    answers.error = Ask(link, 3, deadline);
    answers.paper = Ask(link, 4, deadline);
  }
  return DecodeStatus(answers);
}

PrinterStatus Unreachable(std::string why) {
  PrinterStatus st;
  st.state = PrinterState::offline;
  st.detail = std::move(why);
  return st;
}

}  // namespace

bool CanAskStatus(const std::string& target) {
  if (target.rfind("tcp://", 0) == 0) return true;
  struct stat st {};
  return !target.empty() && ::stat(target.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

PrinterStatus AskStatus(const PrinterOptions& printer) {
  if (printer.target.empty()) return Unreachable("no printer is configured");
  if (printer.target.rfind("tcp://", 0) != 0) {
    struct stat st {};
    if (::stat(printer.target.c_str(), &st) != 0) {
      return Unreachable(printer.target + ": " + Errno(errno));
    }
    if (!S_ISCHR(st.st_mode)) {
      PrinterStatus unknown;
      unknown.detail = "a file cannot say how the printer is";
      return unknown;
    }
  }
  const auto deadline = StatusDeadline(printer);
  auto link = LinkTo(printer.target);
  if (auto why = link->Open(deadline); !why.empty()) return Unreachable(why);
  return AskOver(*link, deadline);
}

SentJob SendJob(const PrinterOptions& printer, std::string_view escpos_bytes, bool ask_after) {
  SentJob out;
  auto fail = [&](const std::string& why, const char* reason) {
    out.error = MakeError(ErrorKind::unavailable, "printer_unavailable", why, reason);
    return out;
  };
  if (!CanAskStatus(printer.target)) {
    // A file (or a missing device): written as Print writes it.
    auto printed = Print(printer, escpos_bytes);
    if (!printed) {
      const bool timed_out = printed.error().message.find("timed out") != std::string::npos;
      return fail(printed.error().message, timed_out ? "timeout" : "offline");
    }
    out.after.detail = "a file cannot say how the printer is";
    return out;
  }
  const int timeout = printer.timeout_ms > 0 ? printer.timeout_ms : 5000;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
  auto link = LinkTo(printer.target);
  if (auto why = link->Open(deadline); !why.empty()) return fail(why, "offline");
  bool timed_out = false;
  if (auto why = link->Write(escpos_bytes, deadline, timed_out); !why.empty()) {
    return fail(why, timed_out ? "timeout" : "offline");
  }
  if (ask_after) out.after = AskOver(*link, StatusDeadline(printer));
  return out;
}

Expected<void> Print(const PrinterOptions& printer, std::string_view escpos_bytes) {
  if (printer.target.empty()) return Unavailable("no printer is configured");
  const int timeout = printer.timeout_ms > 0 ? printer.timeout_ms : 5000;
  constexpr std::string_view kTcp = "tcp://";
  if (printer.target.compare(0, kTcp.size(), kTcp) == 0) {
    return PrintToTcp(printer.target.substr(kTcp.size()), escpos_bytes, timeout);
  }
  return PrintToPath(printer.target, escpos_bytes, timeout);
}

}  // namespace sa::drivers
