// SPDX-License-Identifier: Apache-2.0
// Decoding and the camera pipeline on synthetic frames: QR codes rendered by
// ZXing's writer onto a gray canvas, then rotated, blurred, noised, washed out
// or warped by the small image helpers below. The pipeline tests run the
// loop's io_context on the test thread and wait on counters and scans, never
// on time.
#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "drivers.hpp"
#include "loop.hpp"

namespace {

using sa::drivers::CameraOptions;
using sa::drivers::CameraPipeline;
using sa::drivers::DecodeImage;
using sa::drivers::DecodeOptions;
using sa::drivers::GrayImage;
using sa::drivers::ScanEvent;

constexpr const char* kGs1Url = "https://id.gs1.org/01/09506000134352/21/ABC123?s=MEUCIQCz0_x-Yq";

GrayImage Canvas(int w, int h, std::uint8_t value) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), value);
  return img;
}

std::uint8_t& At(GrayImage& img, int x, int y) {
  return img.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                    static_cast<std::size_t>(x)];
}
std::uint8_t Get(const GrayImage& img, int x, int y) {
  x = std::clamp(x, 0, img.width - 1);
  y = std::clamp(y, 0, img.height - 1);
  return img.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                    static_cast<std::size_t>(x)];
}

// Draws a QR code of `text` with its top-left module at (x0, y0), `module`
// pixels a module, and a 4-module quiet zone of `light` around it.
void DrawQr(GrayImage& img, const std::string& text, int x0, int y0, int module,
            std::uint8_t dark = 0, std::uint8_t light = 255) {
  const auto bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setMargin(0).encode(text, 0, 0);
  const int quiet = 4 * module;
  for (int y = -quiet; y < bits.height() * module + quiet; ++y) {
    for (int x = -quiet; x < bits.width() * module + quiet; ++x) {
      const int px = x0 + x, py = y0 + y;
      if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
      const bool inside =
          x >= 0 && y >= 0 && x < bits.width() * module && y < bits.height() * module;
      At(img, px, py) = inside && bits.get(x / module, y / module) ? dark : light;
    }
  }
}

// A 640x480 frame with one code in the middle.
GrayImage Frame(const std::string& text, int module = 4, std::uint8_t dark = 0,
                std::uint8_t light = 255, std::uint8_t ground = 200) {
  auto img = Canvas(640, 480, ground);
  const auto bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setMargin(0).encode(text, 0, 0);
  DrawQr(img, text, (640 - bits.width() * module) / 2, (480 - bits.height() * module) / 2, module,
         dark, light);
  return img;
}

double Bilinear(const GrayImage& img, double sx, double sy, double outside) {
  if (sx < 0 || sy < 0 || sx > img.width - 1 || sy > img.height - 1) return outside;
  const int x = static_cast<int>(sx), y = static_cast<int>(sy);
  const double fx = sx - x, fy = sy - y;
  return (1 - fx) * (1 - fy) * Get(img, x, y) + fx * (1 - fy) * Get(img, x + 1, y) +
         (1 - fx) * fy * Get(img, x, y + 1) + fx * fy * Get(img, x + 1, y + 1);
}

// Every output pixel is sampled from where `inverse` maps it in `src`.
GrayImage Remap(const GrayImage& src,
                const std::function<std::array<double, 2>(double, double)>& inverse,
                double outside = 200) {
  auto out = Canvas(src.width, src.height, 0);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const auto [sx, sy] = inverse(x, y);
      At(out, x, y) = static_cast<std::uint8_t>(std::lround(Bilinear(src, sx, sy, outside)));
    }
  }
  return out;
}

GrayImage Rotate(const GrayImage& src, double degrees) {
  const double a = degrees * M_PI / 180, c = std::cos(a), s = std::sin(a);
  const double cx = src.width / 2.0, cy = src.height / 2.0;
  return Remap(src, [=](double x, double y) {
    return std::array<double, 2>{c * (x - cx) + s * (y - cy) + cx,
                                 -s * (x - cx) + c * (y - cy) + cy};
  });
}

