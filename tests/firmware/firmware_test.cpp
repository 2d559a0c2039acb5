// SPDX-License-Identifier: Apache-2.0
// firmware-cfg: profiles, provisioning bundles (made, verified, tampered
// with), the rootfs overlay, the device certificate; and the real storectl
// (config check, provision, provision verify, flash) and store-agent
// (--bundle) on them.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "config.hpp"
#include "crypto.hpp"
#include "firmware_cfg.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::AgentProcess;
using sa::testing::Child;
using sa::testing::Slurp;
using sa::testing::TempDir;

namespace {

constexpr std::int64_t kNow = 1'795'000'000'000;  // 2026-11-18

struct Ran {
  int exit = -1;
  std::string out;  // stdout and stderr
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Ran Shell(const std::string& command) {
  Child c("/bin/bash", {"-c", command + " 2>&1"});
  Ran r;
  r.out = c.ReadAll();
  r.exit = c.Wait();
  return r;
}

Ran Storectl(const std::string& args) { return Shell(Quote(SA_STORECTL) + " " + args); }

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

int ModeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 07777);
}

sa::firmware::Bundle Provisioned(const std::string& role, const sa::crypto::SigningKey& key) {
  sa::firmware::ProvisionRequest r;
  r.store_id = "SH-0042";
  r.device_id = "box-7";
  r.role = role;
  r.cloud_url = "https://oms.brand.example/api";
  auto b = sa::firmware::Provision(r, key, kNow);
  INFO((b ? std::string() : b.error().message));
  REQUIRE(b);
  return *b;
}

}  // namespace

TEST_CASE("each profile is a complete valid config as shipped") {
  for (auto role : sa::firmware::kRoles) {
    INFO(role);
    const std::string_view text = sa::firmware::Profile(role);
    REQUIRE_FALSE(text.empty());
    auto parsed = sa::config::Parse(text, role);
    INFO((parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed);
    CHECK_FALSE(parsed->scanners.empty());
    CHECK(text.find("# store-agent profile: " + std::string(role)) == 0);
  }
  CHECK(sa::firmware::Profile("toaster").empty());
}

TEST_CASE("a provisioned bundle verifies and unpacks into a config the agent reads") {
  TempDir tmp;
  const auto key = sa::crypto::SigningKey::Generate();
  for (auto role : sa::firmware::kRoles) {
    INFO(role);
    const auto bundle = Provisioned(std::string(role), key);
    const std::string bytes = sa::firmware::SignBundle(bundle, key);
    CHECK(bytes.rfind("SA-BUNDLE-1\n", 0) == 0);
    auto back = sa::firmware::VerifyBundle(bytes, key.Public());
    INFO((back ? std::string() : back.error().message));
    REQUIRE(back);
    CHECK(back->store_id == "SH-0042");
    CHECK(back->device_id == "box-7");
    CHECK(back->role == role);
    CHECK(back->created_at_ms == kNow);
    REQUIRE(back->files.size() == bundle.files.size());
    for (std::size_t i = 0; i < bundle.files.size(); ++i) {
      CHECK(back->files[i].path == bundle.files[i].path);
      CHECK(back->files[i].mode == bundle.files[i].mode);
      CHECK(back->files[i].content == bundle.files[i].content);
    }
    // Private keys are 0600; the device's certificate is for its id and
    // signed by the provisioning key.
    CHECK(back->Find("device.key.pem")->mode == 0600);
    CHECK(back->Find("sync.key")->mode == 0600);
    CHECK(back->Find("provisioning.pub.pem")->content == key.PublicPem());
    CHECK(back->Find("device.crt.pem")->content.find("BEGIN CERTIFICATE") != std::string::npos);

    const fs::path dir = tmp.path() / std::string(role);
    REQUIRE(sa::firmware::UnpackBundle(*back, dir.string()));
    CHECK(ModeOf(dir / "device.key.pem") == 0600);
    CHECK(ModeOf(dir / "agent.toml") == 0640);
    auto cfg = sa::config::LoadFile((dir / "agent.toml").string());
    INFO((cfg ? std::string() : cfg.error().message));
    REQUIRE(cfg);
    CHECK(cfg->store_id == "SH-0042");
    CHECK(cfg->device_id == "box-7");
    CHECK(cfg->cloud_url == "https://oms.brand.example/api");
    CHECK(cfg->require_signature);
    REQUIRE(cfg->brand_keys.size() == 1);
    CHECK(cfg->brand_keys[0] == (dir / "keys/brand-1.pem").string());
    CHECK(cfg->cloud_device_key_file == (dir / "sync.key").string());
    auto ring = sa::crypto::KeyRing::LoadFiles(cfg->brand_keys);
    CHECK(ring);
    if (role == std::string_view("store-box")) {
      CHECK(cfg->api_tls_cert == (dir / "device.crt.pem").string());
      CHECK(cfg->api_tls_key == (dir / "device.key.pem").string());
      REQUIRE(cfg->scanners.size() == 1);
      CHECK(cfg->scanners[0].token != "change-this-scanner-token");
      CHECK(cfg->scanners[0].token.size() >= 16);
    }
    // The checked config passes storectl config check too.
    const Ran check = Storectl("config check " + Quote((dir / "agent.toml").string()));
    INFO(check.out);
    CHECK(check.exit == 0);
  }
}

TEST_CASE("any byte changed makes a bundle fail and so does another key") {
  const auto key = sa::crypto::SigningKey::Generate();
  const std::string bytes = sa::firmware::SignBundle(Provisioned("pos-terminal", key), key);
  REQUIRE(sa::firmware::VerifyBundle(bytes, key.Public()));
  // Every byte of the header, the signature and the payload's start, then
  // every 13th byte: flipping one bit anywhere is refused.
  std::size_t tried = 0;
  for (std::size_t i = 0; i < bytes.size(); i += (i < 400 ? 1 : 13)) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    auto r = sa::firmware::VerifyBundle(changed, key.Public());
    INFO("byte " << i << " of " << bytes.size());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == sa::ErrorKind::refused);
    ++tried;
  }
  CHECK(tried > 500);
  auto last = bytes;
  last.back() = 'x';
  CHECK_FALSE(sa::firmware::VerifyBundle(last, key.Public()));
  CHECK_FALSE(sa::firmware::VerifyBundle(bytes.substr(0, bytes.size() - 1), key.Public()));
  CHECK_FALSE(sa::firmware::VerifyBundle(bytes + "\n", key.Public()));
  CHECK_FALSE(sa::firmware::VerifyBundle(bytes + bytes, key.Public()));
  CHECK_FALSE(sa::firmware::VerifyBundle("", key.Public()));

  const auto other = sa::crypto::SigningKey::Generate();
  auto wrong = sa::firmware::VerifyBundle(bytes, other.Public());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == "bundle_signature_invalid");
  auto garbage = sa::firmware::VerifyBundle("hello\n", key.Public());
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code == "not_a_bundle");
}

