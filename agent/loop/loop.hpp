// SPDX-License-Identifier: Apache-2.0
// The agent's one event loop. Every state change outside the ledger's writer
// happens on the loop's thread: the API, the terminals, the scanners. Work
// that would hold the loop (a 1 ms ECDSA verify, a 100 ms PIN hash) runs on
// Workers, whose results come back to the loop. Asio does the work; only
// adapters in platform/ folders reach it, through EventLoop::io().
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>

namespace asio {
class io_context;
}

namespace sa::loop {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers on the calling thread until Stop(), or until nothing is
  // left to wait for.
  void Run();
  void Stop();
  // Queues `fn` to run on the loop's thread. Safe from any thread.
  void Post(std::function<void()> fn);
  // For adapters in platform/ folders (sockets, RESTinio) and for tests.
  asio::io_context& io() { return *io_; }

 private:
  std::unique_ptr<asio::io_context> io_;
};

// A timer on the loop. Arming it again replaces the pending wait; Cancel()
// and the destructor make sure a pending callback never runs.
class Timer {
 public:
  explicit Timer(EventLoop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void After(std::chrono::milliseconds delay, std::function<void()> fn);
  void Cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Threads for work that must hold neither the loop nor the ledger's writer.
// A result reaches the loop only while the Workers live: once they are
// destroyed, nothing of theirs runs (no callback into a dead owner).
class Workers {
 public:
  Workers(EventLoop& loop, std::size_t threads);
  ~Workers();  // waits for the work running now
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Runs `work` on a worker, then `then(result)` on the loop.
  template <class T>
  void Run(std::function<T()> work, std::function<void(T)> then) {
    Post([this, work = std::move(work), then = std::move(then)] {
      auto result = std::make_shared<T>(work());
      Deliver([then, result] { then(std::move(*result)); });
    });
  }

 private:
  void Post(std::function<void()> on_worker);
  void Deliver(std::function<void()> on_loop);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Signals (SIGINT, SIGTERM) delivered on the loop instead of in a handler.
class Signals {
 public:
  Signals(EventLoop& loop, std::initializer_list<int> numbers);
  ~Signals();
  Signals(const Signals&) = delete;
  Signals& operator=(const Signals&) = delete;

  // `fn` runs once, on the loop, for the next signal; call again for another.
  void Next(std::function<void(int signal)> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sa::loop
