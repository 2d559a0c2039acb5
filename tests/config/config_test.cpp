// SPDX-License-Identifier: Apache-2.0
// The daemon's config: defaults round-trip, a full file, every class of bad
// input refused with "source:line: what is wrong" (all of them at once), and
// relative paths resolved against the config file's folder.
#include "config.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;
using namespace sa;
using config::Config;

namespace {

// The whole message of a refused config, checking the error's shape; or
// "(accepted)" when it was not refused.
std::string ErrorOf(std::string_view text, std::string_view source = "t.toml") {
  auto parsed = config::Parse(text, source);
  if (parsed) return "(accepted)";
  CHECK(parsed.error().kind == ErrorKind::invalid_request);
  CHECK(parsed.error().code == "config_invalid");
  return parsed.error().message;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

Config Ok(std::string_view text) {
  auto parsed = config::Parse(text, "t.toml");
  INFO(text);
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed);
  return *parsed;
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

}  // namespace

TEST_CASE("defaults: EmbeddedDefaults parses to Config{} exactly and documents every key") {
  const std::string defaults = config::EmbeddedDefaults();
  auto parsed = config::Parse(defaults, "defaults");
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed);
  CHECK(*parsed == Config{});

  SECTION("an empty file is the defaults too") { CHECK(Ok("") == Config{}); }

  SECTION("every key is live TOML with a comment line above it") {
    for (const char* line : {"[store]",
                             "id = \"demo-store\"",
                             "currency = \"CNY\"",
                             "[device]",
                             "id = \"demo-till-1\"",
                             "[codes]",
                             "brand_keys = []",
                             "require_signature = false",
                             "brand_patterns = []",
                             "[members]",
                             "service_keys = []",
                             "code_window_s = 120",
                             "phone_hash_key_file = \"\"",
                             "[cloud]",
                             "url = \"\"",
                             "[sync]",
                             "interval_s = 30",
                             "[catalog]",
                             "import = \"\"",
                             "[api]",
                             "listen = \"127.0.0.1:8787\"",
                             "max_body_bytes = 65536",
                             "[scanner]",
                             "virtual_listen = \"\"",
                             "[log]",
                             "level = \"info\""}) {
      INFO(line);
      const auto lines = Lines(defaults);
      const auto it = std::find(lines.begin(), lines.end(), std::string(line));
      REQUIRE(it != lines.end());
      if (line[0] != '[') {
        REQUIRE(it != lines.begin());
        const std::string& doc = *(it - 1);
        CHECK(doc.rfind("# ", 0) == 0);
        CHECK(doc.size() > 20);
      }
    }
  }

  SECTION("the keys in it are read, not commented out") {
    std::string edited = defaults;
    const std::string from = "code_window_s = 120";
    const auto at = edited.find(from);
    REQUIRE(at != std::string::npos);
    edited.replace(at, from.size(), "code_window_s = 300");
    CHECK(Ok(edited).member_code_window_s == 300);
  }
}

TEST_CASE("a full valid file sets every field") {
  const char* text = R"(# a store box
[store]
id = "SH-0042.main_box"
currency = "HKD"

[device]
id = "till-2"

[codes]
brand_keys = ["/etc/store-agent/brand-1.pem", "brand-2.pem"]
require_signature = true
brand_patterns = [
  "https://b.example/u/{gtin}/{serial}?s={sig}",
  "http://short.example/{gtin}",
]

[members]
service_keys = ["members.pem"]
code_window_s = 3600
phone_hash_key_file = "/etc/store-agent/phone.key"

[cloud]
url = "https://oms.brand.example/api/"

[sync]
interval_s = 86400

[catalog]
import = "catalog.csv"

[api]
listen = "[::]:0"
max_body_bytes = 16777216

[scanner]
virtual_listen = "127.0.0.1:9100"

[log]
level = "debug"
)";
  Config want;
  want.store_id = "SH-0042.main_box";
  want.currency = "HKD";
  want.device_id = "till-2";
  want.brand_keys = {"/etc/store-agent/brand-1.pem", "brand-2.pem"};
  want.require_signature = true;
  want.brand_patterns = {"https://b.example/u/{gtin}/{serial}?s={sig}",
                         "http://short.example/{gtin}"};
  want.member_keys = {"members.pem"};
  want.member_code_window_s = 3600;
  want.phone_hash_key_file = "/etc/store-agent/phone.key";
  want.cloud_url = "https://oms.brand.example/api/";
  want.sync_interval_s = 86400;
  want.catalog_import = "catalog.csv";
  want.listen = "[::]:0";
  want.max_body_bytes = 16777216;
  want.virtual_scanner_listen = "127.0.0.1:9100";
  want.log_level = "debug";
  CHECK(Ok(text) == want);

  SECTION("dotted keys and inline tables are the same thing") {
    const Config c = Ok("store.id = \"s1\"\ndevice = { id = \"d1\" }\nlog.level = \"warn\"\n");
    CHECK(c.store_id == "s1");
    CHECK(c.device_id == "d1");
    CHECK(c.log_level == "warn");
  }
}

TEST_CASE("unknown keys are named, with their line and the closest known key") {
  CHECK(ErrorOf("[store]\nid = \"a\"\nidd = \"b\"\n") ==
        "t.toml:3: unknown key store.idd; did you mean store.id?");
  CHECK(ErrorOf("[members]\ncode_window = 60\n") ==
        "t.toml:2: unknown key members.code_window; did you mean members.code_window_s?");
  // the right key in the wrong table
  CHECK(ErrorOf("[codes]\nservice_keys = []\n") ==
        "t.toml:2: unknown key codes.service_keys; did you mean members.service_keys?");
  // a key outside any table
  CHECK(ErrorOf("\n\nstore_id = \"x\"\n") ==
        "t.toml:3: unknown key store_id; did you mean store.id?");
  CHECK(ErrorOf("url = \"https://x.example\"\n") ==
        "t.toml:1: unknown key url; did you mean cloud.url?");
  // nothing near: no guess
  CHECK(ErrorOf("[api]\nbanana = 1\n") == "t.toml:2: unknown key api.banana");
  // a key needing quotes is shown quoted
  CHECK(ErrorOf("[api]\n\"two words\" = 1\n") == "t.toml:2: unknown key api.\"two words\"");
}

