// SPDX-License-Identifier: Apache-2.0
// A daemon's /v1/events stream read on its own thread, for tests and
// sa-bench: what arrived is waited on, never slept for.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "agent_process.hpp"

namespace sa::testing {

// ------------------------------------------------------------ SSE stream

// GET /v1/events on its own thread; the received bytes are waited on.
class EventStreamClient {
 public:
  explicit EventStreamClient(const Api& api)
      : url_(api.url + "/v1/events"), auth_("Authorization: Bearer " + api.token) {
    thread_ = std::thread([this] { Run(); });
  }
  ~EventStreamClient() { Stop(); }
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  // Waits until `done(data so far)` holds or the stream ends; whether it held.
  bool WaitFor(const std::function<bool(const std::string&)>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, limit, [&] { return done(data_) || finished_; });
    return done(data_);
  }
  // Ends the transfer: the next write (or progress) callback refuses.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string data() {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }
  bool finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }
  long status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  static std::size_t OnData(char* p, std::size_t size, std::size_t n, void* self_) {
    auto* self = static_cast<EventStreamClient*>(self_);
    if (self->stop_) return 0;  // we saw what we needed: end the transfer
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->data_.append(p, size * n);
    }
    self->cv_.notify_all();
    return size * n;
  }
  static int OnProgress(void* self_, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<EventStreamClient*>(self_)->stop_ ? 1 : 0;
  }
  void Run() {
    CURL* curl = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, auth_.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);  // safety net only
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &EventStreamClient::OnData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &EventStreamClient::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
      status_ = status;
    }
    cv_.notify_all();
  }

  std::string url_;
  std::string auth_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::string data_;
  bool finished_ = false;
  long status_ = 0;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace sa::testing