// A camera looking at the label from the side: a projective warp.
GrayImage Perspective(const GrayImage& src) {
  // Maps output pixels to source pixels; the far side (right) is shrunk.
  return Remap(src, [](double x, double y) {
    const double w = 1 + 0.0009 * (x - 320);
    return std::array<double, 2>{(x - 320) / w * 1.0 + 320, (y - 240) / w + 240 + 0.08 * (x - 320)};
  });
}

GrayImage BoxBlur(const GrayImage& src, int r) {
  auto out = src;
  for (int y = 0; y < src.height; ++y) {
    for (int x = 0; x < src.width; ++x) {
      int sum = 0;
      for (int dy = -r; dy <= r; ++dy) {
        for (int dx = -r; dx <= r; ++dx) sum += Get(src, x + dx, y + dy);
      }
      At(out, x, y) = static_cast<std::uint8_t>(sum / ((2 * r + 1) * (2 * r + 1)));
    }
  }
  return out;
}

GrayImage Noise(const GrayImage& src, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, sigma);
  auto out = src;
  for (auto& p : out.pixels)
    p = static_cast<std::uint8_t>(std::clamp(std::lround(p + n(rng)), 0L, 255L));
  return out;
}

std::set<std::string> Payloads(const GrayImage& img, const DecodeOptions& options = {}) {
  std::set<std::string> out;
  for (const auto& d : DecodeImage(img, options)) {
    CHECK(d.format == "QRCode");
    out.insert(d.payload);
  }
  return out;
}

// Runs the loop on this thread until `done`, failing after 20 s instead of
// hanging. run_for returns early whenever a handler ran.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

struct Scans {
  std::vector<ScanEvent> events;
  std::vector<std::thread::id> threads;
  std::function<void()> held;  // `next` of the last scan when not called at once
  bool hold = false;

  sa::drivers::OnScan Callback() {
    return [this](ScanEvent e, std::function<void()> next) {
      events.push_back(std::move(e));
      threads.push_back(std::this_thread::get_id());
      if (hold) {
        held = std::move(next);
      } else {
        next();
      }
    };
  }
};

CameraOptions PipelineOptions() {
  CameraOptions o;
  o.id = "till-1-camera";
  o.terminal = "till-1";
  return o;
}

}  // namespace

TEST_CASE("DecodeImage reads a clean frame", "[decode]") {
  CHECK(Payloads(Frame(kGs1Url)) == std::set<std::string>{kGs1Url});
  const auto found = DecodeImage(Frame("hello"), {});
  REQUIRE(found.size() == 1);
  CHECK(found[0].format == "QRCode");
  CHECK(found[0].payload == "hello");
}

TEST_CASE("DecodeImage reads rotated frames", "[decode]") {
  const auto frame = Frame(kGs1Url, 5);
  CHECK(Payloads(Rotate(frame, 30)) == std::set<std::string>{kGs1Url});
  CHECK(Payloads(Rotate(frame, 90)) == std::set<std::string>{kGs1Url});
  CHECK(Payloads(Rotate(frame, 200)) == std::set<std::string>{kGs1Url});
}

TEST_CASE("DecodeImage reads blurred noisy and washed-out frames", "[decode]") {
  CHECK(Payloads(BoxBlur(Frame(kGs1Url, 5), 1)) == std::set<std::string>{kGs1Url});
  CHECK(Payloads(BoxBlur(Frame(kGs1Url, 6), 2)) == std::set<std::string>{kGs1Url});
  CHECK(Payloads(Noise(Frame(kGs1Url, 5), 20, 42)) == std::set<std::string>{kGs1Url});
  // 100 on 150: a dim label under shelf lighting.
  CHECK(Payloads(Frame(kGs1Url, 5, 100, 150, 125)) == std::set<std::string>{kGs1Url});
  CHECK(Payloads(Noise(Frame(kGs1Url, 5, 100, 150, 125), 8, 7)) == std::set<std::string>{kGs1Url});
}

TEST_CASE("DecodeImage reads a perspective-warped frame", "[decode]") {
  CHECK(Payloads(Perspective(Frame(kGs1Url, 5))) == std::set<std::string>{kGs1Url});
}