TEST_CASE("a signed bundle naming a file outside its folder is refused") {
  const auto key = sa::crypto::SigningKey::Generate();
  for (const char* path : {"../evil", "/etc/passwd", "keys/../../x", "a//b", "", "with space"}) {
    sa::firmware::Bundle b;
    b.store_id = "s";
    b.device_id = "d";
    b.role = "store-box";
    b.files.push_back({path, 0644, "x"});
    auto r = sa::firmware::VerifyBundle(sa::firmware::SignBundle(b, key), key.Public());
    INFO(path);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "bundle_malformed");
  }
}

TEST_CASE("provisioning refuses bad ids roles and keys") {
  const auto key = sa::crypto::SigningKey::Generate();
  sa::firmware::ProvisionRequest r;
  r.store_id = "s1";
  r.device_id = "d1";
  r.role = "store-box";
  auto code = [&](sa::firmware::ProvisionRequest q) {
    auto b = sa::firmware::Provision(q, key, kNow);
    return b ? std::string("ok") : b.error().code;
  };
  CHECK(code(r) == "ok");
  auto bad = r;
  bad.store_id = "s 1";
  CHECK(code(bad) == "invalid_store_id");
  bad = r;
  bad.device_id = std::string(65, 'd');
  CHECK(code(bad) == "invalid_device_id");
  bad = r;
  bad.role = "toaster";
  CHECK(code(bad) == "unknown_role");
  bad = r;
  bad.label_key_pems = {"not a key"};
  CHECK(code(bad) == "invalid_key");
  bad = r;
  bad.cloud_url = "ftp://x";
  CHECK(code(bad) == "invalid_cloud_url");
  bad = r;
  bad.phone_hash_key = "too short";
  CHECK(code(bad) == "invalid_key");
}

