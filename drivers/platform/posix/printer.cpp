// SPDX-License-Identifier: Apache-2.0
// The receipt printer: one whole ESC/POS job to a device or file path, or to
// a network printer's raw port (usually 9100). Blocking, with a deadline: the
// daemon calls it on a worker, never on the loop.
//
// A path is written with open/write/poll (termios for a serial printer); a
// network printer through a private Asio io_context that lives for one job
// on the calling thread, not on the agent's loop.
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <chrono>
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

}  // namespace

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
