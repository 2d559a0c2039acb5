// SPDX-License-Identifier: Apache-2.0
// A cloud that answers well-formed JSON with fields of the wrong type. The
// sync_response fuzzer found that the sync worker read such fields with
// nlohmann's throwing value(), so one answer like {"status":7} ended the
// worker thread and with it the daemon (invariant 9: never crash on input).
// These are those inputs as regression tests against the real daemon: a
// scripted cloud on 127.0.0.1 answers register, push and pull; the agent
// must keep selling, keep its events, and say the cycle failed.
#include <asio.hpp>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>

#include "cloud_support.hpp"

using namespace sa::testing;

namespace {

// One HTTP/1.1 answer per connection; the body by path prefix.
class ScriptedCloud {
 public:
  ScriptedCloud(std::string push_answer, std::string pull_answer)
      : push_(std::move(push_answer)),
        pull_(std::move(pull_answer)),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedCloud() {
    asio::post(io_, [this] {
      asio::error_code ec;
      acceptor_.close(ec);
      io_.stop();
    });
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int pushes() const { return pushes_; }
  int pulls() const { return pulls_; }

 private:
  struct Exchange : std::enable_shared_from_this<Exchange> {
    Exchange(ScriptedCloud& c, asio::ip::tcp::socket s) : cloud(c), socket(std::move(s)) {}
    ScriptedCloud& cloud;
    asio::ip::tcp::socket socket;
    asio::streambuf in;
    std::string request;
    std::string answer;

    void Start() {
      asio::async_read_until(
          socket, in, "\r\n\r\n", [self = shared_from_this()](asio::error_code ec, std::size_t n) {
            if (ec) return;
            self->request.assign(asio::buffers_begin(self->in.data()),
                                 asio::buffers_begin(self->in.data()) + n);
            self->in.consume(n);
            std::size_t length = 0;
            for (const char* name : {"Content-Length: ", "content-length: "}) {
              if (auto at = self->request.find(name); at != std::string::npos) {
                length = std::stoul(self->request.substr(at + std::strlen(name)));
              }
            }
            const std::size_t have = self->in.size();
            asio::async_read(self->socket, self->in,
                             asio::transfer_exactly(length > have ? length - have : 0),
                             [self](asio::error_code e, std::size_t) {
                               if (!e) self->Answer();
                             });
          });
    }
    void Answer() {
      std::string body = "{}";
      if (request.find("/sync/v1/events") != std::string::npos) {
        body = cloud.push_;
        ++cloud.pushes_;
      } else if (request.find("/sync/v1/changes") != std::string::npos) {
        body = cloud.pull_;
        ++cloud.pulls_;
      }
      answer =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: "
          "close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      asio::async_write(socket, asio::buffer(answer),
                        [self = shared_from_this()](asio::error_code, std::size_t) {
                          asio::error_code ignored;
                          self->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                        });
    }
  };

  void Accept() {
    acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      std::make_shared<Exchange>(*this, std::move(socket))->Start();
      Accept();
    });
  }

  std::string push_;
  std::string pull_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<int> pushes_{0};
  std::atomic<int> pulls_{0};
  std::thread thread_;
};

// Syncs twice against `cloud` (after a sale when `sell_first`: a push goes
// out; else the outbox is empty and the cycle goes straight to its pull),
// and checks the agent lived through it and still sells.
void SyncAndSurvive(ScriptedCloud& cloud, bool sell_first) {
  Agent agent({.cloud_url = cloud.url()});
  if (sell_first) REQUIRE(agent.SellUnit(kTea, "BAD-CLOUD-1").status == 200);
  for (int round = 0; round < 2; ++round) {
    const json r = agent.SyncNow();  // answered: the worker is alive
    INFO(r.dump());
    if (sell_first) CHECK(r.value("ok", true) == false);  // the cloud acknowledged nothing
  }
  CHECK(agent.api().Get("/v1/health").status == 200);
  CHECK(agent.SellUnit(kTea, "BAD-CLOUD-2").status == 200);
  // Nothing was acknowledged by such an answer: every sale still waits.
  CHECK(agent.SyncStatus().at("pending_events").get<int>() >= (sell_first ? 2 : 1));
}

}  // namespace

TEST_CASE("bad cloud: a push answer whose result status is a number does not stop sync",
          "[reliability][sync][fuzz_regression]") {
  ScriptedCloud cloud(R"({"acked_seq":0,"results":[{"status":7,"seq":"x","error":{"code":5}}]})",
                      R"({"changes":[],"cursor":0})");
  SyncAndSurvive(cloud, true);
  CHECK(cloud.pushes() >= 2);
}

TEST_CASE("bad cloud: a pulled change whose type is a number does not stop sync",
          "[reliability][sync][fuzz_regression]") {
  ScriptedCloud cloud(R"({"acked_seq":0,"results":[]})",
                      R"({"changes":[{"cursor":1,"type":5}],"cursor":1,"more":"yes"})");
  SyncAndSurvive(cloud, false);
  CHECK(cloud.pulls() >= 2);
}
