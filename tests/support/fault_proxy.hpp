// SPDX-License-Identifier: Apache-2.0
// A faulty network between the agent and its cloud, for tests: a TCP proxy on
// 127.0.0.1 that, per connection or per chunk and from a seeded PRNG, refuses
// connections, cuts a request half-way (the cloud sees a truncated request),
// cuts an answer half-way (the cloud acted, the agent cannot know), or holds a
// chunk back for a while. It knows nothing of HTTP: these are the failures of
// a shop's DSL line, not of a server.
#pragma once

#include <asio.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace sa::testing {

class FaultProxy {
 public:
  struct Faults {
    double refuse = 0;        // a new connection is closed at once
    double cut_request = 0;   // a client chunk is half forwarded, then both sides close
    double cut_response = 0;  // an upstream chunk is half forwarded, then both sides close
    double delay = 0;         // a chunk waits delay_ms before it is forwarded
    int delay_ms = 30;
    std::uint64_t seed = 1;
  };

  FaultProxy(std::uint16_t upstream_port, Faults faults)
      : upstream_(asio::ip::make_address("127.0.0.1"), upstream_port),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        faults_(faults), rng_(faults.seed) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FaultProxy() {
    asio::post(io_, [this] {
      asio::error_code ec;
      acceptor_.close(ec);
      io_.stop();
    });
    thread_.join();
  }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint64_t faults_injected() const { return injected_.load(); }

 private:
  struct Link : std::enable_shared_from_this<Link> {
    Link(FaultProxy& p, asio::ip::tcp::socket c)
        : proxy(p), client(std::move(c)), upstream(p.io_), timer(p.io_) {}
    FaultProxy& proxy;
    asio::ip::tcp::socket client;
    asio::ip::tcp::socket upstream;
    asio::steady_timer timer;
    std::array<char, 16384> up_buf{};
    std::array<char, 16384> down_buf{};

    void Close() {
      asio::error_code ec;
      client.close(ec);
      upstream.close(ec);
    }
    void Start() {
      upstream.async_connect(proxy.upstream_, [self = shared_from_this()](asio::error_code ec) {
        if (ec) return self->Close();
        self->Pump(self->client, self->upstream, self->up_buf, true);
        self->Pump(self->upstream, self->client, self->down_buf, false);
      });
    }
    void Pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, std::array<char, 16384>& buf,
              bool request) {
      from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf, request](
                                                  asio::error_code ec, std::size_t n) {
        if (ec) return self->Close();
        const double cut = request ? self->proxy.faults_.cut_request : self->proxy.faults_.cut_response;
        if (self->proxy.Roll(cut)) {
          // Half of it, then nothing more on this connection.
          asio::async_write(to, asio::buffer(buf.data(), std::max<std::size_t>(1, n / 2)),
                            [self](asio::error_code, std::size_t) { self->Close(); });
          return;
        }
        auto forward = [self, &from, &to, &buf, n, request] {
          asio::async_write(to, asio::buffer(buf.data(), n),
                            [self, &from, &to, &buf, request](asio::error_code e, std::size_t) {
                              if (e) return self->Close();
                              self->Pump(from, to, buf, request);
                            });
        };
        if (self->proxy.Roll(self->proxy.faults_.delay)) {
          // One timer per link: a held chunk in each direction at once is
          // rare enough that a second one simply goes out undelayed.
          self->timer.expires_after(std::chrono::milliseconds(self->proxy.faults_.delay_ms));
          self->timer.async_wait([forward](asio::error_code) { forward(); });
          return;
        }
        forward();
      });
    }
  };

  bool Roll(double p) {
    if (p <= 0) return false;
    std::lock_guard lock(mu_);
    const bool hit = std::uniform_real_distribution<double>(0, 1)(rng_) < p;
    if (hit) ++injected_;
    return hit;
  }

  void Accept() {
    acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      if (Roll(faults_.refuse)) {
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Link>(*this, std::move(socket))->Start();
      }
      Accept();
    });
  }

  asio::io_context io_;
  asio::ip::tcp::endpoint upstream_;
  asio::ip::tcp::acceptor acceptor_;
  Faults faults_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> injected_{0};
  std::thread thread_;
};

}  // namespace sa::testing
