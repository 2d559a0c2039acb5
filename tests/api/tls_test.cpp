// SPDX-License-Identifier: Apache-2.0
// The local API over HTTPS (api.tls_cert + api.tls_key): the real daemon with
// a self-signed P-256 certificate minted here by the openssl CLI. HTTPS
// answers (token still required, /v1/events streams), plain HTTP on the same
// port gets nothing, off loopback needs TLS, a bad certificate or key stops
// the start with a reason, and storectl trusts {data-dir}/api-cert.pem.
//
// Nothing sleeps: readiness is the "ready" log line, refusals are stderr
// lines and the exit status.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "support.hpp"

namespace fs = std::filesystem;
using sa::testing::AgentProcess;
using sa::testing::Child;
using sa::testing::Http;
using sa::testing::HttpReply;
using sa::testing::Slurp;
using sa::testing::TempDir;
using sa::testing::Trimmed;

namespace {

// libcurl's global init is not thread-safe; do it once up front.
[[maybe_unused]] const bool kCurlReady = [] {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}();

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// A self-signed P-256 certificate and its key, as {dir}/{name}.crt and
// {dir}/{name}.key; `san` is its subjectAltName.
void MintCert(const fs::path& dir, const std::string& name, const std::string& san) {
  Child openssl(
      "/usr/bin/openssl",
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
       (dir / (name + ".key")).string(), "-out", (dir / (name + ".crt")).string(), "-days", "30",
       "-subj", "/CN=store-agent-" + name, "-addext", "subjectAltName=" + san});
  (void)openssl.ReadAll();
  REQUIRE(openssl.Wait() == 0);
  REQUIRE(fs::file_size(dir / (name + ".crt")) > 0);
}

// A folder with certificates and a config naming one pair (paths relative
// to the config file, as an installer would write them).
struct Pki {
  TempDir temp{"sa-tls"};
  fs::path dir = temp.path();
  Pki() {
    MintCert(dir, "api", "IP:127.0.0.1");           // what a client checking the address accepts
    MintCert(dir, "noname", "DNS:till-1.invalid");  // names no address the till is reached by
    MintCert(dir, "other", "IP:127.0.0.1");         // someone else's
  }
  // A config with api.tls_cert = {cert}.crt, api.tls_key = {key}.key.
  std::string Config(const std::string& cert, const std::string& key) const {
    const fs::path file = dir / (cert + "-" + key + ".toml");
    Write(file, "[api]\ntls_cert = \"" + cert + ".crt\"\ntls_key = \"" + key + ".key\"\n");
    return file.string();
  }
  std::string Cert(const std::string& name) const { return (dir / (name + ".crt")).string(); }
};

std::vector<std::string> Args(const fs::path& data, const std::string& listen,
                              const std::string& config = "") {
  std::vector<std::string> args{"--demo", "--data-dir", data.string(), "--listen", listen};
  if (!config.empty()) {
    args.push_back("--config");
    args.push_back(config);
  }
  return args;
}

// A demo daemon, ready; its URL and token.
struct Agent {
  Agent(const fs::path& data, const std::string& listen, const std::string& config)
      : proc(std::make_unique<AgentProcess>(SA_STORE_AGENT, Args(data, listen, config))) {
    url = proc->WaitReady();
    INFO("stderr so far:\n" << proc->log());
    REQUIRE_FALSE(url.empty());
    token = Trimmed(Slurp((data / "api-token").string()));
    REQUIRE_FALSE(token.empty());
  }
  std::string Port() const { return url.substr(url.rfind(':') + 1); }
  std::unique_ptr<AgentProcess> proc;
  std::string url;
  std::string token;
};

// A daemon that must refuse to start: its exit status, and its stderr.
int Refused(const std::vector<std::string>& args, std::string* log) {
  AgentProcess p(SA_STORE_AGENT, args);
  (void)p.WaitForLog("\x01never\x01");  // to EOF: the daemon has exited (or the safety net)
  *log = p.log();
  return p.Wait();
}

// GET /v1/events over HTTPS until the stream's opening comment arrives.
struct SseReply {
  long status = 0;
  std::string data;
};
SseReply OpenEvents(const std::string& url, const std::string& token, const std::string& ca_file) {
  SseReply reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
  auto sink = +[](char* p, std::size_t size, std::size_t n, void* out) -> std::size_t {
    auto* data = static_cast<std::string*>(out);
    data->append(p, size * n);
    // Seen the opening comment: end the transfer (a stream never ends by itself).
    return Contains(*data, ": store-agent events\n\n") ? 0 : size * n;
  };
  curl_easy_setopt(curl, CURLOPT_URL, (url + "/v1/events").c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);  // safety net only
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.data);
  (void)curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