TEST_CASE("unknown tables are named, with the closest known table") {
  CHECK(ErrorOf("[stor]\nid = \"x\"\n") == "t.toml:1: unknown table [stor]; did you mean [store]?");
  CHECK(ErrorOf("\n[member]\n") == "t.toml:2: unknown table [member]; did you mean [members]?");
  CHECK(ErrorOf("[database]\npath = \"x\"\n") == "t.toml:1: unknown table [database]");
  CHECK(ErrorOf("[store]\nid = \"x\"\n[store.extra]\nk = 1\n") ==
        "t.toml:3: unknown table [store.extra]");
}

TEST_CASE("wrong types are refused for each kind of field") {
  SECTION("string") {
    CHECK(ErrorOf("[store]\nid = 42\n") == "t.toml:2: store.id must be a string, not an integer");
    CHECK(ErrorOf("[log]\nlevel = true\n") ==
          "t.toml:2: log.level must be a string, not a boolean");
    CHECK(ErrorOf("[cloud]\nurl = [\"https://x.example\"]\n") ==
          "t.toml:2: cloud.url must be a string, not an array");
    CHECK(ErrorOf("[store.id]\nx = 1\n") == "t.toml:1: store.id must be a string, not a table");
  }
  SECTION("integer") {
    CHECK(ErrorOf("[sync]\ninterval_s = \"30\"\n") ==
          "t.toml:2: sync.interval_s must be an integer, not a string");
    CHECK(ErrorOf("[sync]\ninterval_s = 30.5\n") ==
          "t.toml:2: sync.interval_s must be an integer, not a floating-point number");
    // integral, still not an integer: no silent conversion
    CHECK(ErrorOf("[api]\nmax_body_bytes = 65536.0\n") ==
          "t.toml:2: api.max_body_bytes must be an integer, not a floating-point number");
    CHECK(ErrorOf("[members]\ncode_window_s = 1979-05-27\n") ==
          "t.toml:2: members.code_window_s must be an integer, not a date");
  }
  SECTION("boolean") {
    CHECK(ErrorOf("[codes]\nrequire_signature = \"yes\"\n") ==
          "t.toml:2: codes.require_signature must be true or false, not a string");
    CHECK(ErrorOf("[codes]\nrequire_signature = 1\n") ==
          "t.toml:2: codes.require_signature must be true or false, not an integer");
  }
  SECTION("list of strings") {
    CHECK(ErrorOf("[codes]\nbrand_keys = \"brand.pem\"\n") ==
          "t.toml:2: codes.brand_keys must be an array of strings, not a string");
    CHECK(ErrorOf("[members]\nservice_keys = [\n  \"a.pem\",\n  7,\n]\n") ==
          "t.toml:4: members.service_keys[1] must be a string, not an integer");
  }
  SECTION("table") {
    CHECK(ErrorOf("store = \"x\"\n") == "t.toml:1: store must be a table, not a string");
    CHECK(ErrorOf("[[codes]]\n") == "t.toml:1: codes must be a table, not an array");
  }
}

TEST_CASE("integers are range-checked at both ends") {
  struct Case {
    const char* table;
    const char* key;
    std::int64_t min;
    std::int64_t max;
  };
  for (const Case c :
       {Case{"members", "code_window_s", 10, 3600}, Case{"sync", "interval_s", 1, 86400},
        Case{"api", "max_body_bytes", 1024, 16777216},
        Case{"refunds", "cashier_limit_minor", 0, 100000000000},
        Case{"refunds", "manager_limit_minor", 0, 100000000000}}) {
    const std::string head = std::string("[") + c.table + "]\n" + c.key + " = ";
    const std::string name = std::string(c.table) + "." + c.key;
    const std::string range =
        " must be between " + std::to_string(c.min) + " and " + std::to_string(c.max);
    INFO(name);
    CHECK(ErrorOf(head + std::to_string(c.min) + "\n") == "(accepted)");
    CHECK(ErrorOf(head + std::to_string(c.max) + "\n") == "(accepted)");
    CHECK(ErrorOf(head + std::to_string(c.min - 1) + "\n") ==
          "t.toml:2: " + name + range + " (got " + std::to_string(c.min - 1) + ")");
    CHECK(ErrorOf(head + std::to_string(c.max + 1) + "\n") ==
          "t.toml:2: " + name + range + " (got " + std::to_string(c.max + 1) + ")");
    CHECK(ErrorOf(head + "-9223372036854775808\n") ==
          "t.toml:2: " + name + range + " (got -9223372036854775808)");
    CHECK(ErrorOf(head + "9223372036854775807\n") ==
          "t.toml:2: " + name + range + " (got 9223372036854775807)");
  }
  CHECK(Ok("[sync]\ninterval_s = 0x10\n").sync_interval_s == 16);
  CHECK(Ok("[members]\ncode_window_s = 1_800\n").member_code_window_s == 1800);
}

TEST_CASE("store and device ids: 1-64 of A-Z a-z 0-9 _ . -") {
  const std::string max_id(64, 'a');
  CHECK(Ok("[store]\nid = \"Az09_.-\"\n").store_id == "Az09_.-");
  CHECK(Ok("[device]\nid = \"" + max_id + "\"\n").device_id == max_id);
  CHECK(ErrorOf("[store]\nid = \"" + max_id + "b\"\n") ==
        "t.toml:2: store.id is 65 characters long; at most 64");
  CHECK(ErrorOf("[store]\nid = \"\"\n") ==
        "t.toml:2: store.id must not be empty (1-64 of A-Z a-z 0-9 _ . -)");
  CHECK(ErrorOf("[device]\nid = \"till 1\"\n") ==
        "t.toml:2: device.id must use only A-Z a-z 0-9 _ . - (got \"till 1\")");
  CHECK(ErrorOf("[device]\nid = \"till/1\"\n") ==
        "t.toml:2: device.id must use only A-Z a-z 0-9 _ . - (got \"till/1\")");
  CHECK(ErrorOf("[store]\nid = \"店1\"\n") ==
        "t.toml:2: store.id must use only A-Z a-z 0-9 _ . - (got \"店1\")");
  // a control character is escaped: the message stays one line per problem
  CHECK(ErrorOf("[store]\nid = \"a\\nb\"\n") ==
        "t.toml:2: store.id must use only A-Z a-z 0-9 _ . - (got \"a\\nb\")");
}

