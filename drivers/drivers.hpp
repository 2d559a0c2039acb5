// SPDX-License-Identifier: Apache-2.0
// The store's hardware: scanner sources and the receipt printer.
//
// Every scanner is a ScanSource: it delivers ScanEvents on the agent's loop
// through an OnScan callback, one at a time (the next scan of a source is
// read only after the last one was handled, so a stuck or flooding scanner
// is slowed to the agent's pace instead of queueing without bound).
//
//   evdev   a USB HID keyboard-wedge scanner: input_event records from a
//           /dev/input node (grabbed) or any file or FIFO; WedgeDecoder turns
//           key presses into codes.
//   serial  an RS-232 / USB-CDC scanner on a tty (or a pty), framed by CR,
//           LF, CRLF or a set suffix.
//   camera  V4L2 frames decoded by ZXing-cpp on a worker thread
//           (CameraPipeline); DecodeImage/LoadImage decode files the same way.
//   tcp     one code per line over TCP (shelf devices, tests, the demo).
//
// Sources run on the agent's loop::EventLoop and reopen their device after an
// unplug without a restart. Nothing here knows about sales: the daemon routes
// scans (see store-agent's main.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "loop.hpp"

namespace sa::drivers {

struct ScanEvent {
  std::string source;     // the source's id, e.g. "till-1-wedge" or "tcp:127.0.0.1:50412"
  std::string terminal;   // the terminal the source belongs to
  std::string symbology;  // what the source knows of it: "QRCode" from the camera, else ""
  std::string payload;    // the bytes read, AIM prefix included, without the terminator
  std::int64_t at_ms = 0;
};

// Called on the loop thread. `next` must be called once the scan is handled.
using OnScan = std::function<void(ScanEvent, std::function<void()> next)>;

// What GET /v1/scanners shows of a source.
struct SourceStatus {
  std::string id;
  std::string type;  // evdev | serial | camera | tcp
  std::string terminal;
  std::string path;  // device path, by-id pattern or listen address
  bool connected = false;
  std::uint64_t scans = 0;  // scans delivered
  std::uint64_t dropped =
      0;  // key bursts / frames / lines dropped (slow typing, busy decoder, ...)
  std::uint64_t reopens = 0;  // times the device came back after vanishing
  std::string last_error;     // why it is not connected, "" when it is
};

class ScanSource {
 public:
  virtual ~ScanSource() = default;
  // Opens the device and starts delivering scans. An error here is a config
  // error (bad path pattern, bad options); a device that is merely absent is
  // not: the source keeps trying to open it and reports it in status().
  virtual Expected<void> Start() = 0;
  // Stops reading and releases the device; no OnScan call follows.
  virtual void Close() = 0;
  // Safe to call on the loop thread at any time.
  virtual SourceStatus status() const = 0;
};

// ---- evdev (USB HID keyboard-wedge) ------------------------------------------

// One struct input_event, as read from the device (time in microseconds).
struct KeyEvent {
  std::int64_t at_us = 0;
  std::uint16_t type = 0;  // EV_KEY = 1; others are ignored
  std::uint16_t code = 0;  // KEY_* code
  std::int32_t value = 0;  // 1 press, 0 release, 2 autorepeat
};

struct WedgeOptions {
  // A built-in layout name: "us" (default), "de", "fr", "uk".
  std::string layout = "us";
  // Per-key overrides on top of the layout: KEY_* code -> {plain, shifted}.
  std::map<std::uint16_t, std::pair<char, char>> keymap;
  // The key that ends a code: "enter" (default), "tab" or "any" (either).
  std::string terminator = "enter";
  // A gap between two key presses longer than this ends the burst as human
  // typing: what was typed so far is dropped (counted, not scanned).
  int inter_key_timeout_ms = 50;
};

// Turns key events into codes: a fixed key map (independent of the desktop
// layout), Shift and Caps Lock, GS (ASCII 29) typed as Ctrl+] or as
// Alt+0029 on the keypad, AIM symbology prefixes passed through as typed.
class WedgeDecoder {
 public:
  explicit WedgeDecoder(WedgeOptions options = {});
  // A completed code when this event is the terminator of a fast burst.
  std::optional<std::string> Feed(const KeyEvent& event);
  std::uint64_t dropped() const { return dropped_; }
  void Reset();  // forget a half-typed code and modifier state (device reopened)

