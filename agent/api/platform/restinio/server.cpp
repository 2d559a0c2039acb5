// SPDX-License-Identifier: Apache-2.0
// The API's only translation unit with RESTinio (its headers are heavy): the
// HTTP(S) server on the agent's loop, RESTinio's router bound to the route
// table (routes.cpp), requests handed to the handlers as Exchanges, and the
// server-sent event streams of /v1/events.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <list>
#include <restinio/all.hpp>
#include <restinio/tls.hpp>
#include <variant>

#include "api.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

using Request = restinio::request_handle_t;
using Router = restinio::router::express_router_t<>;
// Single-threaded (the agent's one loop), with a cap on open connections;
// the same over TLS when Options carry a certificate. Only the server type
// differs: request handles and the chunked responses of /v1/events are the
// same types for both (RESTinio hides the socket behind connection_base_t).
struct Traits : public restinio::default_single_thread_traits_t {
  static constexpr bool use_connection_count_limiter = true;
};
struct TlsTraits : public restinio::single_thread_tls_traits_t<restinio::asio_timer_manager_t,
                                                               restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};
using HttpServer = restinio::http_server_t<Traits>;
using HttpsServer = restinio::http_server_t<TlsTraits>;
using AnyServer = std::variant<std::unique_ptr<HttpServer>, std::unique_ptr<HttpsServer>>;
using EventStream = restinio::response_builder_t<restinio::chunked_output_t>;
constexpr std::size_t kMaxConnections = 256;
constexpr std::size_t kMaxEventStreams = 64;  // screens in one store; more is a leak or an attack

// TLS 1.2's suites: forward secret (ECDHE) and AEAD only. TLS 1.3's are
// OpenSSL's defaults (all AEAD, all forward secret).
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

// The reason OpenSSL gives for `ec`, on one line; its error queue is cleared
// so nothing stale is blamed on a later connection.
std::string SslReason(const asio::error_code& ec) {
  std::string why = ec ? ec.message() : "unknown error";
  ::ERR_clear_error();
  for (char& c : why) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return why;
}

// The HTTPS server's context from PEM text: TLS 1.2+ only, the chain and a
// key that matches it. Nothing on success, else a one-line reason.
std::string MakeTlsContext(const std::string& cert_pem, const std::string& key_pem,
                           std::shared_ptr<asio::ssl::context>& out) {
  try {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    asio::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                     ec);
    if (ec) return "cannot set TLS options (" + SslReason(ec) + ")";
    SSL_CTX* native = ctx->native_handle();
    if (::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
      ::ERR_clear_error();
      return "cannot require TLS 1.2 or later";
    }
    std::uint64_t extra = SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION;
#ifdef SSL_OP_NO_RENEGOTIATION
    extra |= SSL_OP_NO_RENEGOTIATION;
#endif
    ::SSL_CTX_set_options(native, extra);
    if (::SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
      ::ERR_clear_error();
      return "cannot set the TLS 1.2 cipher suites";
    }
    // An encrypted key is refused, not prompted for on a terminal.
    ctx->set_password_callback(
        [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); }, ec);
    if (ec) return "cannot set up TLS (" + SslReason(ec) + ")";
    ctx->use_certificate_chain(asio::buffer(cert_pem), ec);
    if (ec) return "the TLS certificate chain does not load (" + SslReason(ec) + ")";
    ctx->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
    if (ec) {
      return "the TLS private key does not load or does not match the certificate (" +
             SslReason(ec) + "; an encrypted key is not supported)";
    }
    if (::SSL_CTX_check_private_key(native) != 1) {
      ::ERR_clear_error();
      return "the TLS private key does not match the certificate";
    }
    out = std::move(ctx);
    return {};
  } catch (const std::exception& e) {
    ::ERR_clear_error();
    return std::string("cannot set up TLS (") + e.what() + ")";
  }
}

