// SPDX-License-Identifier: Apache-2.0
// The loop on standalone Asio: the only file of the module that includes it.
#include "loop.hpp"

#include <asio.hpp>

namespace sa::loop {

EventLoop::EventLoop() : io_(std::make_unique<asio::io_context>()) {}
EventLoop::~EventLoop() = default;

void EventLoop::Run() { io_->run(); }
void EventLoop::Stop() { io_->stop(); }
void EventLoop::Post(std::function<void()> fn) { asio::post(*io_, std::move(fn)); }

// ---------------------------------------------------------------------- timer

struct Timer::Impl {
  explicit Impl(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  // Bumped by every arming and cancel: a wait that completes after its
  // timer was re-armed or cancelled sees a newer generation and does nothing.
  std::shared_ptr<std::uint64_t> generation = std::make_shared<std::uint64_t>(0);
};

Timer::Timer(EventLoop& loop) : impl_(std::make_unique<Impl>(loop.io())) {}
Timer::~Timer() { Cancel(); }

void Timer::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  const std::uint64_t mine = ++*impl_->generation;
  impl_->timer.expires_after(delay);
  impl_->timer.async_wait([gen = std::weak_ptr<std::uint64_t>(impl_->generation), mine,
                           fn = std::move(fn)](const asio::error_code& ec) {
    const auto current = gen.lock();
    if (ec || !current || *current != mine) return;
    fn();
  });
}

void Timer::Cancel() {
  ++*impl_->generation;
  impl_->timer.cancel();
}

// -------------------------------------------------------------------- workers

struct Workers::Impl {
  Impl(EventLoop& l, std::size_t threads) : loop(l), pool(threads) {}
  EventLoop& loop;
  asio::thread_pool pool;
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  // Read by the worker threads; never written after construction (the
  // destructor resets `alive`, which this only observes).
  const std::weak_ptr<int> token = alive;
};

Workers::Workers(EventLoop& loop, std::size_t threads)
    : impl_(std::make_unique<Impl>(loop, threads)) {}

Workers::~Workers() {
  impl_->alive.reset();  // results still on their way to the loop are dropped
  impl_->pool.join();
}

void Workers::Post(std::function<void()> on_worker) {
  asio::post(impl_->pool, std::move(on_worker));
}

void Workers::Deliver(std::function<void()> on_loop) {
  impl_->loop.Post([life = impl_->token, fn = std::move(on_loop)] {
    if (!life.expired()) fn();
  });
}

// -------------------------------------------------------------------- signals

struct Signals::Impl {
  Impl(asio::io_context& io, std::initializer_list<int> numbers) : set(io) {
    for (int n : numbers) set.add(n);
  }
  asio::signal_set set;
};

Signals::Signals(EventLoop& loop, std::initializer_list<int> numbers)
    : impl_(std::make_unique<Impl>(loop.io(), numbers)) {}
Signals::~Signals() = default;

void Signals::Next(std::function<void(int)> fn) {
  impl_->set.async_wait([fn = std::move(fn)](const asio::error_code& ec, int number) {
    if (!ec) fn(number);
  });
}

}  // namespace sa::loop