TEST_CASE("DecodeImage finds every code in a frame", "[decode]") {
  auto img = Canvas(640, 480, 210);
  DrawQr(img, "https://id.gs1.org/01/09506000134352/21/A1", 20, 20, 3);
  DrawQr(img, "https://id.gs1.org/01/09506000134352/21/B2", 350, 30, 3);
  DrawQr(img, "MEMBER:000123", 60, 300, 4);
  DrawQr(img, "https://id.gs1.org/01/04012345678901/21/C3", 400, 290, 3);
  CHECK(Payloads(img) == std::set<std::string>{"https://id.gs1.org/01/09506000134352/21/A1",
                                               "https://id.gs1.org/01/09506000134352/21/B2",
                                               "MEMBER:000123",
                                               "https://id.gs1.org/01/04012345678901/21/C3"});
}

TEST_CASE("DecodeImage finds nothing in a frame without a code", "[decode]") {
  CHECK(DecodeImage(Canvas(640, 480, 128), {}).empty());
  CHECK(DecodeImage(Noise(Canvas(640, 480, 128), 40, 1), {}).empty());
  CHECK(DecodeImage(GrayImage{}, {}).empty());
  GrayImage short_buffer{640, 480, std::vector<std::uint8_t>(100, 0)};
  CHECK(DecodeImage(short_buffer, {}).empty());
}

TEST_CASE("DecodeImage looks only for the formats asked", "[decode]") {
  DecodeOptions datamatrix;
  datamatrix.formats = {"DataMatrix"};
  CHECK(DecodeImage(Frame("hello"), datamatrix).empty());
  DecodeOptions both;
  both.formats = {"DataMatrix", "QRCode"};
  CHECK(Payloads(Frame("hello"), both) == std::set<std::string>{"hello"});
}

TEST_CASE("DecodeImage reads a light-on-dark code only with try_invert", "[decode]") {
  auto img = Frame("inverted", 5);
  for (auto& p : img.pixels) p = static_cast<std::uint8_t>(255 - p);
  DecodeOptions invert;
  invert.try_invert = true;
  CHECK(Payloads(img, invert) == std::set<std::string>{"inverted"});
}

TEST_CASE("CheckDecodeOptions refuses an unknown format name", "[decode]") {
  CHECK(sa::drivers::CheckDecodeOptions({}).has_value());
  DecodeOptions bad;
  bad.formats = {"QRCode", "QRCodez"};
  const auto r = sa::drivers::CheckDecodeOptions(bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == sa::ErrorKind::invalid_request);
  CHECK(r.error().message.find("QRCodez") != std::string::npos);
  DecodeOptions none;
  none.formats.clear();
  CHECK_FALSE(sa::drivers::CheckDecodeOptions(none).has_value());
  DecodeOptions many;
  many.formats = {"EAN13", "Code128", "DataMatrix", "MicroQRCode"};
  CHECK(sa::drivers::CheckDecodeOptions(many).has_value());
}

TEST_CASE("LoadImage reads a PGM and refuses missing and garbage files", "[decode]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("camera_test." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto frame = Frame(kGs1Url);
  {
    std::ofstream out(dir / "frame.pgm", std::ios::binary);
    out << "P5\n# a comment\n" << frame.width << " " << frame.height << "\n255\n";
    out.write(reinterpret_cast<const char*>(frame.pixels.data()),
              static_cast<std::streamsize>(frame.pixels.size()));
  }
  {
    std::ofstream out(dir / "garbage.png", std::ios::binary);
    std::mt19937 rng(3);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  {
    // A PGM header that claims a huge image: refused before any allocation.
    std::ofstream out(dir / "huge.pgm", std::ios::binary);
    out << "P5\n100000 100000\n255\n" << std::string(64, '\0');
  }
  const auto loaded = sa::drivers::LoadImage((dir / "frame.pgm").string());
  REQUIRE(loaded.has_value());
  CHECK(loaded->width == 640);
  CHECK(loaded->height == 480);
  CHECK(loaded->pixels == frame.pixels);
  CHECK(Payloads(*loaded) == std::set<std::string>{kGs1Url});

  const auto missing = sa::drivers::LoadImage((dir / "missing.png").string());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == sa::ErrorKind::not_found);
  const auto garbage = sa::drivers::LoadImage((dir / "garbage.png").string());
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().kind == sa::ErrorKind::invalid_request);
  CHECK(garbage.error().code == "not_an_image");
  const auto huge = sa::drivers::LoadImage((dir / "huge.pgm").string());
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().kind == sa::ErrorKind::invalid_request);
  const auto directory = sa::drivers::LoadImage(dir.string());
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().kind == sa::ErrorKind::invalid_request);
  std::filesystem::remove_all(dir);
}