TEST_CASE("the brand's phone-hash key travels in the bundle, secret, and the config names it") {
  TempDir tmp;
  const auto key = sa::crypto::SigningKey::Generate();
  sa::firmware::ProvisionRequest r;
  r.store_id = "SH-0042";
  r.device_id = "box-7";
  r.role = "pos-terminal";
  r.phone_hash_key = "the brand's phone-hash key, 32+ bytes long";
  auto bundle = sa::firmware::Provision(r, key, kNow);
  REQUIRE(bundle);
  auto back = sa::firmware::VerifyBundle(sa::firmware::SignBundle(*bundle, key), key.Public());
  REQUIRE(back);
  REQUIRE(back->Find("keys/phone-hash.key"));
  CHECK(back->Find("keys/phone-hash.key")->mode == 0600);
  CHECK(back->Find("keys/phone-hash.key")->content == r.phone_hash_key);
  REQUIRE(sa::firmware::UnpackBundle(*back, tmp.path().string()));
  CHECK(ModeOf(tmp.path() / "keys/phone-hash.key") == 0600);
  auto cfg = sa::config::LoadFile((tmp.path() / "agent.toml").string());
  REQUIRE(cfg);
  CHECK(cfg->phone_hash_key_file == (tmp.path() / "keys/phone-hash.key").string());
  // Without one, the device makes its own at first start, as before.
  r.phone_hash_key.clear();
  auto plain = sa::firmware::Provision(r, key, kNow);
  REQUIRE(plain);
  CHECK_FALSE(plain->Find("keys/phone-hash.key"));
}

TEST_CASE("the device certificate chains to the provisioning key (openssl verify)") {
  TempDir tmp;
  const auto ca = sa::crypto::SigningKey::Generate();
  const auto device = sa::crypto::SigningKey::Generate();
  auto ca_cert = sa::crypto::IssueCertificate(ca, "brand-provisioning", ca, "brand-provisioning",
                                              kNow / 1000, 30);
  auto leaf =
      sa::crypto::IssueCertificate(device, "box-7", ca, "brand-provisioning", kNow / 1000, 30);
  REQUIRE(ca_cert);
  REQUIRE(leaf);
  Write(tmp.path() / "ca.pem", *ca_cert);
  Write(tmp.path() / "leaf.pem", *leaf);
  const Ran verify =
      Shell("openssl verify -no_check_time -CAfile " + Quote((tmp.path() / "ca.pem").string()) +
            " " + Quote((tmp.path() / "leaf.pem").string()));
  INFO(verify.out);
  CHECK(verify.exit == 0);
  const Ran subject =
      Shell("openssl x509 -noout -subject -in " + Quote((tmp.path() / "leaf.pem").string()));
  CHECK(subject.out.find("CN = box-7") != std::string::npos);
  // The certificate's key is the device's.
  const Ran pub =
      Shell("openssl x509 -noout -pubkey -in " + Quote((tmp.path() / "leaf.pem").string()));
  CHECK(pub.out == device.PublicPem());
  CHECK_FALSE(sa::crypto::IssueCertificate(device, "bad name", ca, "x", kNow / 1000, 30));
  CHECK_FALSE(sa::crypto::IssueCertificate(device, "ok", ca, "x", kNow / 1000, 0));
}

