// SPDX-License-Identifier: Apache-2.0
// What the evdev and serial sources share: a scanner on a device node that
// may vanish and come back, read one scan at a time.
//
// A DeviceSource opens its device at Start() and, while it is absent or after
// it vanished, tries again every reopen_ms until Close(). Scans go out
// through one gate: after Deliver() the device reads nothing more until the
// scan's `next` was called (see OnScan), so a flooding scanner is slowed to
// the agent's pace. It keeps the counters status() shows.
//
// A device (EvdevSource, SerialSource) overrides the private hooks: check
// its options, open and close the device, and Pump() what it read into
// Deliver(). Its async handlers capture shared_from_this(), so a handler
// still queued after Close() finds the source alive and closed.
//
// The core itself waits and posts through the loop (loop::Timer, Post); the
// devices build their Asio descriptor or serial port on the loop's io().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "drivers.hpp"

namespace sa::drivers {

class DeviceSource : public std::enable_shared_from_this<DeviceSource> {
 public:
  // How status() and every ScanEvent name the source.
  struct Identity {
    std::string type;  // "evdev", "serial"
    std::string id;
    std::string terminal;
    std::string path;
  };

  // The ScanSource a Make*Source returns: a T built from `args`, closed when
  // the ScanSource is dropped.
  template <class T, class... Args>
  static std::unique_ptr<ScanSource> Make(Args&&... args) {
    return Own(std::make_shared<T>(std::forward<Args>(args)...));
  }

  DeviceSource(loop::EventLoop& loop, Identity identity, int reopen_ms, OnScan on_scan);
  // The same from a device's options (EvdevOptions, SerialOptions).
  template <class Options>
  DeviceSource(loop::EventLoop& loop, std::string type, const Options& o, OnScan on_scan)
      : DeviceSource(loop, {std::move(type), o.id, o.terminal, o.path}, o.reopen_ms,
                     std::move(on_scan)) {}
  virtual ~DeviceSource() = default;
  DeviceSource(const DeviceSource&) = delete;
  DeviceSource& operator=(const DeviceSource&) = delete;

  // ScanSource::Start, Close and status().
  Expected<void> Start();
  void Close();
  SourceStatus Status() const;

 protected:
  // Hands a code to OnScan; the gate stays shut until its `next` is called,
  // and then Pump() runs again.
  void Deliver(std::string payload);
  // EOF or a read error: closes the device, forgets what was half read and
  // looks for the device again.
  void Vanish(std::string why);
  // Runs `then` on the loop after reopen_ms unless the source is closed
  // first (an evdev file polled for appended records). It shares the reopen
  // timer: one waits while the device is open, the other while it is not.
  void Later(std::function<void()> then);

  bool closed() const { return closed_; }
  // Not closed, and no delivered scan is waiting for its `next`.
  bool gate_open() const { return !closed_ && !waiting_; }
  loop::EventLoop& loop() { return loop_; }

 private:
  // ---- the device's part ----
  // The options, checked once at Start(); an error is a config error.
  virtual Expected<void> Check() const = 0;
  // Opens the device: "" once it is open, else why not (shown as last_error).
  virtual std::string OpenDevice() = 0;
  // Releases the device; called on Close() and Vanish(), open or not.
  virtual void CloseDevice() = 0;
  virtual bool device_open() const = 0;
  // Delivers what is buffered while gate_open(); reads more when nothing
  // whole is left.
  virtual void Pump() = 0;
  // The device vanished: drop what was read of it but not delivered (a half
  // code or record counts as dropped).
  virtual void DiscardPartial() = 0;
  // Key bursts, records or codes lost so far.
  virtual std::uint64_t dropped() const = 0;

  static std::unique_ptr<ScanSource> Own(std::shared_ptr<DeviceSource> source);
  void TryOpen();

  loop::EventLoop& loop_;
  const Identity identity_;
  const int reopen_ms_;
  OnScan on_scan_;
  loop::Timer timer_;
  bool started_ = false;
  bool closed_ = false;
  bool waiting_ = false;          // a scan was delivered, its `next` not called yet
  std::uint64_t generation_ = 0;  // which delivery a `next` belongs to
  bool opened_once_ = false;
  std::uint64_t scans_ = 0;
  std::uint64_t reopens_ = 0;
  std::string last_error_ = "not started";
};

}  // namespace sa::drivers