TEST_CASE("currency: 3 upper-case letters") {
  CHECK(Ok("[store]\ncurrency = \"USD\"\n").currency == "USD");
  for (const char* bad : {"cny", "CN", "CNYY", "C1Y", ""}) {
    INFO(bad);
    CHECK(ErrorOf(std::string("[store]\ncurrency = \"") + bad + "\"\n") ==
          std::string("t.toml:2: store.currency must be an ISO 4217 code: 3 upper-case letters "
                      "(got \"") +
              bad + "\")");
  }
}

TEST_CASE("store.gln and store.utc_offset: EPCIS locations and offsets") {
  CHECK(Ok("[store]\ngln = \"6901234000009\"\n").gln == "6901234000009");
  CHECK(Ok("").gln.empty());
  CHECK(Ok("").utc_offset == "+08:00");
  CHECK(Ok("[store]\nutc_offset = \"-03:30\"\n").utc_offset == "-03:30");
  CHECK(ErrorOf("[store]\ngln = \"6901234000004\"\n") ==
        "t.toml:2: store.gln must be 13 digits ending in their GS1 check digit, or \"\" "
        "(got \"6901234000004\")");
  CHECK(ErrorOf("[store]\ngln = \"690123400000\"\n").rfind("t.toml:2: store.gln", 0) == 0);
  for (const char* bad : {"08:00", "+8:00", "+15:00", "UTC"}) {
    INFO(bad);
    CHECK(ErrorOf(std::string("[store]\nutc_offset = \"") + bad + "\"\n") ==
          std::string("t.toml:2: store.utc_offset must be +HH:MM or -HH:MM (got \"") + bad + "\")");
  }
  CHECK(Ok("[stock]\ncase_max_units = 24\n").case_max_units == 24);
  CHECK(Ok("").retention_days == 90);
  CHECK(Ok("[ledger]\nretention_days = 0\n").retention_days == 0);
  CHECK(ErrorOf("[ledger]\nretention_days = -1\n") ==
        "t.toml:2: ledger.retention_days must be between 0 and 36500 (got -1)");
  CHECK(
      ErrorOf("[ledger]\nretention_days = \"90\"\n").rfind("t.toml:2: ledger.retention_days", 0) ==
      0);
  CHECK(ErrorOf("[ledger]\nretention_dayz = 9\n").rfind("t.toml:2:", 0) == 0);
  CHECK(ErrorOf("[stock]\ncase_max_units = 0\n") ==
        "t.toml:2: stock.case_max_units must be between 1 and 100000 (got 0)");
}

TEST_CASE("store.locale: the store's language, en or zh-CN") {
  CHECK(Ok("").locale == "en");
  CHECK(Ok("[store]\nlocale = \"zh-CN\"\n").locale == "zh-CN");
  for (const char* bad : {"zh", "zh-TW", "fr", ""}) {
    INFO(bad);
    CHECK(ErrorOf(std::string("[store]\nlocale = \"") + bad + "\"\n") ==
          std::string("t.toml:2: store.locale must be en or zh-CN (got \"") + bad + "\")");
  }
}

TEST_CASE("SplitListen and the listen keys") {
  using Split = std::pair<std::string, std::uint16_t>;
  CHECK(config::SplitListen("127.0.0.1:8787") == Split{"127.0.0.1", 8787});
  CHECK(config::SplitListen("0.0.0.0:0") == Split{"0.0.0.0", 0});
  CHECK(config::SplitListen("255.255.255.255:65535") == Split{"255.255.255.255", 65535});
  CHECK(config::SplitListen("[::1]:80") == Split{"::1", 80});
  CHECK(config::SplitListen("[::]:65535") == Split{"::", 65535});
  CHECK(config::SplitListen("[2001:db8::8a2e:370:7334]:443") ==
        Split{"2001:db8::8a2e:370:7334", 443});
  CHECK(config::SplitListen("[1:2:3:4:5:6:7:8]:1") == Split{"1:2:3:4:5:6:7:8", 1});
  CHECK(config::SplitListen("[::ffff:192.0.2.1]:1") == Split{"::ffff:192.0.2.1", 1});
  for (const char* bad : {"",
                          "127.0.0.1",
                          ":8787",
                          "localhost:8787",
                          "127.0.0.1:65536",
                          "127.0.0.1:-1",
                          "127.0.0.1:",
                          "127.0.0.1:80 ",
                          "127.0.0.1:8o",
                          "256.0.0.1:1",
                          "1.2.3:1",
                          "1.2.3.4.5:1",
                          "01.2.3.4:1",
                          "::1:80",
                          "[::1]80",
                          "[::1]",
                          "[::1",
                          "[1::2::3]:1",
                          "[1:2:3:4:5:6:7:8:9]:1",
                          "[1:2:3:4:5:6:7]:1",
                          "[::g]:1",
                          "[12345::]:1",
                          "[::1%eth0]:1",
                          "[127.0.0.1]:1",
                          "127.0.0.1:123456"}) {
    INFO(bad);
    CHECK_FALSE(config::SplitListen(bad));
  }

  CHECK(ErrorOf("[api]\nlisten = \"localhost:8787\"\n") ==
        "t.toml:2: api.listen must name an IPv4 address like 127.0.0.1 or an IPv6 address like "
        "[::1] (host names are not accepted) (got \"localhost:8787\")");
  CHECK(ErrorOf("[api]\nlisten = \"127.0.0.1:70000\"\n") ==
        "t.toml:2: api.listen must end in a port 0-65535 (got \"127.0.0.1:70000\")");
  CHECK(ErrorOf("[api]\nlisten = \"::1:80\"\n") ==
        "t.toml:2: api.listen must put an IPv6 address in brackets, like [::1]:8787 (got "
        "\"::1:80\")");
  CHECK(ErrorOf("[api]\nlisten = \"\"\n") ==
        "t.toml:2: api.listen must be HOST:PORT, like 127.0.0.1:8787 (got \"\")");
  CHECK(ErrorOf("[scanner]\nvirtual_listen = \"0.0.0.0\"\n") ==
        "t.toml:2: scanner.virtual_listen has no :PORT (use HOST:PORT, like 127.0.0.1:8787) "
        "(got \"0.0.0.0\")");
  CHECK(Ok("[scanner]\nvirtual_listen = \"[::1]:9100\"\n").virtual_scanner_listen == "[::1]:9100");

  SECTION("the virtual scanner cannot take the API's port") {
    CHECK(ErrorOf("[api]\nlisten = \"127.0.0.1:9000\"\n[scanner]\nvirtual_listen = "
                  "\"0.0.0.0:9000\"\n") ==
          "t.toml:4: scanner.virtual_listen \"0.0.0.0:9000\" is the same port as api.listen "
          "\"127.0.0.1:9000\"");
    CHECK(Ok("[api]\nlisten = \"127.0.0.1:9000\"\n[scanner]\nvirtual_listen = "
             "\"127.0.0.2:9000\"\n")
              .virtual_scanner_listen == "127.0.0.2:9000");
    CHECK(Ok("[api]\nlisten = \"127.0.0.1:0\"\n[scanner]\nvirtual_listen = \"127.0.0.1:0\"\n")
              .listen == "127.0.0.1:0");
  }
}