TEST_CASE("flash writes the overlay with modes owners the enabled unit and udev rules") {
  TempDir tmp;
  const auto key = sa::crypto::SigningKey::Generate();
  const auto bundle = Provisioned("store-box", key);
  const fs::path rootfs = tmp.path() / "rootfs";
  Write(rootfs / "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nstore-agent:x:" + std::to_string(::getuid()) + ":" +
            std::to_string(::getgid()) + "::/var/lib/store-agent:/usr/sbin/nologin\n");
  auto report = sa::firmware::Flash(bundle, rootfs.string());
  INFO((report ? std::string() : report.error().message));
  REQUIRE(report);
  CHECK(report->owner_set);
  const fs::path etc = rootfs / "etc/store-agent";
  CHECK(ModeOf(etc / "device.key.pem") == 0600);
  CHECK(ModeOf(etc / "sync.key") == 0600);
  CHECK(ModeOf(etc / "agent.toml") == 0640);
  CHECK(ModeOf(etc / "keys/brand-1.pem") == 0644);
  struct stat st {};
  REQUIRE(::stat((etc / "device.key.pem").c_str(), &st) == 0);
  CHECK(st.st_uid == ::getuid());
  const fs::path link = rootfs / "etc/systemd/system/multi-user.target.wants/store-agent.service";
  REQUIRE(fs::is_symlink(link));
  CHECK(fs::read_symlink(link) == "/lib/systemd/system/store-agent.service");
  const std::string unit = Slurp((rootfs / "lib/systemd/system/store-agent.service").string());
  CHECK(unit.find("Type=notify") != std::string::npos);
  CHECK(fs::exists(rootfs / "lib/udev/rules.d/60-store-agent.rules"));
  // The config in the image reads its keys from /etc/store-agent (relative).
  auto cfg = sa::config::LoadFile((etc / "agent.toml").string());
  REQUIRE(cfg);
  CHECK(cfg->api_tls_key == (etc / "device.key.pem").string());

  // Again over the same rootfs: files replaced, the link kept.
  REQUIRE(sa::firmware::Flash(bundle, rootfs.string()));
  CHECK(fs::is_symlink(link));
  CHECK_FALSE(sa::firmware::Flash(bundle, (tmp.path() / "missing").string()));
}

TEST_CASE("storectl provision verify and flash from the command line") {
  TempDir tmp;
  const auto key = sa::crypto::SigningKey::Generate();
  Write(tmp.path() / "brand.key.pem", key.PrivatePem());
  Write(tmp.path() / "brand.pub.pem", key.PublicPem());
  const std::string bundle = (tmp.path() / "box.sab").string();
  const Ran made = Storectl("provision --store SH-1 --device box-1 --role store-box --brand-key " +
                            Quote((tmp.path() / "brand.key.pem").string()) + " --out " +
                            Quote(bundle) + " --cloud https://oms.example --json");
  INFO(made.out);
  REQUIRE(made.exit == 0);
  CHECK(json::parse(made.out).at("device_id") == "box-1");
  CHECK(ModeOf(bundle) == 0600);
  // Not over an existing bundle unless --force.
  CHECK(Storectl("provision --store SH-1 --device box-1 --role store-box --brand-key " +
                 Quote((tmp.path() / "brand.key.pem").string()) + " --out " + Quote(bundle))
            .exit == 3);

  const std::string pub = Quote((tmp.path() / "brand.pub.pem").string());
  const Ran ok = Storectl("provision verify " + Quote(bundle) + " --brand-key " + pub);
  INFO(ok.out);
  CHECK(ok.exit == 0);
  CHECK(ok.out.find("store SH-1, device box-1, role store-box") != std::string::npos);

  // One byte changed in the middle: exit 3 with the reason.
  std::string bytes = Slurp(bundle);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
  Write(tmp.path() / "changed.sab", bytes);
  const Ran bad = Storectl("provision verify " + Quote((tmp.path() / "changed.sab").string()) +
                           " --brand-key " + pub);
  CHECK(bad.exit == 3);
  CHECK(bad.out.find("signature does not verify") != std::string::npos);
  // Another brand's key: exit 3.
  const auto other = sa::crypto::SigningKey::Generate();
  Write(tmp.path() / "other.pub.pem", other.PublicPem());
  CHECK(Storectl("provision verify " + Quote(bundle) + " --brand-key " +
                 Quote((tmp.path() / "other.pub.pem").string()))
            .exit == 3);
  // Missing options are a usage error.
  CHECK(Storectl("provision --store SH-1").exit == 1);

  const fs::path rootfs = tmp.path() / "rootfs";
  fs::create_directories(rootfs);
  const Ran flashed = Storectl("flash --bundle " + Quote(bundle) + " --rootfs " +
                               Quote(rootfs.string()) + " --brand-key " + pub);
  INFO(flashed.out);
  REQUIRE(flashed.exit == 0);
  CHECK(fs::exists(rootfs / "etc/store-agent/agent.toml"));
  CHECK(fs::is_symlink(rootfs / "etc/systemd/system/multi-user.target.wants/store-agent.service"));
  CHECK(Storectl("flash --bundle " + Quote((tmp.path() / "changed.sab").string()) + " --rootfs " +
                 Quote(rootfs.string()) + " --brand-key " + pub)
            .exit == 3);
}

