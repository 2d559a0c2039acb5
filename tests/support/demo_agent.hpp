// SPDX-License-Identifier: Apache-2.0
// The real store-agent --demo on 127.0.0.1:0 in a temp data dir, for the
// tests of its HTTP API: the API token and the demo's brand and member keys
// read back from that dir, and what those tests do to it (a signed label, a
// member code, a sale opened, a scan) and read in its answers (an error's
// code). SA_STORE_AGENT is the daemon's path; the test's target defines it.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "codes.hpp"
#include "crypto.hpp"
#include "support.hpp"

namespace sa::testing {

// store-agent's arguments for the demo store in `dir` on 127.0.0.1:0, then `extra`.
inline std::vector<std::string> DemoArgs(const std::filesystem::path& dir,
                                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--demo", "--data-dir", dir.string(), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct DemoAgent {
  // `prefix` names the data dir; `extra` are more arguments for the daemon.
  explicit DemoAgent(const char* prefix = "sa-agent", const std::vector<std::string>& extra = {})
      : temp(prefix), agent(SA_STORE_AGENT, DemoArgs(temp.path(), extra)) {
    api.url = agent.WaitReady();
    REQUIRE_FALSE(api.url.empty());
    api.token = Trimmed(Slurp((temp.path() / "api-token").string()));
    brand =
        crypto::SigningKey::FromPem(Slurp((temp.path() / "demo/brand.key.pem").string())).value();
    member =
        crypto::SigningKey::FromPem(Slurp((temp.path() / "demo/member.key.pem").string())).value();
  }

  // A Digital Link label of this unit, signed with the demo brand key.
  std::string Label(const std::string& gtin, const std::string& serial) const {
    return codes::MakeDigitalLink("id.brand.example", gtin, serial,
                                  codes::SignLabel(gtin, serial, brand));
  }
  // A member code of `id` minted at `at_s` (Unix seconds) with the demo member key.
  std::string MemberCode(const std::string& id, std::int64_t at_s) const {
    return codes::MakeMemberCode(id, at_s, member);
  }
  // A new open sale's id (POST /v1/sales with the API token).
  std::string OpenSale() {
    auto r = api.Post("/v1/sales", "{}");
    REQUIRE(r.status == 201);
    return r.json()["id"];
  }
  HttpReply Scan(const std::string& sale, const std::string& payload) {
    return api.Post("/v1/sales/" + sale + "/scans", nlohmann::json{{"payload", payload}}.dump());
  }

  TempDir temp;
  AgentProcess agent;
  Api api;
  crypto::SigningKey brand = crypto::SigningKey::Generate();
  crypto::SigningKey member = crypto::SigningKey::Generate();
};

// An error answer: the status, and the docs/design.md shape {"error":{"code","message"}}.
inline std::string ErrorCode(const HttpReply& r, long status) {
  INFO("body: " << r.body);
  CHECK(r.status == status);
  const nlohmann::json j = r.json();
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  CHECK(j["error"]["message"].is_string());
  return j["error"]["code"];
}

}  // namespace sa::testing
