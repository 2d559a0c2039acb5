// SPDX-License-Identifier: Apache-2.0
// oms-sim's only translation unit with RESTinio (its headers are heavy, and
// HTTP and HTTPS servers are two instantiations of the same template).
#include "http.hpp"  // sa_http: reason phrases

#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <restinio/all.hpp>
#include <restinio/tls.hpp>
#include <string_view>

#include "serve.hpp"

namespace sa::omssim {
namespace {

using RequestHandle = restinio::request_handle_t;
using json = nlohmann::ordered_json;

struct PlainTraits : public restinio::default_single_thread_traits_t {
  static constexpr bool use_connection_count_limiter = true;
};
struct TlsTraits : public restinio::single_thread_tls_traits_t<restinio::asio_timer_manager_t,
                                                               restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};
constexpr std::size_t kMaxConnections = 512;
// Above kMaxBodyBytes a body still gets a JSON 413 from the cloud; only
// beyond this does RESTinio drop the connection itself.
constexpr std::size_t kHardBodyCap = std::size_t{32} << 20;

// Thrown from the request handler to make RESTinio close the connection
// without any answer: the "drop" fault. RESTinio catches exceptions from a
// handler and closes that connection, which is exactly a dropped request.
struct DroppedOnPurpose : std::exception {
  const char* what() const noexcept override { return "fault injection: drop"; }
};

restinio::http_status_line_t StatusLine(int status) {
  return restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(status)},
      sa::http::ReasonPhrase(status)};
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

class Site {
 public:
  static inline std::int64_t clock_offset_ms = 0;  // set once by Serve, before any request

  Site(asio::io_context& io, Cloud& cloud, LogLevel level)
      : io_(io), cloud_(cloud), level_(level) {}

  void Log(LogLevel level, std::string_view msg, json fields = json::object()) const {
    if (level > level_) return;
    static constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
    json line{{"level", kNames[static_cast<int>(level)]}, {"msg", msg}};
    line.update(fields);
    std::fprintf(stderr, "%s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    std::fflush(stderr);
  }

  restinio::request_handling_status_t Handle(RequestHandle req) {
    const Request r = ToDomain(*req);
    const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
    if (StartsWith(path, "/sync/")) return HandleProtocol(std::move(req), r);
    const Reply reply = StartsWith(path, "/admin/") ? cloud_.Admin(r)
                        : StartsWith(path, "/crm/")
                            ? cloud_.Crm(r)
                            : ErrorReply(404, "not_found", "no such path: " + std::string(path));
    Send(*req, reply);
    Log(LogLevel::debug, "request",
        {{"method", r.method}, {"target", r.target}, {"status", reply.status}});
    return restinio::request_accepted();
  }

 private:
  restinio::request_handling_status_t HandleProtocol(RequestHandle req, const Request& r) {
    const Fault fault = cloud_.NextFault();
    if (fault == Fault::drop) {
      Log(LogLevel::info, "fault", {{"fault", "drop"}, {"method", r.method}, {"target", r.target}});
      throw DroppedOnPurpose();
    }
    if (fault == Fault::error) {
      Log(LogLevel::info, "fault",
          {{"fault", "error"}, {"method", r.method}, {"target", r.target}});
      Send(*req, ErrorReply(500, "injected", "fault injection: this request was not processed"));
      return restinio::request_accepted();
    }
    // Processed (and committed) before any cut or delay.
    const Reply reply = cloud_.Protocol(r);
    Log(LogLevel::debug, "request",
        {{"method", r.method}, {"target", r.target}, {"status", reply.status}});
    if (fault == Fault::cut) {
      Log(LogLevel::info, "fault", {{"fault", "cut"}, {"method", r.method}, {"target", r.target}});
      SendCut(*req, reply);
    } else if (fault == Fault::delay) {
      Log(LogLevel::info, "fault", {{"fault", "delay"}, {"delay_ms", cloud_.delay_ms()}});
      // A timer on the loop, not a sleep: other connections go on meanwhile.
      auto timer =
          std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(cloud_.delay_ms()));
      timer->async_wait([timer, req, reply](const asio::error_code&) { Send(*req, reply); });
    } else {
      Send(*req, reply);
    }
    return restinio::request_accepted();
  }