// "/v1/sales/{id}/lines/{line_id}" -> "/v1/sales/:id/lines/:line_id" (RESTinio's
// express syntax), and the names of its params in order.
std::pair<std::string, std::vector<std::string>> ExpressPath(const Route& route) {
  std::string out;
  std::vector<std::string> names;
  std::string_view path = route.path;
  while (!path.empty()) {
    const auto open = path.find('{');
    out.append(path.substr(0, open));
    if (open == std::string_view::npos) break;
    const auto close = path.find('}', open);
    names.emplace_back(path.substr(open + 1, close - open - 1));
    out += ":" + names.back();
    path.remove_prefix(close + 1);
    if (path.empty() && route.rest_of_path) out += "(.*)";
  }
  return {out, names};
}

restinio::http_method_id_t MethodOf(std::string_view name) {
  if (name == "POST") return restinio::http_method_post();
  if (name == "DELETE") return restinio::http_method_delete();
  return restinio::http_method_get();
}

// A path RESTinio's router cannot normalize (a broken %-escape, bad UTF-8)
// is matched against the same table segment by segment, so that its
// handler refuses the bad id the way it refuses any other.
const Route* MatchBySegments(std::string_view method, std::string_view path,
                             std::vector<std::string>& params, std::string& allow, Access& access) {
  const auto segments = http::PathSegments(path);
  const Route* found = nullptr;
  for (const auto& route : Routes()) {
    const auto parts = http::PathSegments(route.path);
    if (parts.size() != segments.size()) continue;
    std::vector<std::string> values;
    bool same = true;
    for (std::size_t i = 0; i < parts.size() && same; ++i) {
      if (parts[i].front() == '{') {
        values.emplace_back(segments[i]);
      } else {
        same = parts[i] == segments[i];
      }
    }
    if (!same) continue;
    access = route.access;
    if (method == route.method) {
      params = std::move(values);
      found = &route;
    } else {
      allow += (allow.empty() ? "" : ", ") + std::string(route.method);
    }
  }
  return found;
}

}  // namespace

struct Server::Impl {
  Impl(loop::EventLoop& l, Options opts, const daemon::Log& lg)
      : loop(l),
        options(std::move(opts)),
        log(lg),
        events(options.sync,
               [this](std::string_view event, const std::string& data) { Broadcast(event, data); }),
        ping(l) {}

  loop::EventLoop& loop;
  Options options;
  const daemon::Log& log;
  Counters counters;
  EventHub events;
  std::unique_ptr<Context> context;  // from Start
  AnyServer server;
  std::uint16_t bound_port = 0;
  std::list<std::shared_ptr<EventStream>> streams;
  loop::Timer ping;
  bool stopping = false;

  // ---------------------------------------------------------- event streams

  void Broadcast(std::string_view event, const std::string& data) {
    if (streams.empty()) return;
    const std::string chunk = "event: " + std::string(event) + "\ndata: " + data + "\n\n";
    for (auto& s : streams) Write(s, chunk);
  }

  void Write(const std::shared_ptr<EventStream>& stream, const std::string& chunk) {
    std::weak_ptr<EventStream> weak = stream;
    stream->append_chunk(restinio::writable_item_t{chunk});
    stream->flush(
        [this, weak, life = std::weak_ptr<int>(context->alive)](const asio::error_code& ec) {
          if (ec && !life.expired()) Drop(weak);
        });
  }

  void Drop(const std::weak_ptr<EventStream>& weak) {
    const auto s = weak.lock();
    streams.remove_if([&](const auto& p) { return p == s; });
  }

  void KeepStreamsAlive() {
    ping.After(std::chrono::seconds(15), [this] {
      if (stopping) return;
      for (auto& s : streams) Write(s, ": ping\n\n");
      KeepStreamsAlive();
    });
  }

  bool OpenStream(const Request& req) {
    if (streams.size() >= kMaxEventStreams) return false;
    auto stream = std::make_shared<EventStream>(req->create_response<restinio::chunked_output_t>());
    stream->append_header(restinio::http_field::content_type, "text/event-stream");
    stream->append_header(restinio::http_field::cache_control, "no-cache");
    Write(stream, ": store-agent events\n\n");
    streams.push_back(std::move(stream));
    ++counters.responses_by_status[200];
    return true;
  }

  // ------------------------------------------------------------- requests

