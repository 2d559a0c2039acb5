// SPDX-License-Identifier: Apache-2.0
// Scenario "decode": how long the camera driver spends on one frame.
//
//   sa-bench decode [--frame FILE] [--n N]
//
// Two frame kinds of the same size: the given frame (without --frame, a
// 640x480 frame with one GS1 Digital Link QR code rendered by ZXing's writer)
// and a noise frame with no code, the camera's usual view. Per kind, one
// JSON line:
//   ms_per_frame            DecodeImage with the default DecodeOptions, as
//                           CameraPipeline's worker calls it (5 rounds of N,
//                           alternating with the baseline's; the median)
//   pipeline_ms_per_frame   CameraPipeline: Push of a frame copy until the
//                           worker has decoded it (and a new code was delivered
//                           on the io_context)
//   zxing_raw_ms_per_frame  shared/baselines/zxing_decode.cpp: ZXing's
//                           ReadBarcode with QR-only hints, nothing around it
//                           (the same loop in-process without shared/)
//   zbar_ms_per_frame       ZBar's QR scanner on the same frame (null in a
//                           build without ZBar: SA_BENCH_ZBAR)
//   ratio                   ms_per_frame / zxing_raw_ms_per_frame (target <= 1.05)
// The baseline keeps ZXing's other defaults (tryHarder, tryRotate), which the
// driver turns off; for QR codes in ZXing-cpp 1.4 they cost next to nothing,
// so the ratio is about 1: the driver hands ZXing a view of the frame, no copy.
#include "decode_bench.hpp"

#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "drivers.hpp"
#include "loop.hpp"
#if SA_BENCH_ZBAR
#include "zbar_decode.hpp"
#endif

namespace sa::bench {
namespace {

namespace fs = std::filesystem;
using drivers::GrayImage;

struct DecodeBenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A shelf-gray frame of `width` x `height` with one QR code in the middle,
// 4 px a module (what a fixed camera a hand's length from the counter sees).
GrayImage DefaultFrame(int width, int height) {
  const auto bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
          .setMargin(0)
          .encode("https://id.gs1.org/01/09506000134352/21/ABC123?s=MEUCIQDxq9Vb-7n_Hk3GZ0sN5lYt",
                  0, 0);
  GrayImage img{width, height,
                std::vector<std::uint8_t>(
                    static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 190)};
  constexpr int kModule = 4;
  const int x0 = (img.width - bits.width() * kModule) / 2,
            y0 = (img.height - bits.height() * kModule) / 2;
  for (int y = -4 * kModule; y < (bits.height() + 4) * kModule; ++y) {
    for (int x = -4 * kModule; x < (bits.width() + 4) * kModule; ++x) {
      const bool inside =
          x >= 0 && y >= 0 && x < bits.width() * kModule && y < bits.height() * kModule;
      img.pixels[static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(width) +
                 static_cast<std::size_t>(x0 + x)] =
          inside && bits.get(x / kModule, y / kModule) ? 20 : 235;
    }
  }
  return img;
}

// Sensor noise around mid-gray: what the camera sees most of the time.
GrayImage NoiseFrame(int width, int height) {
  GrayImage img{width, height,
                std::vector<std::uint8_t>(static_cast<std::size_t>(width) *
                                          static_cast<std::size_t>(height))};
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(128, 25);
  for (auto& p : img.pixels)
    p = static_cast<std::uint8_t>(std::clamp(std::lround(noise(rng)), 0L, 255L));
  return img;
}

void WritePgm(const fs::path& path, const GrayImage& img) {
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << img.width << " " << img.height << "\n255\n";
  out.write(reinterpret_cast<const char*>(img.pixels.data()),
            static_cast<std::streamsize>(img.pixels.size()));
  if (!out) throw DecodeBenchError("cannot write " + path.string());
}

struct Run {
  double ms_per_frame = 0;
  int decoded = 0;
};

Run OurDecode(const GrayImage& frame, int n) {
  const drivers::DecodeOptions options;  // what a camera gets unless its config says more
  Run run;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    if (!drivers::DecodeImage(frame, options).empty()) ++run.decoded;
  }
  run.ms_per_frame = MsSince(t0) / n;
  return run;
}

// Push -> decoded through the real pipeline, one frame in flight at a time
// (so none is dropped); the loop runs here and delivers the scans.
Run PipelineDecode(const GrayImage& frame, int n) {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  int scans = 0;
  drivers::CameraOptions options;
  options.id = "bench-camera";
  drivers::CameraPipeline pipeline(loop, options,
                                   [&scans](drivers::ScanEvent, std::function<void()> next) {
                                     ++scans;
                                     next();
                                   });
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    pipeline.Push(frame);  // a copy, as the capture thread makes one from its buffer
    while (pipeline.frames_decoded() < static_cast<std::uint64_t>(i + 1)) {
      io.restart();
      io.poll();
      std::this_thread::yield();
    }
  }
  io.restart();
  io.poll();
  Run run;
  run.ms_per_frame = MsSince(t0) / n;
  run.decoded = scans;
  pipeline.Stop();
  return run;
}

#ifdef SA_BASELINE_ZXING_DECODE