TEST_CASE("scale label layouts are checked with codes::ParseRcnLayout, with their line") {
  CHECK(Ok("[codes]\nscale_layouts = [\"20:5:price:5:2\", \"21:5:weight:5:3\"]\n").rcn_layouts ==
        std::vector<std::string>{"20:5:price:5:2", "21:5:weight:5:3"});
  const std::string digits = ErrorOf("[codes]\nscale_layouts = [\n  \"20:5:price:4:2\",\n]\n");
  CHECK(digits.rfind("t.toml:3: codes.scale_layouts[0] is refused: scale label layout "
                     "'20:5:price:4:2': ",
                     0) == 0);
  CHECK(digits.find("come to 11 digits") != std::string::npos);
  CHECK(ErrorOf("[codes]\nscale_layouts = [\"20:5:volume:5:2\"]\n").find("price or weight") !=
        std::string::npos);
  CHECK(ErrorOf("[codes]\nscale_layouts = [\"30:5:price:5:2\"]\n").find("not for use in a store") !=
        std::string::npos);
  CHECK(ErrorOf("[codes]\nscale_layouts = [\"20:5:price\"]\n").find("prefix:item_digits") !=
        std::string::npos);
}

TEST_CASE("brand patterns are checked with BrandPattern::Compile") {
  CHECK(ErrorOf("[codes]\nbrand_patterns = [\n  \"https://b.example/u/{gtin}\",\n  "
                "\"https://b.example/u/{serial}\",\n]\n") ==
        "t.toml:4: codes.brand_patterns[1] is refused: brand URL pattern "
        "'https://b.example/u/{serial}': it must contain {gtin}");
  CHECK(ErrorOf("[codes]\nbrand_patterns = [\"https://b.example/{gtin}/{color}\"]\n") ==
        "t.toml:2: codes.brand_patterns[0] is refused: brand URL pattern "
        "'https://b.example/{gtin}/{color}': unknown placeholder {color}; use {gtin} {serial} "
        "{lot} {expiry} {sig}");
  CHECK(ErrorOf("[codes]\nbrand_patterns = [\"b.example/{gtin}\"]\n") ==
        "t.toml:2: codes.brand_patterns[0] is refused: brand URL pattern 'b.example/{gtin}': it "
        "must start with http:// or https://");
}

TEST_CASE("receipt.claim_url: https, the token once, after the host") {
  CHECK(Ok("").claim_url == "https://claim.brand.example/c/{token}");
  for (const char* good :
       {"https://m.brand.example/mp/claim?t={token}", "https://b.example/c/{token}",
        "https://b.example:8443/claim#{token}", "HTTPS://B.EXAMPLE/x?a=1&t={token}&b=2"}) {
    INFO(good);
    CHECK(Ok(std::string("[receipt]\nclaim_url = \"") + good + "\"\n").claim_url == good);
  }
  CHECK(
      ErrorOf("[receipt]\nclaim_url = \"http://b.example/c/{token}\"\n") ==
      "t.toml:2: receipt.claim_url must start with https:// (got \"http://b.example/c/{token}\")");
  CHECK(ErrorOf("[receipt]\nclaim_url = \"https://b.example/c/\"\n") ==
        "t.toml:2: receipt.claim_url must hold {token} exactly once (where the claim token goes) "
        "(got \"https://b.example/c/\")");
  CHECK(ErrorOf("[receipt]\nclaim_url = \"https://b.example/{token}/{token}\"\n")
            .rfind("t.toml:2: receipt.claim_url must hold {token} exactly once", 0) == 0);
  CHECK(ErrorOf("[receipt]\nclaim_url = \"https://{token}.b.example/c\"\n") ==
        "t.toml:2: receipt.claim_url must hold {token} after the host, in the path or query "
        "(got \"https://{token}.b.example/c\")");
  CHECK(ErrorOf("[receipt]\nclaim_url = \"https://b.example{token}\"\n")
            .rfind("t.toml:2: receipt.claim_url must hold {token} after the host", 0) == 0);
  CHECK(ErrorOf("[receipt]\nclaim_url = \"https://b example/c/{token}\"\n") ==
        "t.toml:2: receipt.claim_url must not contain spaces or control characters (got "
        "\"https://b example/c/{token}\")");
  CHECK(
      ErrorOf("[receipt]\nclaim_url = \"https://b.example/" + std::string(250, 'p') + "{token}\"\n")
          .rfind("t.toml:2: receipt.claim_url is longer than 256 characters", 0) == 0);
  CHECK(ErrorOf("[receipt]\nclaim_uri = \"https://b.example/c/{token}\"\n").rfind("t.toml:2:", 0) ==
        0);
}