 private:
  WedgeOptions options_;
  std::string buffer_;
  std::int64_t last_press_us_ = -1;
  bool shift_left_ = false, shift_right_ = false, ctrl_ = false, alt_ = false, caps_ = false;
  bool altgr_ = false;  // right Alt on layouts that type ASCII with AltGr (de, fr)
  std::string alt_digits_;
  std::uint64_t dropped_ = 0;
};

// Built-in layout names for config validation.
bool KnownLayout(std::string_view name);
// "KEY_A" -> 30 etc. (the names of linux/input-event-codes.h), for config keymaps.
std::optional<std::uint16_t> KeyCodeByName(std::string_view name);

struct EvdevOptions {
  std::string id;
  std::string terminal;
  // A path (a /dev/input/event* node, a file or a FIFO), or a glob pattern
  // over /dev/input/by-id names such as "/dev/input/by-id/*Honeywell*-event-kbd".
  std::string path;
  bool grab = true;     // EVIOCGRAB, so the desktop does not see the key presses
  int reopen_ms = 500;  // how often a vanished device is looked for again
  WedgeOptions wedge;
};

std::unique_ptr<ScanSource> MakeEvdevSource(loop::EventLoop& loop, EvdevOptions options,
                                            OnScan on_scan);

// ---- serial ------------------------------------------------------------------

struct SerialOptions {
  std::string id;
  std::string terminal;
  std::string path;  // /dev/ttyUSB0, /dev/ttyACM0, a pty
  unsigned baud = 9600;
  std::string parity = "none";  // none | odd | even
  unsigned stop_bits = 1;       // 1 | 2
  unsigned data_bits = 8;       // 7 | 8
  // What ends a code: "cr", "lf", "crlf" or any other non-empty string taken
  // literally (e.g. "\x03"); a code with no terminator within 4096 bytes is dropped.
  std::string framing = "cr";
  int reopen_ms = 500;
};

std::unique_ptr<ScanSource> MakeSerialSource(loop::EventLoop& loop, SerialOptions options,
                                             OnScan on_scan);

// ---- decoding images and camera frames ---------------------------------------

// An 8-bit grayscale image, rows packed (stride = width).
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

struct DecodeOptions {
  // ZXing-cpp format names ("QRCode", "DataMatrix", "EAN13", "Code128", ...).
  std::vector<std::string> formats = {"QRCode"};
  bool try_rotate = false;
  bool try_invert = false;
  bool try_harder = false;
  bool binarize_local = true;  // ZXing's LocalAverage binarizer (its default)
};

struct Decoded {
  std::string format;   // ZXing-cpp's name of it, e.g. "QRCode"
  std::string payload;  // the bytes of the symbol's text (UTF-8)
};

// Checks format names; an unknown one is an invalid_request error.
Expected<void> CheckDecodeOptions(const DecodeOptions& options);
// Every code found in the image (empty when there is none).
std::vector<Decoded> DecodeImage(const GrayImage& image, const DecodeOptions& options);
// PNG, JPEG and binary PGM/PPM (P5/P6) files, converted to grayscale.
// Errors: not_found (no such file), invalid_request (not an image it reads).
Expected<GrayImage> LoadImage(const std::string& path);

struct CameraOptions {
  std::string id;
  std::string terminal;
  std::string path = "/dev/video0";
  int width = 640;
  int height = 480;
  int fps = 15;
  DecodeOptions decode;
  int reopen_ms = 1000;
};

// The frames-to-scans half of the camera: frames are pushed from any thread;
// a worker thread decodes the newest one. When decoding is slower than
// capture, frames are dropped, never queued. A code seen in consecutive
// frames is reported once (again only after a frame without it).
class CameraPipeline {
 public:
  CameraPipeline(loop::EventLoop& loop, CameraOptions options, OnScan on_scan);
  ~CameraPipeline();
  void Push(GrayImage frame);  // any thread
  void Stop();                 // joins the worker
  std::uint64_t frames_in() const;
  std::uint64_t frames_decoded() const;
  std::uint64_t frames_dropped() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// V4L2 capture (through libv4l2 for format conversion) feeding a CameraPipeline.
std::unique_ptr<ScanSource> MakeCameraSource(loop::EventLoop& loop, CameraOptions options,
                                             OnScan on_scan);

// ---- tcp ---------------------------------------------------------------------

// Listens on HOST:PORT; every line a client sends is a scan. A line over
// 4096 bytes is reported once with its first 4096 bytes (the code parser
// refuses it as too large) and the rest of it is skipped. With a token, a
// client's first line must be "TOKEN <token>" (compared in constant time) or
// it is disconnected; the daemon requires one off loopback.
class TcpLineSource {
 public:
  TcpLineSource(loop::EventLoop& loop, OnScan on_scan);
  ~TcpLineSource();
  void set_id(std::string id, std::string terminal);
  void set_token(std::string token);
  Expected<std::uint16_t> Listen(const std::string& host, std::uint16_t port);
  void Close();
  SourceStatus status() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// ---- receipt printer ---------------------------------------------------------

struct PrinterOptions {
  // Where the ESC/POS bytes go: a device or file path (/dev/usb/lp0, a pty,
  // a file), or "tcp://HOST:PORT" (a network printer, usually port 9100).
  std::string target;
  int timeout_ms = 5000;
};

// Writes one whole job (blocking: call it off the loop thread). The bytes are
// written as they are; receipt::EscPos makes them. No status is asked.
Expected<void> Print(const PrinterOptions& printer, std::string_view escpos_bytes);

// ---- receipt printer status (ESC/POS DLE EOT n) ------------------------------

// What the printer says of itself. `ready` also covers "near end": it still
// prints. `unknown`: it cannot say (a file, a one-way USB port) or did not
// answer, or answered something that is not a status byte.
enum class PrinterState { unknown, ready, paper_out, cover_open, offline, error };
enum class PaperLevel { unknown, ok, near_end, out };
std::string_view Name(PrinterState state);  // "unknown", "ready", "paper_out", ...
std::string_view Name(PaperLevel paper);    // "unknown", "ok", "near_end", "out"

struct PrinterStatus {
  PrinterState state = PrinterState::unknown;
  PaperLevel paper = PaperLevel::unknown;
  std::optional<bool> cover_open;  // nothing when the printer did not say
  std::string detail;              // for a person: why it is not ready, "" when it is
  // True when a job sent now would not print: paper out, cover open,
  // offline or an error. An unknown printer is tried.
  bool blocks_printing() const {
    return state != PrinterState::ready && state != PrinterState::unknown;
  }
};

// The answers to DLE EOT 1..4 (printer, offline cause, error cause, paper
// roll sensor); nothing for a query left unanswered.
struct StatusAnswers {
  std::optional<std::uint8_t> printer;  // n = 1
  std::optional<std::uint8_t> offline;  // n = 2
  std::optional<std::uint8_t> error;    // n = 3
  std::optional<std::uint8_t> paper;    // n = 4
};

// The query DLE EOT n (0x10 0x04 n), n in 1..4.
std::string StatusQuery(int n);
// True for a byte with the fixed bits every DLE EOT answer has (bits 1 and
// 4 on, 0 and 7 off); anything else is not a status answer.
bool IsStatusByte(std::uint8_t b);
// What the answers say. The printer answer (n = 1) missing or not a status
// byte makes the state unknown; the other answers refine it when present:
// cover open before paper out before an error before a bare offline.
PrinterStatus DecodeStatus(const StatusAnswers& answers);

// True when the target can answer a status query: tcp://, or a character
// device (a USB printer's /dev/usb/lp*, a serial port or pty). A regular
// file or a FIFO cannot.
bool CanAskStatus(const std::string& target);

// Asks DLE EOT 1, then 2, 3 and 4 when the printer answers, within
// printer.timeout_ms (blocking: call it off the loop thread). A target that
// cannot answer is unknown without asking; one that is absent, refuses the
// connection or answers nothing is offline or unknown, never an error.
PrinterStatus AskStatus(const PrinterOptions& printer);

// One job sent with the status asked after it where the target can answer.
struct SentJob {
  // Empty when every byte was taken; else printer_unavailable with reason
  // "offline" (no such device, connection refused, unplugged mid-job) or
  // "timeout" (the printer stopped taking bytes).
  std::optional<Error> error;
  PrinterStatus after;  // what the printer said after the job (unknown when not asked)
};
// `ask_after` false: a printer known not to answer is not made to wait for.
SentJob SendJob(const PrinterOptions& printer, std::string_view escpos_bytes,
                bool ask_after = true);

// ---- receipt print queue -----------------------------------------------------

// One job's place in its printer's queue: queued (waiting for the printer),
// printing, printed, failed.
enum class JobState { queued, printing, printed, failed };
std::string_view Name(JobState state);

struct JobView {
  std::uint64_t id = 0;
  std::string label;  // what the job prints, as its owner named it (a sale id)
  JobState state = JobState::queued;
  // Why it is not printed (yet): paper_out, cover_open, offline, error,
  // timeout, gave_up, dropped, or the owner's error code; "" once printed.
  std::string reason;
  std::string detail;  // for a person
  int attempts = 0;    // sends and status checks that found the printer unable
  std::int64_t at_ms = 0;
  std::size_t bytes = 0;  // of the last attempt that had bytes
};

// A job as its owner gives it to the queue. The owner makes the bytes only
// when the printer is found able to take them (so a receipt waiting for
// paper is not yet counted as printed), and hears of every attempt.
struct QueueJob {
  std::string label;
  // Retried until printed when the printer cannot take it now (an automatic
  // receipt); else a failed attempt fails the job (a reprint asked for).
  bool retry = true;
  // On the loop: the bytes to send now, or why there are none (the job
  // fails with the error's code as its reason).
  std::function<void(std::function<void(Expected<std::string>)> bytes)> make_bytes;
  // On the loop: the bytes made by make_bytes did not reach the printer.
  std::function<void()> not_taken;
  // On the loop, after each attempt: the job as it stands.
  std::function<void(const JobView&)> attempted;
};

struct QueueOptions {
  std::string name;  // the printer's name in the config
  PrinterOptions printer;
  int retry_ms = 3000;                       // how often a waiting job is tried again
  int poll_ms = 30000;                       // how often an idle printer that can answer is asked
  std::size_t capacity = 100;                // jobs kept (the oldest finished ones go first)
  std::int64_t give_up_ms = 15 * 60 * 1000;  // a job waiting longer fails as gave_up
};

struct QueueStatus {
  std::string name;
  std::string target;
  PrinterStatus status;
  std::int64_t checked_at_ms = 0;  // 0: never asked
  std::vector<JobView> jobs;       // oldest first
};

// A printer's jobs, one at a time on the printer's own worker thread, with
// their state kept in memory (the last `capacity`). Before a job the printer
// is asked (AskStatus) where it can answer; a printer that cannot take it
// leaves the job queued with the reason, and it is tried again every
// retry_ms on the loop's timer. Loop thread only.
class PrintQueue {
 public:
  PrintQueue(loop::EventLoop& loop, QueueOptions options, const Clock& clock);
  ~PrintQueue();
  PrintQueue(const PrintQueue&) = delete;
  PrintQueue& operator=(const PrintQueue&) = delete;

  // Asks the printer once, and keeps asking every poll_ms while idle.
  void Start();
  // Stops the timer and waits for the job on the worker (its deadline ends
  // it); no callback of a job runs after this.
  void Close();

  // Queues a job and tries it now when the printer is free. A job already
  // waiting with the same label is tried now instead, and `first` hears of
  // that attempt: one receipt waits once. `first` (may be empty) runs once,
  // on the loop, after this job's first attempt.
  void Add(QueueJob job, std::function<void(const JobView&)> first = {});

  QueueStatus status() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sa::drivers