  class Call final : public Exchange {
   public:
    Call(Impl& server, Request req) : server_(server), req_(std::move(req)) {}
    std::string_view method() const override { return req_->header().method().c_str(); }
    std::string_view path() const override { return req_->header().path(); }
    std::string_view query() const override { return req_->header().query(); }
    const std::string& body() const override { return req_->body(); }
    std::string header(std::string_view name) const override {
      return std::string(req_->header().get_field_or(std::string(name), ""));
    }
    void Reply(Answer answer) override {
      if (answered_) return;
      answered_ = true;
      ++server_.counters.responses_by_status[answer.status];
      auto resp = req_->create_response(restinio::http_status_line_t{
          restinio::http_status_code_t{static_cast<std::uint16_t>(answer.status)},
          http::ReasonPhrase(answer.status)});
      resp.append_header(restinio::http_field::content_type, answer.content_type);
      // The store's language (store.locale), for storectl's human output,
      // unless a handler named the answer's own (none does yet).
      bool language = false;
      for (const auto& [name, value] : answer.headers) {
        resp.append_header(name, value);
        language = language || name == "Content-Language";  // our own answers spell it so
      }
      if (!language) {
        resp.append_header(restinio::http_field::content_language,
                           std::string(i18n::LocaleName(server_.options.locale)));
      }
      resp.set_body(std::move(answer.body));
      resp.done();
    }
    bool StreamEvents() override {
      if (answered_) return true;
      answered_ = server_.OpenStream(req_);
      return answered_;
    }

   private:
    Impl& server_;
    Request req_;
    bool answered_ = false;
  };

  restinio::request_handling_status_t Handle(Request req, const api::Route* route, Access access,
                                             const std::string& allow,
                                             std::vector<std::string> params) {
    auto call = std::make_shared<Call>(*this, std::move(req));
    call->params = std::move(params);
    Dispatch(*context, route, access, allow, call);
    return restinio::request_accepted();
  }

  // Each path of the table, in the table's order (a literal path such as
  // /v1/stock/receive comes before /v1/stock/{gtin}, which would take it):
  // its methods' handlers, then any other method's 405 with those it takes.
  std::unique_ptr<Router> MakeRouter() {
    auto router = std::make_unique<Router>();
    const auto sensitive = restinio::path2regex::options_t{}.sensitive(true);
    std::vector<std::string> paths;
    std::map<std::string, std::vector<const api::Route*>> by_path;
    for (const auto& route : Routes()) {
      const std::string express = ExpressPath(route).first;
      if (!by_path.count(express)) paths.push_back(express);
      by_path[express].push_back(&route);
    }
    for (const auto& express : paths) {
      const auto& group = by_path[express];
      restinio::router::dynamic_none_of_methods_matcher_t others;
      std::string allow;
      for (const api::Route* r : group) {
        router->add_handler(MethodOf(r->method), express, sensitive,
                            [this, r, names = ExpressPath(*r).second](
                                Request req, restinio::router::route_params_t p) {
                              std::vector<std::string> params;
                              for (const auto& name : names) params.emplace_back(p[name]);
                              return Handle(std::move(req), r, r->access, "", std::move(params));
                            });
        others.add(MethodOf(r->method));
        allow += (allow.empty() ? "" : ", ") + std::string(r->method);
      }
      router->add_handler(std::move(others), express, sensitive,
                          [this, access = group.front()->access, allow](
                              Request req, restinio::router::route_params_t) {
                            return Handle(std::move(req), nullptr, access, allow, {});
                          });
    }
    router->non_matched_request_handler([this](Request req) { return Unrouted(std::move(req)); });
    return router;
  }

  // No route matched: 404 (after the checks every request passes).
  restinio::request_handling_status_t Unrouted(Request req) {
    return Handle(std::move(req), nullptr, Access::caller, "", {});
  }

