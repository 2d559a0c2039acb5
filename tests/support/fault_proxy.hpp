// SPDX-License-Identifier: Apache-2.0
// A faulty network between the agent and its cloud, for tests: a TCP proxy on
// 127.0.0.1 that, per connection or per chunk and from a seeded PRNG, refuses
// connections, cuts a request half-way (the cloud sees a truncated request),
// cuts an answer half-way (the cloud acted, the agent cannot know), holds a
// chunk back for a while, resets a connection mid-body (RST, as a NAT box
// that forgot the flow does), truncates an answer and closes cleanly (FIN: a
// proxy that gave up), or sends a request to the cloud a second time on a
// fresh connection (a retransmitting middlebox; its answer goes nowhere).
// It knows almost nothing of HTTP (only enough to count requests and to
// tell where one ends): these are the failures of a shop's DSL line, not of
// a server.
#pragma once

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>

namespace sa::testing {

class FaultProxy {
 public:
  // Probabilities per connection (refuse), per chunk (cut, delay, reset,
  // truncate) or per request (duplicate). A kind left at 0 draws nothing from
  // the PRNG, so adding kinds does not move an existing user's schedule.
  struct Faults {
    double refuse = 0;        // a new connection is closed at once
    double cut_request = 0;   // a client chunk is half forwarded, then both sides close
    double cut_response = 0;  // an upstream chunk is half forwarded, then both sides close
    double delay = 0;         // a chunk waits delay_ms before it is forwarded
    int delay_ms = 30;
    std::uint64_t seed = 1;
    double reset = 0;  // a chunk (either way) is partly forwarded, then both sides get RST
    double truncate =
        0;  // an upstream chunk is forwarded up to a random byte, then FIN to the client
    double duplicate = 0;  // a request is sent to the upstream once more on a fresh connection
  };

  enum Kind { kRefuse, kCutRequest, kCutResponse, kDelay, kReset, kTruncate, kDuplicate, kKinds };
  static constexpr std::array<const char*, kKinds> kKindNames{
      "refuse", "cut_request", "cut_response", "delay", "reset", "truncate", "duplicate"};

