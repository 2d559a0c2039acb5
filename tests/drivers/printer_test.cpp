// SPDX-License-Identifier: Apache-2.0
// The receipt printer's transports: the exact bytes of a job arrive at a
// pty (a serial printer), a file (a USB printer's /dev/usb/lp0 is written
// the same way) and a TCP listener (a network printer on port 9100), played
// by the test with Asio's blocking sockets.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "drivers.hpp"

using namespace sa;
using sa::drivers::Print;
namespace fs = std::filesystem;

namespace {

// An ESC/POS job as receipt::EscPos makes them: init, text with LFs, a
// native QR symbol (GS ( k), feed and cut. Every byte value a job can hold,
// LF and NUL included, must arrive untouched.
std::string Job() {
  std::string j = "\x1b@";
  j += "\x1b\x61\x01"
       "Demo Store\n"
       "\x1b\x61\x00";
  j += "Scarf                  599.00\n";
  const std::string url = "https://claim.brand.example/c/SAC1.abc\n";
  const std::size_t len = url.size() + 3;
  j += std::string("\x1d(k\x04\x00\x31\x41\x32\x00", 9);
  j += std::string("\x1d(k\x03\x00\x31\x43\x06", 8);
  j += std::string("\x1d(k", 3) + static_cast<char>(len & 0xff) + static_cast<char>(len >> 8) +
       "\x31\x50\x30" + url;
  j += std::string("\x1d(k\x03\x00\x31\x51\x30", 8);
  j += "\x1b"
       "d\x04"
       "\x1dV\x42" +
       std::string(1, '\0');
  for (int b = 0; b < 256; ++b) j += static_cast<char>(b);
  return j;
}

std::string ReadAll(int fd, std::size_t want) {
  std::string out;
  char buf[4096];
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;  // a hang guard, not a pass condition
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("a job reaches a pty byte for byte (the tty is put in raw mode)") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  const std::string job = Job();
  auto printed = Print({name, 5000}, job);
  INFO((printed ? std::string() : printed.error().message));
  REQUIRE(printed);
  CHECK(ReadAll(master, job.size()) == job);
  ::close(slave);
  ::close(master);
}

TEST_CASE("a job is appended to an existing file") {
  const fs::path dir = fs::temp_directory_path() / ("sa-printer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "lp0";
  { std::ofstream touch(file); }
  const std::string job = Job();
  REQUIRE(Print({file.string(), 1000}, job));
  REQUIRE(Print({file.string(), 1000}, "second"));
  std::ifstream in(file, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == job + "second");
  fs::remove_all(dir);
}

TEST_CASE("a missing device is printer_unavailable and nothing is created") {
  const fs::path missing =
      fs::temp_directory_path() / ("sa-no-printer-" + std::to_string(::getpid()));
  auto r = Print({missing.string(), 1000}, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find(missing.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(missing));
  auto none = Print({"", 1000}, "x");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == "printer_unavailable");
}

TEST_CASE("a job reaches a network printer on its raw TCP port") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  const std::string job = Job();
  auto received = std::async(std::launch::async, [&] {
    asio::ip::tcp::socket peer(io);
    acceptor.accept(peer);
    std::string got;
    asio::error_code ec;
    char buf[4096];
    while (!ec) {
      const auto n = peer.read_some(asio::buffer(buf), ec);
      got.append(buf, n);
    }
    return got;  // read until the printer job's close
  });
  auto printed = Print({"tcp://127.0.0.1:" + std::to_string(port), 5000}, job);
  INFO((printed ? std::string() : printed.error().message));
  REQUIRE(printed);
  CHECK(received.get() == job);
}

TEST_CASE("a network printer that refuses the connection is printer_unavailable") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  auto r = Print({"tcp://127.0.0.1:" + std::to_string(port), 2000}, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find("tcp://127.0.0.1:") == 0);
}

TEST_CASE("a printer that stops taking bytes times out instead of hanging") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  // Nobody reads the master: the pty's buffer fills and the job cannot end.
  const std::string big(1 << 20, 'x');
  auto r = Print({name, 200}, big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find("timed out") != std::string::npos);
  ::close(slave);
  ::close(master);
}