// `storectl --data-dir DIR status`: exit status and stdout.
int Storectl(const fs::path& data, std::string* out) {
  Child ctl(SA_STORECTL, {"--data-dir", data.string(), "status"});
  *out = ctl.ReadAll();
  return ctl.Wait();
}

}  // namespace

TEST_CASE("tls: the API is served over HTTPS with api.tls_cert and api.tls_key") {
  Pki pki;
  TempDir data("sa-tls-data");
  Agent a(data.path(), "127.0.0.1:0", pki.Config("api", "api"));
  INFO("stderr:\n" << a.proc->log());
  REQUIRE(a.url.rfind("https://127.0.0.1:", 0) == 0);
  CHECK(Trimmed(Slurp((data.path() / "api-url").string())) == a.url);

  SECTION("the certificate (not the key) is copied to api-cert.pem 0644") {
    const fs::path copy = data.path() / "api-cert.pem";
    CHECK(Slurp(copy.string()) == Slurp(pki.Cert("api")));
    struct stat st {};
    REQUIRE(::stat(copy.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    CHECK_FALSE(Contains(Slurp(copy.string()), "PRIVATE KEY"));
  }
  SECTION("GET /v1/health over HTTPS with the certificate as CA") {
    const HttpReply r = Http("GET", a.url + "/v1/health", "", {"Authorization: Bearer " + a.token},
                             pki.Cert("api"));
    INFO(curl_easy_strerror(r.code) << " " << r.body);
    CHECK(r.status == 200);
    CHECK(r.json().value("store_id", "") == "demo-store");
  }
  SECTION("the token is still required") {
    const HttpReply none = Http("GET", a.url + "/v1/health", "", {}, pki.Cert("api"));
    CHECK(none.status == 401);
    const HttpReply wrong =
        Http("GET", a.url + "/v1/health", "", {"Authorization: Bearer nope"}, pki.Cert("api"));
    CHECK(wrong.status == 401);
  }
  SECTION("a client that does not trust the certificate gets no answer") {
    const HttpReply r = Http("GET", a.url + "/v1/health", "", {"Authorization: Bearer " + a.token},
                             pki.Cert("other"));
    CHECK(r.status == 0);
    CHECK(r.code == CURLE_PEER_FAILED_VERIFICATION);
  }
  SECTION("plain HTTP on the same port gets no answer and does not hurt the server") {
    const HttpReply plain = Http("GET", "http://127.0.0.1:" + a.Port() + "/v1/health", "",
                                 {"Authorization: Bearer " + a.token});
    INFO(curl_easy_strerror(plain.code));
    CHECK(plain.status == 0);
    CHECK(plain.body.empty());
    const HttpReply after = Http("GET", a.url + "/v1/health", "",
                                 {"Authorization: Bearer " + a.token}, pki.Cert("api"));
    CHECK(after.status == 200);
  }
  SECTION("/v1/events streams over TLS") {
    const SseReply sse = OpenEvents(a.url, a.token, pki.Cert("api"));
    CHECK(sse.status == 200);
    CHECK(Contains(sse.data, ": store-agent events\n\n"));
    // the stream closed by the client is dropped; the server still answers
    const HttpReply after = Http("GET", a.url + "/v1/health", "",
                                 {"Authorization: Bearer " + a.token}, pki.Cert("api"));
    CHECK(after.status == 200);
  }
  SECTION("storectl status trusts api-cert.pem") {
    std::string out;
    CHECK(Storectl(data.path(), &out) == 0);
    CHECK(Contains(out, "demo-store"));
  }
  a.proc->Signal(SIGTERM);
  CHECK(a.proc->Wait() == 0);
}

TEST_CASE("tls: a certificate file holding its key too is copied without the key") {
  Pki pki;
  TempDir data("sa-tls-data");
  Write(pki.dir / "both.crt", Slurp((pki.dir / "api.key").string()) + Slurp(pki.Cert("api")));
  Write(pki.dir / "both.key", Slurp((pki.dir / "both.crt").string()));
  Agent a(data.path(), "127.0.0.1:0", pki.Config("both", "both"));
  const std::string copy = Slurp((data.path() / "api-cert.pem").string());
  CHECK(copy == Slurp(pki.Cert("api")));
  CHECK_FALSE(Contains(copy, "PRIVATE KEY"));
  const HttpReply r =
      Http("GET", a.url + "/v1/health", "", {"Authorization: Bearer " + a.token}, pki.Cert("api"));
  CHECK(r.status == 200);
}

TEST_CASE("tls: storectl pins api-cert.pem without a host name check") {
  Pki pki;
  TempDir data("sa-tls-data");
  Agent a(data.path(), "127.0.0.1:0", pki.Config("noname", "noname"));
  INFO("stderr:\n" << a.proc->log());
  REQUIRE(a.url.rfind("https://", 0) == 0);

  // The certificate names no address: a client checking host names refuses it...
  const HttpReply named = Http("GET", a.url + "/v1/health", "",
                               {"Authorization: Bearer " + a.token}, pki.Cert("noname"));
  CHECK(named.status == 0);
  // ...storectl, pinned to it, does not.
  std::string out;
  CHECK(Storectl(data.path(), &out) == 0);
  CHECK(Contains(out, "demo-store"));

  SECTION("another certificate in api-cert.pem is refused") {
    fs::copy_file(pki.Cert("other"), data.path() / "api-cert.pem",
                  fs::copy_options::overwrite_existing);
    CHECK(Storectl(data.path(), &out) == 2);
  }
  SECTION("without api-cert.pem the system's CAs are used and refuse it") {
    fs::remove(data.path() / "api-cert.pem");
    CHECK(Storectl(data.path(), &out) == 2);
  }
}

TEST_CASE("tls: off loopback the API needs TLS") {
  Pki pki;
  TempDir data("sa-tls-data");

  SECTION("0.0.0.0 without TLS exits 1 with the reason") {
    std::string log;
    CHECK(Refused(Args(data.path(), "0.0.0.0:0"), &log) == 1);
    CHECK(Contains(log,
                   "api.listen 0.0.0.0:0 is off loopback: set api.tls_cert and api.tls_key "
                   "(the API token must not cross the LAN in clear)"));
    CHECK_FALSE(fs::exists(data.path() / "api-url"));
  }
  SECTION("0.0.0.0 with TLS starts") {
    Agent a(data.path(), "0.0.0.0:0", pki.Config("api", "api"));
    REQUIRE(a.url.rfind("https://0.0.0.0:", 0) == 0);
    const HttpReply r = Http("GET", "https://127.0.0.1:" + a.Port() + "/v1/health", "",
                             {"Authorization: Bearer " + a.token}, pki.Cert("api"));
    CHECK(r.status == 200);
  }
  SECTION("loopback without TLS starts on plain HTTP and drops a stale api-cert.pem") {
    Write(data.path() / "api-cert.pem", Slurp(pki.Cert("other")));
    Agent a(data.path(), "127.0.0.1:0", "");
    CHECK(a.url.rfind("http://127.0.0.1:", 0) == 0);
    CHECK_FALSE(fs::exists(data.path() / "api-cert.pem"));
    CHECK(Http("GET", a.url + "/v1/health", "", {"Authorization: Bearer " + a.token}).status ==
          200);
  }
}

TEST_CASE("tls: a bad certificate or key stops the start with a reason") {
  Pki pki;
  TempDir data("sa-tls-data");
  std::string log;

  SECTION("a garbage certificate file") {
    Write(pki.dir / "garbage.crt", "this is not a certificate\n");
    CHECK(Refused(Args(data.path(), "127.0.0.1:0", pki.Config("garbage", "api")), &log) == 1);
    CHECK(Contains(log, "\"msg\":\"cannot serve the API\""));
    CHECK(Contains(log, "the TLS certificate chain does not load"));
  }
  SECTION("a key of another certificate") {
    CHECK(Refused(Args(data.path(), "127.0.0.1:0", pki.Config("api", "other")), &log) == 1);
    CHECK(Contains(log, "does not match the certificate"));
  }
  SECTION("a garbage key file") {
    Write(pki.dir / "garbage.key",
          "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    CHECK(Refused(Args(data.path(), "127.0.0.1:0", pki.Config("api", "garbage")), &log) == 1);
    CHECK(Contains(log, "the TLS private key does not load"));
  }
  SECTION("a missing key file") {
    CHECK(Refused(Args(data.path(), "127.0.0.1:0", pki.Config("api", "missing")), &log) == 1);
    CHECK(Contains(log,
                   "store-agent: api.tls_key: cannot read " + (pki.dir / "missing.key").string()));
  }
  SECTION("a certificate without its key is a config error") {
    const fs::path file = pki.dir / "half.toml";
    Write(file, "[api]\ntls_cert = \"api.crt\"\n");
    CHECK(Refused(Args(data.path(), "127.0.0.1:0", file.string()), &log) == 1);
    CHECK(Contains(log, file.string() + ":2: api.tls_cert is set but api.tls_key is not"));
  }
  INFO(log);
  CHECK_FALSE(fs::exists(data.path() / "api-url"));
}