TEST_CASE("cloud.url: empty, or an http(s) URL with a host") {
  for (const char* good : {"", "https://oms.example.com", "http://127.0.0.1:8080/api",
                           "https://[::1]:8443/", "HTTPS://OMS.EXAMPLE.COM/v1?x=1"}) {
    INFO(good);
    CHECK(Ok(std::string("[cloud]\nurl = \"") + good + "\"\n").cloud_url == good);
  }
  CHECK(ErrorOf("[cloud]\nurl = \"ftp://oms.example.com\"\n") ==
        "t.toml:2: cloud.url must be empty (no cloud) or start with https:// or http:// (got "
        "\"ftp://oms.example.com\")");
  CHECK(ErrorOf("[cloud]\nurl = \"oms.example.com\"\n") ==
        "t.toml:2: cloud.url must be empty (no cloud) or start with https:// or http:// (got "
        "\"oms.example.com\")");
  CHECK(ErrorOf("[cloud]\nurl = \"https:///v1\"\n") ==
        "t.toml:2: cloud.url has no host (got \"https:///v1\")");
  CHECK(ErrorOf("[cloud]\nurl = \"https://oms example.com\"\n") ==
        "t.toml:2: cloud.url must not contain spaces or control characters (got \"https://oms "
        "example.com\")");
  CHECK(ErrorOf("[cloud]\nurl = \"https://u:secret@oms.example.com\"\n") ==
        "t.toml:2: cloud.url must not carry a user name or password");
  CHECK(ErrorOf("[cloud]\nurl = \"https://oms.example.com:99999\"\n") ==
        "t.toml:2: cloud.url has a bad port (1-65535) (got \"https://oms.example.com:99999\")");
  CHECK(ErrorOf("[cloud]\nurl = \"https://oms_example.com\"\n") ==
        "t.toml:2: cloud.url has a bad host name (got \"https://oms_example.com\")");
  CHECK(ErrorOf("[cloud]\nurl = \"https://[::g]/\"\n") ==
        "t.toml:2: cloud.url has a bad IPv6 host (got \"https://[::g]/\")");
}

TEST_CASE("log.level, paths and signature policy") {
  for (const char* level : {"debug", "info", "warn", "error"}) {
    CHECK(Ok(std::string("[log]\nlevel = \"") + level + "\"\n").log_level == level);
  }
  CHECK(ErrorOf("[log]\nlevel = \"INFO\"\n") ==
        "t.toml:2: log.level must be one of debug, info, warn, error (got \"INFO\")");
  CHECK(ErrorOf("[log]\nlevel = \"verbose\"\n") ==
        "t.toml:2: log.level must be one of debug, info, warn, error (got \"verbose\")");

  CHECK(ErrorOf("[codes]\nbrand_keys = [\"a.pem\", \"\"]\n") ==
        "t.toml:2: codes.brand_keys[1] must not be an empty path");
  CHECK(ErrorOf("[catalog]\nimport = \"a\\u0000b.csv\"\n") ==
        "t.toml:2: catalog.import must not contain a NUL character");

  CHECK(ErrorOf("[codes]\nrequire_signature = true\n") ==
        "t.toml:2: codes.require_signature is true but codes.brand_keys is empty: every label "
        "would be refused as forged");
  CHECK(Ok("[codes]\nrequire_signature = true\nbrand_keys = [\"b.pem\"]\n").require_signature);
}

TEST_CASE("TOML syntax errors carry toml++'s line and column") {
  const std::string unclosed = ErrorOf("[store]\nid = \"demo\n", "agent.toml");
  CHECK(unclosed.rfind("agent.toml:2: TOML syntax error (column ", 0) == 0);
  CHECK(Lines(unclosed).size() == 1);

  const std::string header = ErrorOf("# c\n[store\nid = \"x\"\n", "agent.toml");
  CHECK(header.rfind("agent.toml:2: TOML syntax error (column ", 0) == 0);

  const std::string duplicate = ErrorOf("[store]\nid = \"a\"\n\nid = \"b\"\n", "agent.toml");
  CHECK(duplicate.rfind("agent.toml:4: TOML syntax error (column ", 0) == 0);
  CHECK(duplicate.find("redefine existing string 'id'") != std::string::npos);

  // an integer too big for 64 bits is toml++'s to refuse, not ours to narrow
  const std::string huge = ErrorOf("[sync]\ninterval_s = 99999999999999999999\n", "agent.toml");
  CHECK(huge.rfind("agent.toml:2: TOML syntax error (column ", 0) == 0);

  const std::string bad_utf8 = ErrorOf("[store]\nid = \"\xff\"\n", "agent.toml");
  CHECK(bad_utf8.rfind("agent.toml:2: TOML syntax error", 0) == 0);
}

TEST_CASE("several problems are all reported, one per line, in file order") {
  const char* text = R"([store]
id = "bad id"
currency = "yuan"

[sync]
interval_s = 0

[bogus]
x = 1

[api]
listen = "localhost:80"
max_body_bytes = 12.5
lisen = "127.0.0.1:1"
)";
  const auto lines = Lines(ErrorOf(text, "/etc/store-agent/agent.toml"));
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] ==
        "/etc/store-agent/agent.toml:2: store.id must use only A-Z a-z 0-9 _ . - "
        "(got \"bad id\")");
  CHECK(lines[1].rfind("/etc/store-agent/agent.toml:3: store.currency must be", 0) == 0);
  CHECK(lines[2] ==
        "/etc/store-agent/agent.toml:6: sync.interval_s must be between 1 and 86400 (got 0)");
  CHECK(lines[3] == "/etc/store-agent/agent.toml:8: unknown table [bogus]");
  CHECK(lines[4].rfind("/etc/store-agent/agent.toml:12: api.listen must name", 0) == 0);
  CHECK(lines[5] ==
        "/etc/store-agent/agent.toml:13: api.max_body_bytes must be an integer, not a "
        "floating-point number");
  CHECK(lines[6] ==
        "/etc/store-agent/agent.toml:14: unknown key api.lisen; did you mean api.listen?");
}

