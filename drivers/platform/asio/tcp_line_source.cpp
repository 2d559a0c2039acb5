// SPDX-License-Identifier: Apache-2.0
#include <asio.hpp>
#include <list>

#include "crypto.hpp"
#include "drivers.hpp"

namespace sa::drivers {
namespace {
constexpr std::size_t kMaxLine = 4096;
}

struct TcpLineSource::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, OnScan cb) : io(io_), acceptor(io_), on_scan(std::move(cb)) {}

  struct Client {
    explicit Client(asio::io_context& io_) : socket(io_) {}
    asio::ip::tcp::socket socket;
    asio::streambuf buffer{kMaxLine + 1};
    std::string name;
    bool discarding = false;  // inside a line that was over kMaxLine
    bool admitted = false;    // sent the token (or none is asked)
  };

  asio::io_context& io;
  asio::ip::tcp::acceptor acceptor;
  OnScan on_scan;
  std::list<std::shared_ptr<Client>> clients;
  bool closed = false;
  std::string id;  // "" = each client's peer address
  std::string terminal;
  std::string token;  // "" = none asked
  std::string listening;
  std::uint64_t scans = 0;
  std::uint64_t dropped = 0;  // clients cut off for a missing or wrong token

  ScanEvent Event(const Client& client, std::string payload) {
    ++scans;
    return ScanEvent{id.empty() ? client.name : id, terminal, "", std::move(payload),
                     SystemClock().now_ms()};
  }

  void Accept() {
    auto client = std::make_shared<Client>(io);
    acceptor.async_accept(
        client->socket, [self = shared_from_this(), client](const asio::error_code& ec) {
          if (ec || self->closed) return;
          asio::error_code peer_ec;
          const auto peer = client->socket.remote_endpoint(peer_ec);
          client->name =
              "tcp:" + (peer_ec ? std::string("?")
                                : peer.address().to_string() + ":" + std::to_string(peer.port()));
          client->admitted = self->token.empty();
          self->clients.push_back(client);
          self->Read(client);
          self->Accept();
        });
  }

  void Drop(const std::shared_ptr<Client>& client) {
    ++dropped;
    asio::error_code ec;
    client->socket.close(ec);
    clients.remove(client);
  }

  // Resumes reading `client` once its last scan was handled.
  std::function<void()> Next(const std::shared_ptr<Client>& client) {
    return [weak = weak_from_this(), client] {
      if (auto self = weak.lock(); self && !self->closed) self->Read(client);
    };
  }

  void Read(const std::shared_ptr<Client>& client) {
    asio::async_read_until(
        client->socket, client->buffer, '\n',
        [self = shared_from_this(), client](const asio::error_code& ec, std::size_t n) {
          if (self->closed) return;
          if (ec == asio::error::not_found) {
            // Over kMaxLine without a line end: report it as a scan (the
            // parser refuses it as too large) and skip to the next line.
            const auto data = client->buffer.data();
            std::string head(asio::buffers_begin(data), asio::buffers_end(data));
            client->buffer.consume(client->buffer.size());
            const bool report = !client->discarding;
            client->discarding = true;
            if (!client->admitted) return self->Drop(client);
            if (report) {
              self->on_scan(self->Event(*client, std::move(head)), self->Next(client));
            } else {
              self->Read(client);
            }
            return;
          }
          if (ec) {  // EOF or a reset
            self->clients.remove(client);
            return;
          }
          std::string line(
              asio::buffers_begin(client->buffer.data()),
              asio::buffers_begin(client->buffer.data()) + static_cast<std::ptrdiff_t>(n));
          client->buffer.consume(n);
          if (client->discarding) {  // the rest of an over-long line
            client->discarding = false;
            self->Read(client);
            return;
          }
          while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
          if (!client->admitted) {
            // The first line must be "TOKEN <token>"; anything else ends the connection.
            constexpr std::string_view kPrefix = "TOKEN ";
            if (line.size() <= kPrefix.size() || line.compare(0, kPrefix.size(), kPrefix) != 0 ||
                !crypto::ConstantTimeEqual(std::string_view(line).substr(kPrefix.size()),
                                           self->token)) {
              return self->Drop(client);
            }
            client->admitted = true;
            return self->Read(client);
          }
          if (line.empty()) return self->Read(client);
          self->on_scan(self->Event(*client, std::move(line)), self->Next(client));
        });
  }
};

TcpLineSource::TcpLineSource(loop::EventLoop& loop, OnScan on_scan)
    : impl_(std::make_shared<Impl>(loop.io(), std::move(on_scan))) {}

TcpLineSource::~TcpLineSource() { Close(); }

void TcpLineSource::set_id(std::string id, std::string terminal) {
  impl_->id = std::move(id);
  impl_->terminal = std::move(terminal);
}

void TcpLineSource::set_token(std::string token) { impl_->token = std::move(token); }

SourceStatus TcpLineSource::status() const {
  SourceStatus s;
  s.id = impl_->id.empty() ? "tcp" : impl_->id;
  s.type = "tcp";
  s.terminal = impl_->terminal;
  s.path = impl_->listening;
  s.connected = !impl_->closed && impl_->acceptor.is_open();
  s.scans = impl_->scans;
  s.dropped = impl_->dropped;
  return s;
}

Expected<std::uint16_t> TcpLineSource::Listen(const std::string& host, std::uint16_t port) {
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return MakeError(ErrorKind::invalid_request, "bad_listen", "not an IP address: " + host);
  }
  const asio::ip::tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(
        ErrorKind::internal, "cannot_listen",
        "scanner cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  impl_->Accept();
  const auto bound = impl_->acceptor.local_endpoint().port();
  impl_->listening = host + ":" + std::to_string(bound);
  return bound;
}

void TcpLineSource::Close() {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  asio::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& c : impl_->clients) c->socket.close(ec);
  impl_->clients.clear();
}

}  // namespace sa::drivers