TEST_CASE("CameraPipeline reports a code once while it stays in view", "[pipeline]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  CameraPipeline pipeline(loop, PipelineOptions(), scans.Callback());
  const auto code = Frame(kGs1Url);
  const auto blank = Canvas(640, 480, 128);
  // One frame at a time: each is decoded before the next is pushed, so none is dropped.
  const auto push_and_wait = [&](const GrayImage& frame) {
    const auto before = pipeline.frames_decoded();
    pipeline.Push(frame);
    REQUIRE(RunUntil(io, [&] { return pipeline.frames_decoded() > before; }));
  };
  push_and_wait(code);
  REQUIRE(RunUntil(io, [&] { return scans.events.size() == 1; }));
  push_and_wait(code);
  push_and_wait(code);
  push_and_wait(blank);
  push_and_wait(code);
  // The second report; a wrong report of the repeated frames would have come first.
  REQUIRE(RunUntil(io, [&] { return scans.events.size() >= 2; }));
  CHECK(scans.events.size() == 2);
  for (const auto& e : scans.events) {
    CHECK(e.source == "till-1-camera");
    CHECK(e.terminal == "till-1");
    CHECK(e.symbology == "QRCode");
    CHECK(e.payload == kGs1Url);
    CHECK(e.at_ms > 0);
  }
  // Scans are delivered on the thread running the io_context (this one).
  for (const auto& t : scans.threads) CHECK(t == std::this_thread::get_id());
  pipeline.Stop();
  CHECK(pipeline.frames_in() == 5);
  CHECK(pipeline.frames_decoded() == 5);
  CHECK(pipeline.frames_dropped() == 0);
}

TEST_CASE("CameraPipeline reports a new code among old ones", "[pipeline]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  CameraPipeline pipeline(loop, PipelineOptions(), scans.Callback());
  auto one = Canvas(640, 480, 210);
  DrawQr(one, "CODE-A", 40, 40, 4);
  auto two = one;
  DrawQr(two, "CODE-B", 360, 200, 4);
  pipeline.Push(one);
  REQUIRE(RunUntil(io, [&] { return scans.events.size() == 1; }));
  REQUIRE(RunUntil(io, [&] { return pipeline.frames_decoded() == 1; }));
  pipeline.Push(two);
  REQUIRE(RunUntil(io, [&] { return scans.events.size() == 2; }));
  CHECK(scans.events[0].payload == "CODE-A");
  CHECK(scans.events[1].payload == "CODE-B");
}

TEST_CASE("CameraPipeline delivers the next scan only after next", "[pipeline]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  scans.hold = true;
  CameraPipeline pipeline(loop, PipelineOptions(), scans.Callback());
  const auto push_and_wait = [&](const GrayImage& frame) {
    const auto before = pipeline.frames_decoded();
    pipeline.Push(frame);
    REQUIRE(RunUntil(io, [&] { return pipeline.frames_decoded() > before; }));
  };
  push_and_wait(Frame("CODE-1"));
  REQUIRE(RunUntil(io, [&] { return scans.events.size() == 1; }));
  // Three more codes while the first is being handled: they wait, each once.
  push_and_wait(Frame("CODE-2"));
  push_and_wait(Canvas(640, 480, 128));
  push_and_wait(Frame("CODE-2"));  // again after a frame without it, still undelivered
  push_and_wait(Frame("CODE-3"));
  io.restart();
  io.poll();
  CHECK(scans.events.size() == 1);
  for (const char* expected : {"CODE-2", "CODE-3"}) {
    auto next = std::exchange(scans.held, nullptr);
    REQUIRE(next);
    next();
    REQUIRE(RunUntil(io, [&] { return scans.held != nullptr; }));
    CHECK(scans.events.back().payload == expected);
  }
  scans.held();
  io.restart();
  io.poll();
  CHECK(scans.events.size() == 3);
}

