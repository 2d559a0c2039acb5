// SPDX-License-Identifier: Apache-2.0
// A network receipt printer for tests: a TCP listener on 127.0.0.1 (port 0)
// that answers the ESC/POS real-time status queries (DLE EOT n) as the test
// scripts it, and keeps every other byte it receives (the jobs). It runs
// its own io_context on its own thread.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sa::testing {

class FakePrinter {
 public:
  // How it answers DLE EOT 1..4.
  enum class Mode { ok, paper_out, cover_open, near_end, silent, garbage };

  FakePrinter() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakePrinter() {
    io_.stop();
    thread_.join();
  }
  FakePrinter(const FakePrinter&) = delete;
  FakePrinter& operator=(const FakePrinter&) = delete;

  std::string target() const {
    return "tcp://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  void set_mode(Mode mode) { mode_ = mode; }
  // Every byte received that was not a status query.
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int queries() const { return queries_; }
  int connections() const { return connections_; }

  // The answer a printer in `mode` gives to DLE EOT n (nothing: silent).
  static std::string Answer(Mode mode, int n) {
    std::uint8_t b = 0x12;  // the fixed bits: 1 and 4 on
    switch (mode) {
      case Mode::ok: break;
      case Mode::paper_out:
        if (n == 1) b |= 0x08;  // offline
        if (n == 2) b |= 0x20;  // stopped by paper end
        if (n == 4) b |= 0x60;  // roll paper end sensor: no paper
        break;
      case Mode::cover_open:
        if (n == 1) b |= 0x08;
        if (n == 2) b |= 0x04;
        break;
      case Mode::near_end:
        if (n == 4) b |= 0x0c;
        break;
      case Mode::silent: return {};
      case Mode::garbage: return "?";
    }
    return std::string(1, static_cast<char>(b));
  }

 private:
  struct Connection {
    explicit Connection(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    char buf[4096];
    int state = 0;  // 0 data, 1 after DLE, 2 after DLE EOT
  };

  void Accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ++connections_;
      Read(std::make_shared<Connection>(std::move(socket)));
      Accept();
    });
  }

  void Read(std::shared_ptr<Connection> c) {
    c->socket.async_read_some(asio::buffer(c->buf),
                              [this, c](const asio::error_code& ec, std::size_t n) {
                                if (ec) return;
                                Feed(*c, n);
                                Read(c);
                              });
  }

  void Keep(std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    received_ += bytes;
  }

  void Feed(Connection& c, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const char b = c.buf[i];
      if (c.state == 0) {
        if (b == '\x10') {
          c.state = 1;
        } else {
          Keep(std::string(1, b));
        }
      } else if (c.state == 1) {
        if (b == '\x04') {
          c.state = 2;
        } else {
          Keep(std::string{'\x10', b});
          c.state = 0;
        }
      } else {
        c.state = 0;
        if (b >= 1 && b <= 4) {
          ++queries_;
          const std::string answer = Answer(mode_, b);
          asio::error_code ignored;
          if (!answer.empty()) asio::write(c.socket, asio::buffer(answer), ignored);
        } else {
          Keep(std::string{'\x10', '\x04', b});
        }
      }
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<Mode> mode_{Mode::ok};
  std::atomic<int> queries_{0};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::string received_;
};

}  // namespace sa::testing
