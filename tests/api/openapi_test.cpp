// SPDX-License-Identifier: Apache-2.0
// docs/openapi.json against the server, both ways: every route the server
// binds is documented with its method, every documented operation is a
// route and answers on the real daemon (not a 404 for an unknown route, not
// a 405, never a 5xx), every error code it answers with is listed in the
// operation's x-error-codes under its status, and every listed code is one
// the agent's code can give.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "agent_process.hpp"
#include "event_stream.hpp"
#include "routes.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {

json Document() {
  std::ifstream in(SA_OPENAPI);
  REQUIRE(in);
  return json::parse(in);
}

// "POST /v1/sales/{id}/scans" for each operation of the document.
std::set<std::string> Documented(const json& doc) {
  std::set<std::string> out;
  for (const auto& [path, ops] : doc.at("paths").items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method == "parameters") continue;
      std::string m = method;
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(m + " " + path);
    }
  }
  return out;
}

std::set<std::string> Served() {
  std::set<std::string> out;
  for (const auto& route : sa::api::Routes())
    out.insert(std::string(route.method) + " " + route.path);
  return out;
}

// Every string literal of snake_case shape in the agent's sources: the codes
// an error can carry are among them.
std::set<std::string> LiteralsInSources() {
  std::set<std::string> out;
  const std::regex literal("\"([a-z][a-z0-9_]*)\"");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(SA_AGENT_SOURCES)) {
    const auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it)
      out.insert((*it)[1]);
  }
  return out;
}

// A documented path with its {params} filled with values the routes take
// (unknown ids: the answer is then the route's own not-found).
std::string Filled(const std::string& path) {
  static const std::map<std::string, std::string> kValues = {{"{id}", "nope"},
                                                             {"{t}", "till-9"},
                                                             {"{gtin}", "06950123450005"},
                                                             {"{line_id}", "1"},
                                                             {"{file}", "app.css"}};
  std::string out = path;
  for (const auto& [param, value] : kValues) {
    for (auto at = out.find(param); at != std::string::npos; at = out.find(param))
      out.replace(at, param.size(), value);
  }
  return out;
}

}  // namespace

TEST_CASE("every route is documented and every documented operation is a route", "[api][openapi]") {
  const json doc = Document();
  CHECK(doc.at("openapi").get<std::string>().rfind("3.", 0) == 0);
  const auto documented = Documented(doc);
  const auto served = Served();
  for (const auto& op : served) {
    INFO(op << " is served");
    CHECK(documented.count(op) == 1);
  }
  for (const auto& op : documented) {
    INFO(op << " is documented");
    CHECK(served.count(op) == 1);
  }
}

TEST_CASE("every documented error code is one the agent can give", "[api][openapi]") {
  const json doc = Document();
  const auto literals = LiteralsInSources();
  for (const auto& [path, ops] : doc.at("paths").items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method == "parameters") continue;
      INFO(method << " " << path);
      REQUIRE(op.contains("x-error-codes"));
      for (const auto& [status, codes] : op.at("x-error-codes").items()) {
        CHECK(std::stoi(status) >= 400);
        for (const auto& code : codes) {
          INFO("code " << code.get<std::string>());
          CHECK(literals.count(code.get<std::string>()) == 1);
        }
      }
    }
  }
}

TEST_CASE("every documented operation answers on the real daemon, with documented codes",
          "[api][openapi]") {
  sa::testing::TempDir temp("sa-openapi");
  sa::testing::AgentProcess agent(
      SA_STORE_AGENT, {"--demo", "--data-dir", temp.path().string(), "--listen", "127.0.0.1:0"});
  sa::testing::Api api;
  api.url = agent.WaitReady();
  REQUIRE_FALSE(api.url.empty());
  api.token = sa::testing::Trimmed(sa::testing::Slurp((temp.path() / "api-token").string()));
  const json doc = Document();
  for (const auto& [path, ops] : doc.at("paths").items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method == "parameters") continue;
      const std::string target = Filled(path);
      INFO(method << " " << target);
      if (path == "/v1/events") {  // a stream: it answers by staying open
        sa::testing::EventStreamClient events(api);
        CHECK(events.WaitFor([](const std::string& data) {
          return data.find("store-agent events") != std::string::npos;
        }));
        continue;
      }
      std::string m = method;
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const auto reply = sa::testing::Http(
          m, api.url + target, m == "POST" ? "{}" : "",
          {"Authorization: Bearer " + api.token, "Content-Type: application/json"});
      INFO("answer " << reply.status << " " << reply.body.substr(0, 300));
      REQUIRE(reply.status > 0);
      CHECK(reply.status < 500);
      CHECK(reply.status != 405);
      if (reply.status < 400) continue;
      const json body = json::parse(reply.body, nullptr, false);
      REQUIRE(body.is_object());
      const std::string code = body.at("error").at("code");
      CHECK(code != "not_found");  // the route exists
      const auto& listed = op.at("x-error-codes");
      const std::string status = std::to_string(reply.status);
      INFO("code " << code);
      REQUIRE(listed.contains(status));
      const auto& codes = listed.at(status);
      CHECK(std::find(codes.begin(), codes.end(), code) != codes.end());
    }
  }
}