  // RESTinio's router first; a path it cannot normalize (a broken
  // %-escape throws there) goes through MatchBySegments.
  restinio::request_handling_status_t Serve(const Router& router, Request req) {
    try {
      return router(req);
    } catch (const std::exception&) {
      std::vector<std::string> params;
      std::string allow;
      Access access = Access::caller;
      const api::Route* route = MatchBySegments(req->header().method().c_str(),
                                                req->header().path(), params, allow, access);
      return Handle(std::move(req), route, route ? route->access : access, allow,
                    std::move(params));
    }
  }
};

Server::Server(loop::EventLoop& loop, Options options, const daemon::Log& log)
    : impl_(std::make_unique<Impl>(loop, std::move(options), log)) {}

Server::~Server() = default;

terminals::Listener& Server::listener() { return impl_->events; }

namespace {

// Either server type, set up alike; `tune` adds what only one of them has
// (the TLS context).
template <class S, class Tune>
std::unique_ptr<S> MakeServer(Server::Impl& d, Tune tune) {
  // RESTinio's own cap drops a connection outright; below it, oversized
  // bodies get a JSON 413 from Dispatch.
  const std::size_t hard_cap = std::max<std::size_t>(d.options.max_body_bytes * 4, 1 << 20);
  return std::make_unique<S>(
      restinio::external_io_context(d.loop.io()), [&d, hard_cap, &tune](auto& settings) {
        settings.address(d.options.host)
            .port(d.options.port)
            .request_handler([&d, router = std::shared_ptr<Router>(d.MakeRouter())](Request req) {
              return d.Serve(*router, std::move(req));
            })
            .acceptor_post_bind_hook([&d](asio::ip::tcp::acceptor& acceptor) {
              d.bound_port = acceptor.local_endpoint().port();
            })
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_body_size(hard_cap)
                                          .max_url_size(8192)
                                          .max_field_count(100)
                                          .max_field_value_size(8192))
            .max_parallel_connections(kMaxConnections)
            .read_next_http_message_timelimit(std::chrono::seconds(15))
            .write_http_response_timelimit(std::chrono::seconds(15))
            .handle_request_timeout(std::chrono::seconds(30));
        tune(settings);
      });
}

}  // namespace

void Server::Start(Parts parts, std::function<void(std::uint16_t)> ready,
                   std::function<void(std::string)> failed) {
  Impl& d = *impl_;
  d.context = std::make_unique<Context>(Context{d.loop, d.options, d.log, parts, d.events,
                                                d.counters, [&d] { return d.streams.size(); },
                                                std::chrono::steady_clock::now()});
  if (d.options.tls_cert_pem.empty() != d.options.tls_key_pem.empty()) {
    return d.loop.Post([failed = std::move(failed)] {
      failed("HTTPS needs both a certificate and its private key");
    });
  }
  if (d.options.tls_cert_pem.empty()) {
    d.server = MakeServer<HttpServer>(d, [](auto&) {});
  } else {
    std::shared_ptr<asio::ssl::context> tls;
    std::string why = MakeTlsContext(d.options.tls_cert_pem, d.options.tls_key_pem, tls);
    // The key lives on in the TLS context only.
    ::OPENSSL_cleanse(d.options.tls_key_pem.data(), d.options.tls_key_pem.size());
    d.options.tls_key_pem.clear();
    if (!why.empty())
      return d.loop.Post([failed = std::move(failed), why = std::move(why)] { failed(why); });
    d.server = MakeServer<HttpsServer>(d, [&tls](auto& settings) { settings.tls_context(tls); });
  }
  std::visit(
      [&d, &ready, &failed](auto& server) {
        server->open_async(
            [&d, ready = std::move(ready)] {
              d.KeepStreamsAlive();
              ready(d.bound_port);
            },
            [failed = std::move(failed)](std::exception_ptr ex) { failed(WhatOf(ex)); });
      },
      d.server);
}

void Server::Stop(std::function<void()> stopped) {
  Impl& d = *impl_;
  d.stopping = true;
  d.ping.Cancel();
  d.streams.clear();
  std::visit(
      [&stopped](auto& server) {
        if (!server) return stopped();
        server->close_async([stopped] { stopped(); }, [stopped](std::exception_ptr) { stopped(); });
      },
      d.server);
}

}  // namespace sa::api
