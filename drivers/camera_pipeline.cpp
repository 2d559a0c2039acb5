// SPDX-License-Identifier: Apache-2.0
// CameraPipeline: frames in from any thread, scans out on the loop.
//
// The worker decodes only the newest frame: Push() leaves a frame in a
// one-slot mailbox and a frame still waiting there is replaced (dropped), so
// a slow decoder costs frames, never memory or latency. Scans cross to the
// loop through a small set of undelivered payloads guarded by a mutex, with at
// most one handler posted at a time: a slow OnScan (or a stalled loop) makes
// payloads wait there, each once, instead of piling up posts.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "drivers.hpp"

namespace sa::drivers {
namespace {
// Distinct payloads waiting for the loop; more than this many new codes while
// one scan is still being handled means the oldest are no longer in view.
constexpr std::size_t kMaxPending = 16;

// What the loop-side handlers share with the worker. Held by shared_ptr so a
// handler posted before Stop() finds it alive (and stopped) afterwards.
struct Delivery : std::enable_shared_from_this<Delivery> {
  Delivery(loop::EventLoop& l, OnScan cb) : loop(l), on_scan(std::move(cb)) {}

  loop::EventLoop& loop;
  OnScan on_scan;
  std::mutex mutex;
  std::deque<ScanEvent> pending;  // each payload at most once
  bool posted = false;            // a Deliver() is queued on the loop
  bool handling = false;          // a scan was delivered and its `next` not yet called
  bool stopped = false;

  // Worker thread: queue the new codes of a frame and wake the loop if needed.
  void Offer(std::vector<ScanEvent> events) {
    std::lock_guard lock(mutex);
    if (stopped) return;
    for (auto& e : events) {
      bool waiting = false;
      for (const auto& p : pending) waiting = waiting || p.payload == e.payload;
      if (waiting) continue;
      if (pending.size() == kMaxPending) pending.pop_front();
      pending.push_back(std::move(e));
    }
    PostLocked();
  }

  void PostLocked() {
    if (posted || handling || pending.empty() || stopped) return;
    posted = true;
    loop.Post([self = shared_from_this()] { self->Deliver(); });
  }

  // Loop thread: hand over one scan; the next waits for `next`.
  void Deliver() {
    ScanEvent event;
    {
      std::lock_guard lock(mutex);
      posted = false;
      if (stopped || handling || pending.empty()) return;
      event = std::move(pending.front());
      pending.pop_front();
      handling = true;
    }
    on_scan(std::move(event), [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mutex);
      if (!self->handling) return;  // `next` called twice
      self->handling = false;
      // Posted rather than delivered here: `next` may be called from inside
      // OnScan, and a burst of codes must not recurse.
      self->PostLocked();
    });
  }
};

}  // namespace

struct CameraPipeline::Impl {
  Impl(loop::EventLoop& loop, CameraOptions opts, OnScan on_scan)
      : options(std::move(opts)), delivery(std::make_shared<Delivery>(loop, std::move(on_scan))) {}

  CameraOptions options;
  std::shared_ptr<Delivery> delivery;

  std::mutex mutex;
  std::condition_variable wake;
  std::optional<GrayImage> slot;  // the newest undecoded frame
  std::int64_t slot_at_ms = 0;
  bool stopping = false;

  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_decoded{0};
  std::atomic<std::uint64_t> frames_dropped{0};

  std::thread worker;

  void Run() {
    std::set<std::string> previous;  // payloads of the last decoded frame
    for (;;) {
      GrayImage frame;
      std::int64_t at_ms = 0;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || slot.has_value(); });
        if (stopping) return;
        frame = std::move(*slot);
        slot.reset();
        at_ms = slot_at_ms;
      }
      const auto found = DecodeImage(frame, options.decode);
      std::set<std::string> current;
      std::vector<ScanEvent> events;
      for (const auto& d : found) {
        if (!current.insert(d.payload).second) continue;
        if (previous.count(d.payload) != 0) continue;  // still in view: reported already
        events.push_back(ScanEvent{options.id, options.terminal, d.format, d.payload, at_ms});
      }
      previous = std::move(current);
      if (!events.empty()) delivery->Offer(std::move(events));
      // Counted once its scans are offered: a frame counted as decoded has
      // nothing left to say (tests wait on this).
      frames_decoded.fetch_add(1, std::memory_order_release);
    }
  }
};

CameraPipeline::CameraPipeline(loop::EventLoop& loop, CameraOptions options, OnScan on_scan)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(on_scan))) {
  impl_->worker = std::thread([impl = impl_.get()] { impl->Run(); });
}

CameraPipeline::~CameraPipeline() { Stop(); }

void CameraPipeline::Push(GrayImage frame) {
  const auto at_ms = SystemClock().now_ms();
  impl_->frames_in.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) {
      impl_->frames_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (impl_->slot) impl_->frames_dropped.fetch_add(1, std::memory_order_relaxed);
    impl_->slot = std::move(frame);
    impl_->slot_at_ms = at_ms;
  }
  impl_->wake.notify_one();
}

void CameraPipeline::Stop() {
  {
    std::lock_guard lock(impl_->delivery->mutex);
    impl_->delivery->stopped = true;
    impl_->delivery->pending.clear();
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  if (impl_->worker.joinable()) impl_->worker.join();
  std::lock_guard lock(impl_->mutex);
  if (impl_->slot) {  // never decoded: it counts as dropped
    impl_->slot.reset();
    impl_->frames_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t CameraPipeline::frames_in() const { return impl_->frames_in.load(); }
std::uint64_t CameraPipeline::frames_decoded() const {
  return impl_->frames_decoded.load(std::memory_order_acquire);
}
std::uint64_t CameraPipeline::frames_dropped() const { return impl_->frames_dropped.load(); }

}  // namespace sa::drivers