TEST_CASE("LoadFile resolves relative paths against the config file's folder") {
  testing::TempDir temp("sa-config");
  const fs::path dir = temp.path() / "etc";
  const fs::path file = dir / "agent.toml";
  WriteFile(file, R"([codes]
brand_keys = ["keys/brand.pem", "/opt/keys/brand-2.pem", "../shared.pem"]
brand_patterns = ["https://b.example/{gtin}"]
[members]
service_keys = ["member.pem"]
phone_hash_key_file = "secrets/phone.key"
[catalog]
import = "./catalog.csv"
)");
  auto loaded = config::LoadFile(file.string());
  INFO((loaded ? std::string() : loaded.error().message));
  REQUIRE(loaded);
  CHECK(loaded->brand_keys == std::vector<std::string>{(dir / "keys/brand.pem").string(),
                                                       "/opt/keys/brand-2.pem",
                                                       (temp.path() / "shared.pem").string()});
  CHECK(loaded->member_keys == std::vector<std::string>{(dir / "member.pem").string()});
  CHECK(loaded->phone_hash_key_file == (dir / "secrets/phone.key").string());
  CHECK(loaded->catalog_import == (dir / "catalog.csv").string());
  // not a path: untouched
  CHECK(loaded->brand_patterns == std::vector<std::string>{"https://b.example/{gtin}"});

  SECTION("Parse keeps paths as written") {
    auto parsed = config::Parse("[members]\nservice_keys = [\"member.pem\"]\n", file.string());
    REQUIRE(parsed);
    CHECK(parsed->member_keys == std::vector<std::string>{"member.pem"});
  }
  SECTION("empty paths stay empty") {
    WriteFile(file, "[catalog]\nimport = \"\"\n");
    auto empty = config::LoadFile(file.string());
    REQUIRE(empty);
    CHECK(empty->catalog_import.empty());
    CHECK(empty->phone_hash_key_file.empty());
  }
  SECTION("problems in a file are reported under its path") {
    WriteFile(file, "[store]\n\nid = 5\n");
    auto bad = config::LoadFile(file.string());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == "config_invalid");
    CHECK(bad.error().message == file.string() + ":3: store.id must be a string, not an integer");
  }
}

TEST_CASE("LoadFile refuses a file it cannot read") {
  testing::TempDir temp("sa-config");
  const std::string missing = (temp.path() / "nope.toml").string();
  auto r = config::LoadFile(missing);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::invalid_request);
  CHECK(r.error().code == "config_invalid");
  CHECK(r.error().message == missing + ": cannot read (No such file or directory)");

  auto d = config::LoadFile(temp.path().string());
  REQUIRE_FALSE(d);
  CHECK(d.error().message == temp.path().string() + ": cannot read (Is a directory)");

  const fs::path big = temp.path() / "big.toml";
  WriteFile(big, "# " + std::string(config::kMaxConfigBytes, 'x') + "\n");
  auto b = config::LoadFile(big.string());
  REQUIRE_FALSE(b);
  CHECK(b.error().message.rfind(big.string() + ": cannot read (larger than 1048576 bytes", 0) == 0);

  auto e = config::LoadFile("");
  REQUIRE_FALSE(e);
  CHECK(e.error().code == "config_invalid");
}

TEST_CASE("scanners: each [[scanners]] table is read with its type's keys") {
  const Config c = Ok(R"([[scanners]]
type = "evdev"
path = "/dev/input/by-id/*Honeywell*-event-kbd"
terminal = "till-2"
layout = "de"
terminator = "tab"
inter_key_timeout_ms = 30
keymap = ["KEY_Z=yY"]
grab = false

[[scanners]]
id = "back-door"
type = "serial"
path = "/dev/ttyACM0"
baud = 115200
parity = "even"
stop_bits = 2
data_bits = 7
framing = "crlf"
mode = "receive"

[[scanners]]
type = "camera"
path = "/dev/video0"
formats = ["QRCode", "DataMatrix"]
try_invert = true
fps = 10

[[scanners]]
type = "tcp"
listen = "0.0.0.0:9200"
token = "0123456789abcdef0123"
)");
  REQUIRE(c.scanners.size() == 4);
  CHECK(c.scanners[0].id == "evdev-1");
  CHECK(c.scanners[0].terminal == "till-2");
  CHECK(c.scanners[0].layout == "de");
  CHECK(c.scanners[0].terminator == "tab");
  CHECK(c.scanners[0].inter_key_timeout_ms == 30);
  CHECK(c.scanners[0].keymap == std::vector<std::string>{"KEY_Z=yY"});
  CHECK_FALSE(c.scanners[0].grab);
  CHECK(c.scanners[0].mode == "sale");
  CHECK(c.scanners[1].id == "back-door");
  CHECK(c.scanners[1].baud == 115200);
  CHECK(c.scanners[1].parity == "even");
  CHECK(c.scanners[1].stop_bits == 2);
  CHECK(c.scanners[1].data_bits == 7);
  CHECK(c.scanners[1].framing == "crlf");
  CHECK(c.scanners[1].mode == "receive");
  CHECK(c.scanners[1].terminal == "till-1");
  CHECK(c.scanners[2].id == "camera-3");
  CHECK(c.scanners[2].formats == std::vector<std::string>{"QRCode", "DataMatrix"});
  CHECK(c.scanners[2].try_invert);
  CHECK(c.scanners[2].fps == 10);
  CHECK(c.scanners[3].listen == "0.0.0.0:9200");
  CHECK(c.scanners[3].token == "0123456789abcdef0123");
}

TEST_CASE("scanners: bad entries are refused with their line") {
  CHECK(ErrorOf("scanners = 3\n") ==
        "t.toml:1: scanners must be an array of tables ([[scanners]]), not an integer");
  CHECK(ErrorOf("[[scanners]]\npath = \"/dev/x\"\n") ==
        "t.toml:1: scanners[0].type is missing (evdev, serial, camera or tcp)");
  CHECK(ErrorOf("[[scanners]]\ntype = \"usb\"\npath = \"/dev/x\"\n") ==
        "t.toml:2: scanners[0].type must be one of evdev, serial, camera, tcp (got \"usb\")");
  CHECK(ErrorOf("[[scanners]]\ntype = \"evdev\"\n") ==
        "t.toml:1: scanners[0].path is missing (a evdev scanner reads a device)");
  CHECK(ErrorOf("[[scanners]]\ntype = \"evdev\"\npath = \"/dev/x\"\nbaud = 9600\n") ==
        "t.toml:4: scanners[0].baud does not apply to a evdev scanner (only serial)");
  CHECK(ErrorOf("[[scanners]]\ntype = \"serial\"\npath = \"/dev/x\"\nbaud = 0\n") ==
        "t.toml:4: scanners[0].baud must be between 50 and 4000000 (got 0)");
  CHECK(ErrorOf("[[scanners]]\ntype = \"serial\"\npath = \"/dev/x\"\nparity = \"mark\"\n") ==
        "t.toml:4: scanners[0].parity must be one of none, odd, even (got \"mark\")");
  CHECK(ErrorOf("[[scanners]]\ntype = \"evdev\"\npath = \"/dev/x\"\nkeymap = [\"Z=y\"]\n")
            .find("scanners[0].keymap[0] must be \"KEY_NAME=ab\"") != std::string::npos);
  CHECK(ErrorOf("[[scanners]]\ntype = \"evdev\"\npath = \"/dev/x\"\ncolour = 1\n") ==
        "t.toml:4: unknown key scanners[0].colour");
  CHECK(ErrorOf("[[scanners]]\ntype = \"tcp\"\nlisten = \"0.0.0.0:9200\"\n") ==
        "t.toml:3: scanners[0].listen \"0.0.0.0:9200\" is off loopback: set scanners[0].token");
  CHECK(ErrorOf("[[scanners]]\ntype = \"tcp\"\n") ==
        "t.toml:1: scanners[0].listen is missing (a tcp scanner listens on HOST:PORT)");
  CHECK(ErrorOf("[[scanners]]\ntype = \"tcp\"\nlisten = \"127.0.0.1:1\"\ntoken = \"short\"\n") ==
        "t.toml:4: scanners[0].token must be 16-256 characters (or \"\" for none)");
  CHECK(ErrorOf("[[scanners]]\nid = \"a\"\ntype = \"evdev\"\npath = \"/x\"\n"
                "[[scanners]]\nid = \"a\"\ntype = \"serial\"\npath = \"/y\"\n") ==
        "t.toml:6: scanners[1] has the id \"a\" of scanners[0]");
  CHECK(ErrorOf("[[scanners]]\ntype = \"evdev\"\npath = \"/x\"\nmode = \"pick\"\n") ==
        "t.toml:4: scanners[0].mode must be one of sale, receive, count (got \"pick\")");
}

