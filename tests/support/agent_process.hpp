// SPDX-License-Identifier: Apache-2.0
// Test harness: the real store-agent as a child process, and a small libcurl
// client for its HTTP API. No sleeps: readiness is the daemon's "ready" log
// line on stderr.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sa::testing {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// store-agent with its stderr (JSON log lines) on a pipe we read.
class AgentProcess {
 public:
  // `watch` is the stream read for log lines: store-agent logs on stderr,
  // oms-sim prints its ready line on stdout. The other one is discarded.
  enum class Watch { stderr_lines, stdout_lines };
  AgentProcess(const std::string& binary, std::vector<std::string> args,
               Watch watch = Watch::stderr_lines) {
    int err[2];
    if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      const bool out = watch == Watch::stdout_lines;
      dup2(err[1], out ? STDOUT_FILENO : STDERR_FILENO);
      if (!out) {  // oms-sim's stderr stays the test's (ctest shows it on failure)
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
      }
      std::vector<char*> argv{const_cast<char*>(binary.c_str())};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(err[1]);
    err_fd_ = err[0];
  }
  ~AgentProcess() {
    if (pid_ > 0) Kill();
    if (err_fd_ >= 0) close(err_fd_);
  }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Reads stderr until a log line containing `needle`, the process ends, or
  // `limit` passes (a safety net against hangs, not a timing assumption).
  // Returns that line, or "" when it did not come.
  std::string WaitForLog(const std::string& needle,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto nl = log_.find('\n', scanned_);
      if (nl != std::string::npos) {
        std::string line = log_.substr(scanned_, nl - scanned_);
        scanned_ = nl + 1;
        if (line.find(needle) != std::string::npos) return line;
        continue;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{err_fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[4096];
      const ssize_t n = read(err_fd_, buf, sizeof buf);
      if (n <= 0) return "";
      log_.append(buf, static_cast<std::size_t>(n));
    }
  }
  // The "ready" line's "url".
  std::string WaitReady() {
    const std::string line = WaitForLog("\"msg\":\"ready\"");
    if (line.empty()) return "";
    return nlohmann::json::parse(line).value("url", "");
  }
  const std::string& log() const { return log_; }
  std::string DrainLog() {
    WaitForLog("\x01never\x01", std::chrono::milliseconds(0));
    return log_;
  }

  void Signal(int sig) { ::kill(pid_, sig); }
  // Exit status, or 128+signal.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  void Kill() {
    ::kill(pid_, SIGKILL);
    Wait();
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string log_;
  std::size_t scanned_ = 0;
};

struct HttpReply {
  long status = 0;           // 0: no answer (connection failed or dropped)
  CURLcode code = CURLE_OK;  // why there was none
  std::string body;
  std::string headers;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  // A header's value, looked up by the name as the server wrote it; "" when absent.
  std::string Header(const std::string& name) const {
    const auto at = headers.find(name + ": ");
    if (at == std::string::npos) return "";
    const auto from = at + name.size() + 2;
    return headers.substr(from, headers.find('\r', from) - from);
  }
};

// One HTTP request with libcurl. `headers` are full lines ("Name: value").
inline HttpReply Http(const std::string& method, const std::string& url,
                      const std::string& body = "", std::vector<std::string> headers = {},
                      const std::string& ca_file = "") {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  auto sink = +[](char* p, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sink);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  reply.code = curl_easy_perform(curl);
  if (reply.code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return reply;
}

// A client bound to one daemon: base URL and token.
struct Api {
  std::string url;
  std::string token;
  HttpReply Get(const std::string& path) const {
    return Http("GET", url + path, "", {"Authorization: Bearer " + token});
  }
  HttpReply Post(const std::string& path, const std::string& body,
                 const std::string& idempotency_key = "") const {
    std::vector<std::string> h{"Authorization: Bearer " + token, "Content-Type: application/json"};
    if (!idempotency_key.empty()) h.push_back("Idempotency-Key: " + idempotency_key);
    return Http("POST", url + path, body, h);
  }
  HttpReply Delete(const std::string& path) const {
    return Http("DELETE", url + path, "", {"Authorization: Bearer " + token});
  }
};

}  // namespace sa::testing
