// SPDX-License-Identifier: Apache-2.0
// The bundle payload's JSON (platform/json/), internal to sa_firmware.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "firmware_cfg.hpp"

namespace sa::firmware::detail {

// One line of JSON, no trailing newline; file contents base64url.
std::string PayloadJson(const Bundle& bundle);
// bundle_malformed on anything but the shape PayloadJson writes.
Expected<Bundle> ParsePayload(std::string_view json);
struct Embedded {
  std::string_view name;  // "profiles/store-box.toml", "rootfs/lib/udev/rules.d/..."
  std::string_view content;
};
// firmware-cfg/profiles and firmware-cfg/rootfs, as they were at build time.
const std::vector<Embedded>& EmbeddedFiles();

// A relative path of [A-Za-z0-9_.-] segments, no "." or ".." segment.
bool SafeRelativePath(std::string_view path);

}  // namespace sa::firmware::detail