Run RawZxing(const fs::path& pgm, const GrayImage&, int n, std::string& source) {
  const auto line = RunBaselineProgram(SA_BASELINE_ZXING_DECODE, {pgm.string(), std::to_string(n)},
                                       "ms_per_frame");
  source = "shared/baselines/zxing_decode.cpp";
  return Run{line["ms_per_frame"].get<double>(), line.value("decoded", 0)};
}

#else

// zxing_decode.cpp's loop, for a checkout without shared/.
Run RawZxing(const fs::path&, const GrayImage& frame, int n, std::string& source) {
  const ZXing::ImageView view(frame.pixels.data(), frame.width, frame.height,
                              ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  Run run;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    if (ZXing::ReadBarcode(view, hints).isValid()) ++run.decoded;
  }
  run.ms_per_frame = MsSince(t0) / n;
  source = "in-process";
  return run;
}

#endif

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Rounds of ours then the baseline, alternating, so a noisy neighbour or a
// clock change on a shared machine hits both alike; the medians are compared.
constexpr int kRounds = 5;

Json Measure(const std::string& name, const GrayImage& frame, const fs::path& pgm, int n) {
  OurDecode(frame, 1);  // warm-up: first-use allocations and page faults
  std::string source;
  std::vector<double> ours_ms, raw_ms;
  Run ours_before, raw;
  for (int round = 0; round < kRounds; ++round) {
    ours_before = OurDecode(frame, n);
    raw = RawZxing(pgm, frame, n, source);
    ours_ms.push_back(ours_before.ms_per_frame);
    raw_ms.push_back(raw.ms_per_frame);
  }
  raw.ms_per_frame = Median(raw_ms);
  const Run pipeline = PipelineDecode(frame, n);
#if SA_BENCH_ZBAR
  const auto z = ZbarDecodeFrames(frame.pixels.data(), frame.width, frame.height, n);
  const Json zbar_ms = Round(z.ms_per_frame, 3);
  const Json zbar_decoded = z.decoded;
#else
  // Built without ZBar (SA_BENCH_ZBAR, tests/bench/CMakeLists.txt): no figure.
  const Json zbar_ms = nullptr;
  const Json zbar_decoded = nullptr;
#endif
  const double ours = Median(ours_ms);
  return Json{{"scenario", "decode"},
              {"frame", name},
              {"width", frame.width},
              {"height", frame.height},
              {"n", n},
              {"rounds", kRounds},
              {"ms_per_frame", Round(ours, 3)},
              {"pipeline_ms_per_frame", Round(pipeline.ms_per_frame, 3)},
              {"pipeline_scans", pipeline.decoded},
              {"zxing_raw_ms_per_frame", Round(raw.ms_per_frame, 3)},
              {"zxing_raw_decoded", raw.decoded},
              {"zbar_ms_per_frame", zbar_ms},
              {"zbar_decoded", zbar_decoded},
              {"ratio", Round(ours / raw.ms_per_frame, 3)},
              {"decoded", ours_before.decoded},
              {"baseline", "zxing_decode"},
              {"baseline_source", source}};
}

}  // namespace

DecodeScenario::DecodeScenario(CLI::App& app) {
  sub_ = app.add_subcommand(
      "decode",
      "ms per camera frame: our decode path vs. ZXing-cpp alone (and ZBar), on a frame "
      "with a code and on one without");
  sub_->add_option(
      "--frame", frame_,
      "a frame with a code (binary PGM, or any image LoadImage reads; default: a 640x480 "
      "frame with one QR code)");
  sub_->add_option("--size", size_,
                   "the default frame's size, WIDTHxHEIGHT (640x480, 1280x720, 1920x1080, ...)")
      ->check([](const std::string& text) -> std::string {
        int w = 0;
        int h = 0;
        char x = 0;
        char rest = 0;
        if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || x != 'x' || w < 320 ||
            h < 240 || w > 4096 || h > 4096) {
          return "a size is WIDTHxHEIGHT, 320x240 to 4096x4096";
        }
        return "";
      })
      ->capture_default_str();
  sub_->add_option("--n", n_, "decodes per measurement")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
}

bool DecodeScenario::parsed() const { return sub_->parsed(); }

int DecodeScenario::Run() const {
  char dir_template[] = "/tmp/sa-bench-decode.XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::cerr << "sa-bench: cannot create a temporary directory\n";
    return 1;
  }
  const fs::path dir = dir_template;
  int rc = 0;
  try {
    GrayImage frame;
    std::string name;
    if (frame_.empty()) {
      int width = 0;
      int height = 0;
      char x = 0;
      std::sscanf(size_.c_str(), "%d%c%d", &width, &x, &height);  // checked by --size
      frame = DefaultFrame(width, height);
      name = "default_qr";
    } else {
      auto loaded = drivers::LoadImage(frame_);
      if (!loaded) throw DecodeBenchError(loaded.error().message);
      frame = std::move(*loaded);
      name = frame_;
    }
    // The baseline reads binary PGM only: it gets the frame as we decoded it.
    WritePgm(dir / "frame.pgm", frame);
    const auto blank = NoiseFrame(frame.width, frame.height);
    WritePgm(dir / "blank.pgm", blank);
    std::cout << Measure(name, frame, dir / "frame.pgm", n_).dump() << std::endl;
    std::cout << Measure("blank", blank, dir / "blank.pgm", n_).dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "sa-bench: decode: " << e.what() << "\n";
    rc = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}

}  // namespace sa::bench