  FaultProxy(std::uint16_t upstream_port, Faults faults)
      : upstream_(asio::ip::make_address("127.0.0.1"), upstream_port),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        faults_(faults),
        rng_(faults.seed) {
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
  std::uint64_t faults(Kind kind) const { return per_kind_[kind].load(); }
  // Requests the client began through the proxy: client chunks that start
  // with an HTTP method (the proxy's own duplicates are not counted).
  std::uint64_t requests() const { return requests_.load(); }
  // "refuse=3 cut_request=1 ..." for a test's summary line.
  std::string FaultSummary() const {
    std::string out;
    for (int k = 0; k < kKinds; ++k) {
      out += (out.empty() ? "" : " ") + std::string(kKindNames[k]) + "=" +
             std::to_string(faults(Kind(k)));
    }
    return out;
  }

 private:
  static constexpr std::size_t kMaxRequestBytes = 8u << 20;  // larger requests are not duplicated

  static bool StartsWithMethod(std::string_view chunk) {
    for (const char* m : {"GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "PATCH ", "OPTIONS "}) {
      if (chunk.substr(0, std::strlen(m)) == m) return true;
    }
    return false;
  }

  // A request sent again to the upstream on a connection of its own. Its
  // answer is read (so the upstream finishes the request) and dropped.
  struct Replay : std::enable_shared_from_this<Replay> {
    Replay(FaultProxy& p, std::string b)
        : proxy(p), socket(p.io_), timer(p.io_), bytes(std::move(b)) {}
    FaultProxy& proxy;
    asio::ip::tcp::socket socket;
    asio::steady_timer timer;
    std::string bytes;
    std::array<char, 4096> sink{};

    void Close() {
      asio::error_code ec;
      socket.close(ec);
      timer.cancel();
    }
    void Start() {
      // A safety net for an upstream that never answers; not a schedule.
      timer.expires_after(std::chrono::seconds(30));
      timer.async_wait([self = shared_from_this()](asio::error_code ec) {
        if (!ec) self->Close();
      });
      socket.async_connect(proxy.upstream_, [self = shared_from_this()](asio::error_code ec) {
        if (ec) return self->Close();
        asio::async_write(self->socket, asio::buffer(self->bytes),
                          [self](asio::error_code e, std::size_t) {
                            if (e) return self->Close();
                            self->Drain();
                          });
      });
    }
    // Until the upstream closes or the answer has begun: once it answers,
    // it has acted on the request.
    void Drain() {
      socket.async_read_some(
          asio::buffer(sink),
          [self = shared_from_this()](asio::error_code, std::size_t) { self->Close(); });
    }
  };

  struct Link : std::enable_shared_from_this<Link> {
    Link(FaultProxy& p, asio::ip::tcp::socket c)
        : proxy(p), client(std::move(c)), upstream(p.io_), timer(p.io_) {}
    FaultProxy& proxy;
    asio::ip::tcp::socket client;
    asio::ip::tcp::socket upstream;
    asio::steady_timer timer;
    std::array<char, 16384> up_buf{};
    std::array<char, 16384> down_buf{};
    // The client's bytes since its last request began, while the upstream
    // has not answered yet: what a duplicate sends again.
    std::string request;

    void Close() {
      asio::error_code ec;
      client.close(ec);
      upstream.close(ec);
    }
    // Abortive close: linger 0 makes close() send RST instead of FIN.
    void Reset() {
      asio::error_code ec;
      for (auto* s : {&client, &upstream}) {
        s->set_option(asio::socket_base::linger(true, 0), ec);
        s->close(ec);
      }
    }
    // Orderly close towards the client (FIN after what was written).
    void Finish() {
      asio::error_code ec;
      client.shutdown(asio::socket_base::shutdown_send, ec);
      Close();
    }
    void Start() {
      upstream.async_connect(proxy.upstream_, [self = shared_from_this()](asio::error_code ec) {
        if (ec) return self->Close();
        self->Pump(self->client, self->upstream, self->up_buf, true);
        self->Pump(self->upstream, self->client, self->down_buf, false);
      });
    }
    // What the client sent, seen before it is forwarded: count requests and
    // keep their bytes for a duplicate.
    void SawRequestChunk(std::string_view chunk) {
      const bool begins = StartsWithMethod(chunk);
      if (begins) ++proxy.requests_;
      if (proxy.faults_.duplicate <= 0) return;
      if (begins) request.clear();
      if (request.size() + chunk.size() <= kMaxRequestBytes) {
        request.append(chunk);
      } else {
        request.clear();
        request.shrink_to_fit();
      }
    }
    // The upstream began to answer: the request is complete (the agent
    // sends no Expect: 100-continue, but a 100 would not end it).
    void SawAnswerChunk(std::string_view chunk) {
      if (request.empty() || chunk.substr(0, 12) == "HTTP/1.1 100") return;
      if (proxy.Roll(proxy.faults_.duplicate, kDuplicate)) {
        std::make_shared<Replay>(proxy, std::move(request))->Start();
      }
      request.clear();
    }
    void Pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, std::array<char, 16384>& buf,
              bool request_side) {
      from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf,
                                               request_side](asio::error_code ec, std::size_t n) {
        if (ec) return self->Close();
        const std::string_view chunk(buf.data(), n);
        if (request_side) {
          self->SawRequestChunk(chunk);
        } else {
          self->SawAnswerChunk(chunk);
        }
        FaultProxy& px = self->proxy;
        const Faults& f = px.faults_;
        if (px.Roll(request_side ? f.cut_request : f.cut_response,
                    request_side ? kCutRequest : kCutResponse)) {
          // Half of it, then nothing more on this connection.
          asio::async_write(to, asio::buffer(buf.data(), std::max<std::size_t>(1, n / 2)),
                            [self](asio::error_code, std::size_t) { self->Close(); });
          return;
        }
        if (px.Roll(f.reset, kReset)) {
          // Some of it (possibly nothing), then RST both ways: mid-body.
          const std::size_t part = px.Below(n);
          asio::async_write(to, asio::buffer(buf.data(), part),
                            [self](asio::error_code, std::size_t) { self->Reset(); });
          return;
        }
        if (!request_side && px.Roll(f.truncate, kTruncate)) {
          // A random prefix of the answer, then a clean end of stream.
          const std::size_t part = px.Below(n);
          asio::async_write(to, asio::buffer(buf.data(), part),
                            [self](asio::error_code, std::size_t) { self->Finish(); });
          return;
        }
        auto forward = [self, &from, &to, &buf, n, request_side] {
          asio::async_write(
              to, asio::buffer(buf.data(), n),
              [self, &from, &to, &buf, request_side](asio::error_code e, std::size_t) {
                if (e) return self->Close();
                self->Pump(from, to, buf, request_side);
              });
        };
        if (px.Roll(f.delay, kDelay)) {
          // One timer per link: a held chunk in each direction at once is
          // rare enough that a second one simply goes out undelayed.
          self->timer.expires_after(std::chrono::milliseconds(f.delay_ms));
          self->timer.async_wait([forward](asio::error_code) { forward(); });
          return;
        }
        forward();
      });
    }
  };

  bool Roll(double p, Kind kind) {
    if (p <= 0) return false;
    std::lock_guard lock(mu_);
    const bool hit = std::uniform_real_distribution<double>(0, 1)(rng_) < p;
    if (hit) {
      ++injected_;
      ++per_kind_[kind];
    }
    return hit;
  }
  // A seeded number in [0, n).
  std::size_t Below(std::size_t n) {
    if (n <= 1) return 0;
    std::lock_guard lock(mu_);
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  void Accept() {
    acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      if (Roll(faults_.refuse, kRefuse)) {
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
  std::array<std::atomic<std::uint64_t>, kKinds> per_kind_{};
  std::atomic<std::uint64_t> requests_{0};
  std::thread thread_;
};

}  // namespace sa::testing