TEST_CASE("printer: target width and auto print") {
  const Config c =
      Ok("[printer]\ntarget = \"tcp://192.168.1.50:9100\"\nwidth_mm = 58\nauto = false\n");
  CHECK(c.printer_target == "tcp://192.168.1.50:9100");
  CHECK(c.printer_width_mm == 58);
  CHECK_FALSE(c.printer_auto);
  CHECK(Ok("[printer]\ntarget = \"/dev/usb/lp0\"\n").printer_target == "/dev/usb/lp0");
  CHECK(ErrorOf("[printer]\nwidth_mm = 70\n") ==
        "t.toml:2: printer.width_mm must be 58 or 80 (got 70)");
  CHECK(ErrorOf("[printer]\ntarget = \"tcp://host\"\n") ==
        "t.toml:2: printer.target must be a path or tcp://HOST:PORT (got \"tcp://host\")");
}

TEST_CASE("printer.encoding: gb18030 by default, utf-8 or cp437, anything else refused") {
  // A store box's config from before the key (firmware-cfg's pos-terminal
  // profile) still loads, and its receipts are GB18030.
  const Config old = Ok("[printer]\ntarget = \"/dev/usb/lp0\"\nwidth_mm = 80\nauto = true\n");
  CHECK(old.printer_encoding == "gb18030");
  CHECK(Config{}.printer_encoding == "gb18030");
  const auto lines = Lines(config::EmbeddedDefaults());
  const auto it = std::find(lines.begin(), lines.end(), "encoding = \"gb18030\"");
  REQUIRE(it != lines.end());
  CHECK((it - 1)->find("gb18030 (Chinese mode), utf-8 or cp437") != std::string::npos);

  for (const char* e : {"gb18030", "utf-8", "cp437"}) {
    CHECK(Ok(std::string("[printer]\nencoding = \"") + e + "\"\n").printer_encoding == e);
  }
  CHECK(ErrorOf("[printer]\ntarget = \"/dev/usb/lp0\"\nencoding = \"GBK\"\n", "agent.toml") ==
        "agent.toml:3: printer.encoding must be one of gb18030, utf-8, cp437 (got \"GBK\")");
  CHECK(ErrorOf("[printer]\nencoding = \"utf8\"\n") ==
        "t.toml:2: printer.encoding must be one of gb18030, utf-8, cp437 (got \"utf8\")");
  CHECK(ErrorOf("[printer]\nencoding = \"\"\n") ==
        "t.toml:2: printer.encoding must be one of gb18030, utf-8, cp437 (got \"\")");
  CHECK(ErrorOf("[printer]\nencoding = 437\n")
            .rfind("t.toml:2: printer.encoding must be a string", 0) == 0);
  CHECK(ErrorOf("[printer]\nencodng = \"cp437\"\n") ==
        "t.toml:2: unknown key printer.encodng; did you mean printer.encoding?");
}

TEST_CASE("api.tls_cert and api.tls_key: HTTPS needs both") {
  CHECK(Config{}.api_tls_cert.empty());
  CHECK(Config{}.api_tls_key.empty());
  const std::string defaults = config::EmbeddedDefaults();
  const auto lines = Lines(defaults);
  for (const char* line : {"tls_cert = \"\"", "tls_key = \"\""}) {
    INFO(line);
    const auto it = std::find(lines.begin(), lines.end(), std::string(line));
    REQUIRE(it != lines.end());
    REQUIRE(it != lines.begin());
    CHECK((it - 1)->rfind("# ", 0) == 0);
  }

  const Config c =
      Ok("[api]\nlisten = \"0.0.0.0:8787\"\ntls_cert = \"/etc/store-agent/api.crt\"\n"
         "tls_key = \"/etc/store-agent/api.key\"\n");
  CHECK(c.api_tls_cert == "/etc/store-agent/api.crt");
  CHECK(c.api_tls_key == "/etc/store-agent/api.key");
  CHECK(c.listen == "0.0.0.0:8787");
  // plain HTTP off loopback is the daemon's to refuse (it reads the files),
  // not the parser's: a config without TLS on 0.0.0.0 parses.
  CHECK(Ok("[api]\nlisten = \"0.0.0.0:8787\"\n").api_tls_cert.empty());

  CHECK(ErrorOf("[api]\ntls_cert = \"api.crt\"\n") ==
        "t.toml:2: api.tls_cert is set but api.tls_key is not: HTTPS needs both (or neither, "
        "for plain HTTP on loopback)");
  CHECK(ErrorOf("[api]\nlisten = \"127.0.0.1:1\"\n\ntls_key = \"api.key\"\n") ==
        "t.toml:4: api.tls_key is set but api.tls_cert is not: HTTPS needs both (or neither, "
        "for plain HTTP on loopback)");
  // a refused value is not set: its partner is then alone, and said so too
  CHECK(Lines(ErrorOf("[api]\ntls_cert = \"a\\u0000b.crt\"\ntls_key = \"k\"\n")) ==
        std::vector<std::string>{"t.toml:2: api.tls_cert must not contain a NUL character",
                                 "t.toml:3: api.tls_key is set but api.tls_cert is not: HTTPS "
                                 "needs both (or neither, for plain HTTP on loopback)"});
  CHECK(Lines(ErrorOf("[api]\ntls_cert = 5\ntls_key = \"k\"\n")).front() ==
        "t.toml:2: api.tls_cert must be a string, not an integer");
  CHECK(ErrorOf("[api]\ntls_crt = \"a.crt\"\n") ==
        "t.toml:2: unknown key api.tls_crt; did you mean api.tls_cert?");

  SECTION("LoadFile resolves them against the config file's folder") {
    testing::TempDir temp("sa-config");
    const fs::path dir = temp.path() / "etc";
    const fs::path file = dir / "agent.toml";
    WriteFile(file, "[api]\ntls_cert = \"tls/api.crt\"\ntls_key = \"/secure/api.key\"\n");
    auto loaded = config::LoadFile(file.string());
    INFO((loaded ? std::string() : loaded.error().message));
    REQUIRE(loaded);
    CHECK(loaded->api_tls_cert == (dir / "tls/api.crt").string());
    CHECK(loaded->api_tls_key == "/secure/api.key");
  }
}

