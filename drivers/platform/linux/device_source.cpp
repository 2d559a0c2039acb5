// SPDX-License-Identifier: Apache-2.0
#include "device_source.hpp"

namespace sa::drivers {
namespace {

// The daemon holds a source by unique_ptr while the loop's handlers hold it
// by shared_ptr: dropping this closes it, the handlers let it go later.
class OwnedSource final : public ScanSource {
 public:
  explicit OwnedSource(std::shared_ptr<DeviceSource> source) : source_(std::move(source)) {}
  ~OwnedSource() override { source_->Close(); }
  OwnedSource(const OwnedSource&) = delete;
  OwnedSource& operator=(const OwnedSource&) = delete;

  Expected<void> Start() override { return source_->Start(); }
  void Close() override { source_->Close(); }
  SourceStatus status() const override { return source_->Status(); }

 private:
  std::shared_ptr<DeviceSource> source_;
};

}  // namespace

std::unique_ptr<ScanSource> DeviceSource::Own(std::shared_ptr<DeviceSource> source) {
  return std::make_unique<OwnedSource>(std::move(source));
}

DeviceSource::DeviceSource(loop::EventLoop& loop, Identity identity, int reopen_ms, OnScan on_scan)
    : loop_(loop),
      identity_(std::move(identity)),
      reopen_ms_(reopen_ms),
      on_scan_(std::move(on_scan)),
      timer_(loop) {}

Expected<void> DeviceSource::Start() {
  if (closed_) {
    return MakeError(ErrorKind::conflict, "source_closed", identity_.type + " source was closed");
  }
  if (started_) return {};
  if (auto ok = Check(); !ok) return ok;
  started_ = true;
  TryOpen();
  return {};
}

void DeviceSource::Close() {
  if (closed_) return;
  closed_ = true;
  timer_.Cancel();
  CloseDevice();
}

void DeviceSource::TryOpen() {
  if (closed_) return;
  if (auto why = OpenDevice(); !why.empty()) {
    last_error_ = std::move(why);
    return Later([this] { TryOpen(); });
  }
  if (opened_once_) ++reopens_;
  opened_once_ = true;
  last_error_.clear();
  Pump();
}

void DeviceSource::Later(std::function<void()> then) {
  // Arming it again replaces the wait before (loop::Timer).
  timer_.After(std::chrono::milliseconds(reopen_ms_),
               [self = shared_from_this(), then = std::move(then)] {
                 if (self->closed_) return;
                 then();
               });
}

void DeviceSource::Vanish(std::string why) {
  CloseDevice();
  DiscardPartial();
  last_error_ = std::move(why);
  Later([this] { TryOpen(); });
}

void DeviceSource::Deliver(std::string payload) {
  ++scans_;
  waiting_ = true;
  const std::uint64_t gen = ++generation_;
  ScanEvent event{identity_.id, identity_.terminal, "", std::move(payload), SystemClock().now_ms()};
  // Posted, so a handler calling next() at once does not recurse into Pump.
  auto next = [weak = weak_from_this(), gen] {
    auto self = weak.lock();
    if (!self) return;
    self->loop_.Post([self, gen] {
      if (self->closed_ || !self->waiting_ || self->generation_ != gen) return;
      self->waiting_ = false;
      self->Pump();
    });
  };
  on_scan_(std::move(event), std::move(next));
}

SourceStatus DeviceSource::Status() const {
  SourceStatus s;
  s.id = identity_.id;
  s.type = identity_.type;
  s.terminal = identity_.terminal;
  s.path = identity_.path;
  s.connected = !closed_ && device_open();
  s.scans = scans_;
  s.dropped = dropped();
  s.reopens = reopens_;
  s.last_error = closed_ ? "closed" : last_error_;
  return s;
}

}  // namespace sa::drivers