TEST_CASE("CameraPipeline drops frames pushed while the worker is busy", "[pipeline]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  CameraPipeline pipeline(loop, PipelineOptions(), scans.Callback());
  const auto frame = Noise(Frame(kGs1Url), 6, 9);
  constexpr int kBurst = 200;
  std::uint64_t most_waiting = 0;
  for (int i = 0; i < kBurst; ++i) {
    pipeline.Push(frame);
    // Read in this order the difference can only be under-counted: at most
    // one frame in the mailbox plus the one being decoded.
    const auto in = pipeline.frames_in();
    const auto done = pipeline.frames_decoded() + pipeline.frames_dropped();
    most_waiting = std::max(most_waiting, in - std::min(in, done));
  }
  CHECK(most_waiting <= 2);
  REQUIRE(RunUntil(io, [&] { return !scans.events.empty(); }));
  pipeline.Stop();
  CHECK(pipeline.frames_in() == kBurst);
  CHECK(pipeline.frames_in() == pipeline.frames_decoded() + pipeline.frames_dropped());
  CHECK(pipeline.frames_decoded() >= 1);
  CHECK(pipeline.frames_dropped() > 0);
  CHECK(scans.events.size() == 1);  // the same code in every frame
  // After Stop nothing more is delivered.
  pipeline.Push(frame);
  io.restart();
  io.poll();
  CHECK(scans.events.size() == 1);
}

TEST_CASE("CameraPipeline stops with frames and scans in flight", "[pipeline]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  {
    CameraPipeline pipeline(loop, PipelineOptions(), scans.Callback());
    for (int i = 0; i < 5; ++i) pipeline.Push(Frame("CODE-" + std::to_string(i)));
  }  // the destructor stops and joins; handlers already posted find it stopped
  io.restart();
  io.poll();
  CHECK(scans.events.empty());
}

TEST_CASE("A camera source on an absent device keeps trying and closes promptly", "[camera]") {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  Scans scans;
  CameraOptions options = PipelineOptions();
  options.path = "/nonexistent/video99";
  // Far longer than any test run: Close() must interrupt the wait.
  options.reopen_ms = 600'000;
  auto source = sa::drivers::MakeCameraSource(loop, options, scans.Callback());
  REQUIRE(source->Start().has_value());
  REQUIRE(RunUntil(
      io, [&] { return source->status().last_error.find("No such file") != std::string::npos; }));
  const auto s = source->status();
  CHECK(s.id == "till-1-camera");
  CHECK(s.type == "camera");
  CHECK(s.terminal == "till-1");
  CHECK(s.path == "/nonexistent/video99");
  CHECK_FALSE(s.connected);
  CHECK(s.last_error.find("/nonexistent/video99") != std::string::npos);
  CHECK(s.scans == 0);
  CHECK(s.reopens == 0);
  source->Close();
  CHECK_FALSE(source->status().connected);
  source->Close();  // twice is fine
  CHECK(scans.events.empty());
}

TEST_CASE("A camera source refuses bad options at Start", "[camera]") {
  sa::loop::EventLoop loop;
  Scans scans;
  CameraOptions options = PipelineOptions();
  options.fps = 0;
  CHECK_FALSE(sa::drivers::MakeCameraSource(loop, options, scans.Callback())->Start().has_value());
  options = PipelineOptions();
  options.decode.formats = {"NotAFormat"};
  const auto r = sa::drivers::MakeCameraSource(loop, options, scans.Callback())->Start();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == sa::ErrorKind::invalid_request);
  options = PipelineOptions();
  options.path = "";
  CHECK_FALSE(sa::drivers::MakeCameraSource(loop, options, scans.Callback())->Start().has_value());
}