TEST_CASE("printers per terminal: [printers.NAME] and [terminals.NAME] printer", "[printer]") {
  const Config c =
      Ok("[printer]\ntarget = \"/dev/usb/lp0\"\n"
         "[printers.front]\ntarget = \"tcp://192.168.1.51:9100\"\nwidth_mm = 58\n"
         "timeout_ms = 2000\nretry_ms = 500\nencoding = \"utf-8\"\n"
         "[printers.back]\ntarget = \"/dev/ttyUSB1\"\n"
         "[terminals.till-1]\nprinter = \"front\"\n"
         "[terminals.till-2]\n"
         "[terminals.till-3]\nprinter = \"default\"\n");
  REQUIRE(c.printers.size() == 2);
  CHECK(c.printers[0] == config::Printer{"back", "/dev/ttyUSB1", 80, 5000, 3000, "gb18030"});
  CHECK(c.printers[1] ==
        config::Printer{"front", "tcp://192.168.1.51:9100", 58, 2000, 500, "utf-8"});
  REQUIRE(c.terminals.size() == 3);
  CHECK(c.terminals[0] == config::Terminal{"till-1", "front"});
  CHECK(c.terminals[1] == config::Terminal{"till-2", ""});
  CHECK(c.terminals[2] == config::Terminal{"till-3", "default"});
  CHECK(Config{}.printers.empty());
  CHECK(Config{}.terminals.empty());
  // --print-config documents both tables.
  const std::string defaults = config::EmbeddedDefaults();
  CHECK(defaults.find("[printers.NAME]") != std::string::npos);
  CHECK(defaults.find("#   [terminals.till-2]") != std::string::npos);

  config::KeyLines lines;
  REQUIRE(
      config::Parse("[printers.front]\ntarget = \"/dev/usb/lp1\"\n\n[terminals.t1]\n"
                    "printer = \"front\"\n",
                    "t.toml", &lines));
  CHECK(lines.at("printers.front") == 1);
  CHECK(lines.at("printers.front.target") == 2);
  CHECK(lines.at("terminals.t1.printer") == 5);
}

TEST_CASE("printers per terminal: bad names and targets are refused with their line", "[printer]") {
  CHECK(ErrorOf("[printers.front]\ntarget = \"tcp://192.168.1.51:9100\"\n"
                "[terminals.till-2]\nprinter = \"back\"\n") ==
        "t.toml:4: terminals.till-2.printer names no printer: there is no [printers.back] "
        "(known: front)");
  CHECK(ErrorOf("[terminals.till-2]\nprinter = \"back\"\n") ==
        "t.toml:2: terminals.till-2.printer names no printer: there is no [printers.back] "
        "(none is configured)");
  CHECK(ErrorOf("[terminals.till-2]\nprinter = \"default\"\n") ==
        "t.toml:2: terminals.till-2.printer is \"default\", the [printer] table's, which has no "
        "target");
  CHECK(ErrorOf("[printers.front]\ntarget = \"tcp://host\"\n") ==
        "t.toml:2: printers.front.target must be a path or tcp://HOST:PORT (got \"tcp://host\")");
  CHECK(ErrorOf("[printers.front]\nwidth_mm = 58\n") ==
        "t.toml:1: printers.front.target is missing (a device or file path, or tcp://HOST:PORT)");
  CHECK(ErrorOf("[printers.front]\ntarget = \"/dev/usb/lp1\"\nwidth_mm = 70\n") ==
        "t.toml:3: printers.front.width_mm must be 58 or 80 (got 70)");
  CHECK(ErrorOf("[printers.front]\ntarget = \"/dev/usb/lp1\"\nencoding = \"GBK\"\n") ==
        "t.toml:3: printers.front.encoding must be one of gb18030, utf-8, cp437 (got \"GBK\")");
  CHECK(ErrorOf("[printers.front]\ntarget = \"/dev/usb/lp1\"\nwidth = 58\n") ==
        "t.toml:3: unknown key printers.front.width (known: target, width_mm, timeout_ms, "
        "retry_ms, encoding)");
  CHECK(ErrorOf("[printers.default]\ntarget = \"/dev/usb/lp1\"\n") ==
        "t.toml:1: [printers.default]: \"default\" is the [printer] table's name; choose another");
  CHECK(ErrorOf("[printers]\nfront = \"/dev/usb/lp1\"\n") ==
        "t.toml:2: printers.front must be a table ([printers.front]), not a string");
  CHECK(ErrorOf("[terminals.\"till 1\"]\nprinter = \"\"\n")
            .rfind("t.toml:1: the name of [terminals.\"till 1\"] must use only A-Z", 0) == 0);
  CHECK(ErrorOf("[terminals.till-1]\nprinter = 3\n")
            .rfind("t.toml:2: terminals.till-1.printer must be a string", 0) == 0);
  CHECK(ErrorOf("[printers.front]\ntarget = \"/dev/usb/lp1\"\nretry_ms = 5\n") ==
        "t.toml:3: printers.front.retry_ms must be between 100 and 600000 (got 5)");
}
