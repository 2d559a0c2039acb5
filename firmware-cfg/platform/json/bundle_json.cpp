// SPDX-License-Identifier: Apache-2.0
// The bundle payload as JSON: the only place sa_firmware uses nlohmann-json.
#include <nlohmann/json.hpp>

#include "../../bundle_internal.hpp"

namespace sa::firmware::detail {
namespace {

using nlohmann::json;

Error Malformed(const std::string& why) {
  return MakeError(ErrorKind::refused, "bundle_malformed", "the bundle's payload " + why);
}

}  // namespace

std::string PayloadJson(const Bundle& bundle) {
  json files = json::array();
  for (const auto& f : bundle.files) {
    const crypto::Bytes bytes(f.content.begin(), f.content.end());
    files.push_back(
        {{"path", f.path}, {"mode", f.mode}, {"content_base64", crypto::Base64UrlEncode(bytes)}});
  }
  const json payload = {{"format", 1},
                        {"store_id", bundle.store_id},
                        {"device_id", bundle.device_id},
                        {"role", bundle.role},
                        {"created_at_ms", bundle.created_at_ms},
                        {"cloud_url", bundle.cloud_url},
                        {"files", files}};
  return payload.dump();
}

Expected<Bundle> ParsePayload(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Malformed("is not a JSON object");
  if (!j.contains("format") || j["format"] != 1) return Malformed("is not format 1");
  Bundle b;
  auto str = [&](const char* key, std::string& out) {
    if (!j.contains(key) || !j[key].is_string()) return false;
    out = j[key].get<std::string>();
    return true;
  };
  if (!str("store_id", b.store_id) || !str("device_id", b.device_id) || !str("role", b.role) ||
      !str("cloud_url", b.cloud_url)) {
    return Malformed("lacks an id, role or cloud_url");
  }
  if (!j.contains("created_at_ms") || !j["created_at_ms"].is_number_integer()) {
    return Malformed("lacks created_at_ms");
  }
  b.created_at_ms = j["created_at_ms"].get<std::int64_t>();
  if (!j.contains("files") || !j["files"].is_array()) return Malformed("lacks its files");
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("mode") ||
        !f["mode"].is_number_integer() || !f.contains("content_base64") ||
        !f["content_base64"].is_string()) {
      return Malformed("has a file without path, mode or content");
    }
    BundleFile file;
    file.path = f["path"].get<std::string>();
    if (!SafeRelativePath(file.path))
      return Malformed("names a file outside its folder: " + file.path);
    const auto mode = f["mode"].get<std::int64_t>();
    if (mode < 0 || mode > 0777) return Malformed("has a bad file mode for " + file.path);
    file.mode = static_cast<int>(mode);
    const auto bytes = crypto::Base64UrlDecode(f["content_base64"].get<std::string>());
    if (!bytes) return Malformed("has bad base64url for " + file.path);
    file.content.assign(bytes->begin(), bytes->end());
    b.files.push_back(std::move(file));
  }
  return b;
}

}  // namespace sa::firmware::detail