TEST_CASE("config check catches each class of mistake in a profile with its line and a hint") {
  TempDir tmp;
  const std::string good(sa::firmware::Profile("pos-terminal"));
  struct Mistake {
    const char* what;
    std::string from, to;
    const char* expect;
  };
  const std::vector<Mistake> mistakes = {
      {"a misspelt key", "currency = \"CNY\"", "curency = \"CNY\"", "did you mean store.currency"},
      {"a wrong type", "code_window_s = 120", "code_window_s = \"120\"", "must be an integer"},
      {"out of range", "interval_s = 30", "interval_s = 0", "must be between"},
      {"a bad value", "level = \"info\"", "level = \"loud\"", "must be one of"},
      {"a key of another scanner type", "layout = \"us\"", "layout = \"us\"\nbaud = 9600",
       "does not apply"},
      {"a scanner without its device", "path = \"/dev/input/by-id/*-event-kbd\"\n", "",
       "path is missing"},
      {"TOML syntax", "[device]", "[device", "TOML syntax error"},
      {"a missing key file", "brand_keys = []", "brand_keys = [\"keys/nope.pem\"]", "cannot read"},
      {"off loopback in clear", "listen = \"127.0.0.1:8787\"", "listen = \"0.0.0.0:8787\"",
       "loopback"},
  };
  for (const auto& m : mistakes) {
    INFO(m.what);
    std::string text = good;
    const auto at = text.find(m.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, m.from.size(), m.to);
    const fs::path file = tmp.path() / "agent.toml";
    Write(file, text);
    const Ran r = Storectl("config check " + Quote(file.string()));
    INFO(r.out);
    CHECK(r.exit == 3);
    CHECK(r.out.find(m.expect) != std::string::npos);
    CHECK(r.out.find(file.string() + ":") != std::string::npos);
    CHECK(r.out.find("hint: ") != std::string::npos);
    const Ran j = Storectl("config check --json " + Quote(file.string()));
    const json out = json::parse(j.out, nullptr, false);
    REQUIRE_FALSE(out.is_discarded());
    CHECK(out.at("valid") == false);
    REQUIRE_FALSE(out.at("problems").empty());
    CHECK(out["problems"][0].at("hint").is_string());
  }
  Write(tmp.path() / "ok.toml", good);
  CHECK(Storectl("config check " + Quote((tmp.path() / "ok.toml").string())).exit == 0);
  CHECK(Storectl("config check " + Quote((tmp.path() / "missing.toml").string())).exit == 3);
}

TEST_CASE("store-agent starts from a good bundle and refuses a changed one") {
  TempDir tmp;
  const auto key = sa::crypto::SigningKey::Generate();
  Write(tmp.path() / "brand.pub.pem", key.PublicPem());
  const std::string bytes = sa::firmware::SignBundle(Provisioned("pos-terminal", key), key);
  Write(tmp.path() / "good.sab", bytes);
  std::string changed = bytes;
  changed[bytes.size() - 40] = static_cast<char>(changed[bytes.size() - 40] ^ 0x02);
  Write(tmp.path() / "changed.sab", changed);

  {
    AgentProcess bad(SA_STORE_AGENT,
                     {"--bundle", (tmp.path() / "changed.sab").string(), "--bundle-key",
                      (tmp.path() / "brand.pub.pem").string(), "--data-dir",
                      (tmp.path() / "data-bad").string(), "--listen", "127.0.0.1:0"});
    bad.WaitForLog("\x01never\x01");  // to its end
    CHECK(bad.Wait() == 1);
    CHECK(bad.log().find("signature does not verify") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path() / "data-bad/provisioned/agent.toml"));
  }
  AgentProcess good(SA_STORE_AGENT, {"--bundle", (tmp.path() / "good.sab").string(), "--bundle-key",
                                     (tmp.path() / "brand.pub.pem").string(), "--data-dir",
                                     (tmp.path() / "data").string(), "--listen", "127.0.0.1:0"});
  const std::string ready = good.WaitForLog("\"msg\":\"ready\"");
  INFO(good.log());
  REQUIRE_FALSE(ready.empty());
  const json j = json::parse(ready);
  CHECK(j.at("store_id") == "SH-0042");
  CHECK(j.at("device_id") == "box-7");
  CHECK(ModeOf(tmp.path() / "data/provisioned/device.key.pem") == 0600);
}
