// SPDX-License-Identifier: Apache-2.0
// The camera source: V4L2 capture through libv4l2 on its own thread, frames
// into a CameraPipeline. libv4l2 converts whatever the camera sends (MJPEG,
// YUYV, ...) to YUV420 when the camera cannot send 8-bit gray itself; the Y
// plane of YUV420 is the gray image, so no colour conversion is ours.
//
// Capture is mmap streaming when the driver offers it, read() otherwise.
// A device that is absent or vanishes is looked for again every reopen_ms;
// Close() wakes the thread from poll() or from that wait through an eventfd.
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

// A V4L2 call failed; `what` names the call for last_error.
struct V4l2Failure {
  std::string what;
  int err = 0;
  std::string Message() const { return what + ": " + std::strerror(err); }
};

int Xioctl(int fd, unsigned long request, void* arg) {
  int r = 0;
  do {
    r = v4l2_ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

// One open device, closed (and unmapped) on scope exit.
class Device {
 public:
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device() { Release(); }

  int fd = -1;
  struct Buffer {
    void* start = nullptr;
    std::size_t length = 0;
  };
  std::vector<Buffer> buffers;
  bool streaming = false;

  void Release() {
    if (fd < 0) return;
    if (streaming) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      Xioctl(fd, VIDIOC_STREAMOFF, &type);
    }
    for (const auto& b : buffers) v4l2_munmap(b.start, b.length);
    buffers.clear();
    v4l2_close(fd);
    fd = -1;
  }
};

class CameraSource final : public ScanSource {
 public:
  CameraSource(loop::EventLoop& loop, CameraOptions options, OnScan on_scan)
      : options_(std::move(options)), loop_(loop), on_scan_(std::move(on_scan)) {}

  ~CameraSource() override { Close(); }

  Expected<void> Start() override {
    if (options_.path.empty()) {
      return MakeError(ErrorKind::invalid_request, "bad_camera",
                       "camera " + options_.id + ": no device path");
    }
    if (options_.width <= 0 || options_.height <= 0 || options_.width > 16384 ||
        options_.height > 16384 || options_.fps <= 0 || options_.reopen_ms <= 0) {
      return MakeError(
          ErrorKind::invalid_request, "bad_camera",
          "camera " + options_.id + ": width, height, fps and reopen_ms must be positive");
    }
    if (auto ok = CheckDecodeOptions(options_.decode); !ok)
      return ok.error().WithContext("camera " + options_.id);
    if (thread_.joinable()) return {};
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
      return MakeError(ErrorKind::internal, "camera_failed",
                       std::string("eventfd: ") + std::strerror(errno));
    }
    pipeline_ = std::make_unique<CameraPipeline>(
        loop_, options_, [this](ScanEvent event, std::function<void()> next) {
          scans_.fetch_add(1, std::memory_order_relaxed);
          on_scan_(std::move(event), std::move(next));
        });
    SetState(false, options_.path + ": not opened yet");
    thread_ = std::thread([this] { Run(); });
    return {};
  }

  void Close() override {
    closing_.store(true);
    if (wake_fd_ >= 0) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    }
    if (thread_.joinable()) thread_.join();
    if (pipeline_) pipeline_->Stop();
    if (wake_fd_ >= 0) {
      ::close(wake_fd_);
      wake_fd_ = -1;
    }
    std::lock_guard lock(mutex_);
    connected_ = false;
  }

  SourceStatus status() const override {
    SourceStatus s;
    s.id = options_.id;
    s.type = "camera";
    s.terminal = options_.terminal;
    s.path = options_.path;
    {
      std::lock_guard lock(mutex_);
      s.connected = connected_;
      s.last_error = last_error_;
      s.reopens = reopens_;
    }
    s.scans = scans_.load(std::memory_order_relaxed);
    s.dropped = pipeline_ ? pipeline_->frames_dropped() : 0;
    return s;
  }

 private:
  void SetState(bool connected, std::string error) {
    std::lock_guard lock(mutex_);
    connected_ = connected;
    last_error_ = std::move(error);
  }

  // Waits up to `ms` for Close(); true when closing.
  bool WaitClosing(int ms) {
    if (closing_.load()) return true;
    pollfd p{wake_fd_, POLLIN, 0};
    ::poll(&p, 1, ms);
    return closing_.load();
  }

  void Run() {
    bool was_connected = false;
    while (!closing_.load()) {
      Device device;
      int width = 0, height = 0, stride = 0;
      auto opened = Open(device, width, height, stride);
      if (!opened) {
        SetState(false, opened.error().message);
        if (WaitClosing(options_.reopen_ms)) break;
        continue;
      }
      if (was_connected) {
        std::lock_guard lock(mutex_);
        ++reopens_;
      }
      was_connected = true;
      SetState(true, "");
      std::string why = Capture(device, width, height, stride);
      device.Release();
      if (closing_.load()) break;
      SetState(false, options_.path + ": " + why);
      if (WaitClosing(options_.reopen_ms)) break;
    }
  }

  Expected<void> Open(Device& device, int& width, int& height, int& stride) {
    const auto fail = [this](const std::string& what, int err) -> Error {
      return MakeError(ErrorKind::not_found, "camera_unavailable",
                       options_.path + ": " + V4l2Failure{what, err}.Message());
    };
    device.fd = v4l2_open(options_.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (device.fd < 0) return fail("open", errno);

    v4l2_capability cap{};
    if (Xioctl(device.fd, VIDIOC_QUERYCAP, &cap) == -1) return fail("VIDIOC_QUERYCAP", errno);
    const std::uint32_t caps =
        (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
      return MakeError(ErrorKind::invalid_request, "camera_unavailable",
                       options_.path + ": not a video capture device");
    }

    // 8-bit gray if the camera has it; else YUV420, which libv4l2 makes from
    // any format it knows, and whose first plane is the gray image.
    v4l2_format fmt{};
    bool gray_ok = false;
    for (const std::uint32_t pixel_format : {V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_YUV420}) {
      fmt = v4l2_format{};
      fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      fmt.fmt.pix.width = static_cast<std::uint32_t>(options_.width);
      fmt.fmt.pix.height = static_cast<std::uint32_t>(options_.height);
      fmt.fmt.pix.pixelformat = pixel_format;
      fmt.fmt.pix.field = V4L2_FIELD_NONE;
      if (Xioctl(device.fd, VIDIOC_S_FMT, &fmt) == -1) continue;
      if (fmt.fmt.pix.pixelformat == pixel_format) {
        gray_ok = true;
        break;
      }
    }
    if (!gray_ok) {
      return MakeError(
          ErrorKind::invalid_request, "camera_unavailable",
          options_.path +
              ": the camera offers neither GREY nor a format libv4l2 converts to YUV420");
    }
    // The driver may round the size; take what it chose.
    width = static_cast<int>(fmt.fmt.pix.width);
    height = static_cast<int>(fmt.fmt.pix.height);
    stride = std::max(width, static_cast<int>(fmt.fmt.pix.bytesperline));
    if (width <= 0 || height <= 0) return fail("VIDIOC_S_FMT", EINVAL);

    // The frame rate is a wish: many drivers ignore it, and that is fine.
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    parm.parm.capture.timeperframe.numerator = 1;
    parm.parm.capture.timeperframe.denominator = static_cast<std::uint32_t>(options_.fps);
    Xioctl(device.fd, VIDIOC_S_PARM, &parm);

    if (!(caps & V4L2_CAP_STREAMING)) {
      if (!(caps & V4L2_CAP_READWRITE)) {
        return MakeError(ErrorKind::invalid_request, "camera_unavailable",
                         options_.path + ": the device supports neither streaming nor read()");
      }
      return {};  // read() capture
    }
    v4l2_requestbuffers req{};
    req.count = 4;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (Xioctl(device.fd, VIDIOC_REQBUFS, &req) == -1) return fail("VIDIOC_REQBUFS", errno);
    if (req.count < 2) return fail("VIDIOC_REQBUFS", ENOMEM);
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (Xioctl(device.fd, VIDIOC_QUERYBUF, &buf) == -1) return fail("VIDIOC_QUERYBUF", errno);
      void* start = v4l2_mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, device.fd,
                              static_cast<std::int64_t>(buf.m.offset));
      if (start == MAP_FAILED) return fail("mmap", errno);
      device.buffers.push_back({start, buf.length});
      if (Xioctl(device.fd, VIDIOC_QBUF, &buf) == -1) return fail("VIDIOC_QBUF", errno);
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (Xioctl(device.fd, VIDIOC_STREAMON, &type) == -1) return fail("VIDIOC_STREAMON", errno);
    device.streaming = true;
    return {};
  }

  // The gray image in a frame's bytes (GREY, or the Y plane of YUV420).
  void PushFrame(const std::uint8_t* data, std::size_t size, int width, int height, int stride) {
    if (size < static_cast<std::size_t>(stride) * static_cast<std::size_t>(height - 1) +
                   static_cast<std::size_t>(width)) {
      return;  // a short frame (the driver gave up on it): skip
    }
    GrayImage frame;
    frame.width = width;
    frame.height = height;
    frame.pixels.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
    for (int y = 0; y < height; ++y) {
      std::memcpy(
          frame.pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width),
          data + static_cast<std::size_t>(y) * static_cast<std::size_t>(stride),
          static_cast<std::size_t>(width));
    }
    pipeline_->Push(std::move(frame));
  }

  // Captures until the device fails or Close(); returns why it stopped.
  std::string Capture(Device& device, int width, int height, int stride) {
    std::vector<std::uint8_t> read_buffer;
    if (!device.streaming) {
      // Room for the largest format we asked for (YUV420: 1.5 bytes a pixel).
      read_buffer.resize(static_cast<std::size_t>(stride) * static_cast<std::size_t>(height) * 2);
    }
    // With no frame for this long the device is taken for gone and reopened.
    constexpr int stall_ms = 5000;
    while (!closing_.load()) {
      pollfd fds[2] = {{device.fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int n = ::poll(fds, 2, stall_ms);
      if (n == -1 && errno == EINTR) continue;
      if (n == -1) return V4l2Failure{"poll", errno}.Message();
      if (closing_.load()) return "closed";
      if (n == 0) return "no frame for " + std::to_string(stall_ms) + " ms";
      if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return "device gone";
      if (!(fds[0].revents & POLLIN)) continue;
      if (!device.streaming) {
        const auto got = v4l2_read(device.fd, read_buffer.data(), read_buffer.size());
        if (got == -1 && (errno == EAGAIN || errno == EINTR)) continue;
        if (got <= 0) return V4l2Failure{"read", got == 0 ? EIO : errno}.Message();
        PushFrame(read_buffer.data(), static_cast<std::size_t>(got), width, height, stride);
        continue;
      }
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (Xioctl(device.fd, VIDIOC_DQBUF, &buf) == -1) {
        if (errno == EAGAIN) continue;
        return V4l2Failure{"VIDIOC_DQBUF", errno}.Message();
      }
      if (buf.index < device.buffers.size() && !(buf.flags & V4L2_BUF_FLAG_ERROR)) {
        const auto& b = device.buffers[buf.index];
        PushFrame(static_cast<const std::uint8_t*>(b.start),
                  std::min<std::size_t>(buf.bytesused, b.length), width, height, stride);
      }
      if (Xioctl(device.fd, VIDIOC_QBUF, &buf) == -1)
        return V4l2Failure{"VIDIOC_QBUF", errno}.Message();
    }
    return "closed";
  }

  const CameraOptions options_;
  loop::EventLoop& loop_;
  OnScan on_scan_;
  std::unique_ptr<CameraPipeline> pipeline_;
  std::thread thread_;
  int wake_fd_ = -1;
  std::atomic<bool> closing_{false};
  std::atomic<std::uint64_t> scans_{0};

  mutable std::mutex mutex_;  // guards the fields below (capture thread vs. status())
  bool connected_ = false;
  std::string last_error_;
  std::uint64_t reopens_ = 0;
};

}  // namespace

std::unique_ptr<ScanSource> MakeCameraSource(loop::EventLoop& loop, CameraOptions options,
                                             OnScan on_scan) {
  return std::make_unique<CameraSource>(loop, std::move(options), std::move(on_scan));
}

}  // namespace sa::drivers