  static Request ToDomain(const restinio::request_t& req) {
    const auto& h = req.header();
    Request r;
    r.method = h.method().c_str();
    r.target = std::string(h.request_target());
    r.content_type = h.get_field_or(restinio::http_field::content_type, "");
    r.content_encoding = h.get_field_or(restinio::http_field::content_encoding, "");
    r.authorization = h.get_field_or(restinio::http_field::authorization, "");
    r.sa_store = h.get_field_or("X-SA-Store", "");
    r.sa_device = h.get_field_or("X-SA-Device", "");
    r.sa_timestamp = h.get_field_or("X-SA-Timestamp", "");
    r.sa_signature = h.get_field_or("X-SA-Signature", "");
    r.body = req.body();
    return r;
  }

  // Every answer, errors included, carries Date and X-SA-Server-Time (§2).
  template <class Builder>
  static void Headers(Builder& resp, const Reply& reply) {
    const auto now = std::chrono::system_clock::now() + std::chrono::milliseconds(clock_offset_ms);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    resp.append_header(restinio::http_field::content_type, "application/json");
    resp.append_header_date_field(now);
    resp.append_header("X-SA-Server-Time", std::to_string(ms));
    if (!reply.allow.empty()) resp.append_header(restinio::http_field::allow, reply.allow);
  }

  static void Send(restinio::request_t& req, const Reply& reply) {
    auto resp = req.create_response(StatusLine(reply.status));
    Headers(resp, reply);
    resp.set_body(reply.body);
    resp.done();
  }

  // The "cut" fault: the headers promise the whole body, half of it goes
  // out, and the connection closes.
  static void SendCut(restinio::request_t& req, const Reply& reply) {
    auto resp = req.create_response<restinio::user_controlled_output_t>(StatusLine(reply.status));
    Headers(resp, reply);
    resp.set_content_length(reply.body.size() + 1);
    resp.set_body(reply.body.substr(0, reply.body.size() / 2));
    resp.connection_close();
    resp.done();
  }

  asio::io_context& io_;
  Cloud& cloud_;
  LogLevel level_;
};

std::string UrlHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

template <class Traits, class Extra>
int Run(asio::io_context& io, Site& site, const ServeOptions& options, Extra&& extra,
        const std::function<void(const std::string&)>& ready) {
  std::uint16_t bound_port = 0;
  restinio::http_server_t<Traits> server(restinio::external_io_context(io), [&](auto& settings) {
    settings.address(options.host)
        .port(options.port)
        .request_handler([&site](RequestHandle req) { return site.Handle(std::move(req)); })
        .acceptor_post_bind_hook(
            [&bound_port](asio::ip::tcp::acceptor& a) { bound_port = a.local_endpoint().port(); })
        .incoming_http_msg_limits(
            restinio::incoming_http_msg_limits_t{}.max_body_size(kHardBodyCap))
        .max_parallel_connections(kMaxConnections)
        .read_next_http_message_timelimit(std::chrono::seconds(60))
        .write_http_response_timelimit(std::chrono::seconds(30))
        // Longer than the largest fault delay, so a delayed answer is
        // not cut by RESTinio's own guard.
        .handle_request_timeout(std::chrono::seconds(120));
    if (options.host.find(':') != std::string::npos)
      settings.protocol(restinio::asio_ns::ip::tcp::v6());
    extra(settings);
  });

  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    site.Log(LogLevel::info, "stopping", {{"signal", sig}});
    server.close_async([&io] { io.stop(); }, [&io](std::exception_ptr) { io.stop(); });
  });
  server.open_async(
      [&] {
        const std::string scheme = options.tls_cert.empty() ? "http://" : "https://";
        ready(scheme + UrlHost(options.host) + ":" + std::to_string(bound_port));
      },
      [&](std::exception_ptr ex) {
        const std::string what = WhatOf(ex);
        site.Log(LogLevel::error, "cannot listen on " + options.host + ":" +
                                      std::to_string(options.port) + ": " + what);
        exit_code = 1;
        io.stop();
      });
  io.run();
  return exit_code;
}

}  // namespace

int Serve(Cloud& cloud, const ServeOptions& options,
          const std::function<void(const std::string& url)>& ready) {
  asio::io_context io;
  Site::clock_offset_ms = options.clock_offset_ms;
  Site site(io, cloud, options.log_level);
  try {
    if (options.tls_cert.empty()) {
      return Run<PlainTraits>(
          io, site, options, [](auto&) {}, ready);
    }
    asio::ssl::context tls(asio::ssl::context::tls_server);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(options.tls_cert);
    tls.use_private_key_file(options.tls_key, asio::ssl::context::pem);
    return Run<TlsTraits>(
        io, site, options, [&tls](auto& settings) { settings.tls_context(std::move(tls)); }, ready);
  } catch (const std::exception& e) {
    site.Log(LogLevel::error, std::string("cannot serve: ") + e.what());
    return 1;
  }
}

}  // namespace sa::omssim
