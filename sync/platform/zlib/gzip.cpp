// SPDX-License-Identifier: Apache-2.0
// gzip bodies (PROTOCOL.md §4) with zlib. The only file that includes zlib.
#include <zlib.h>

#include <string>

#include "sync.hpp"

namespace sa::sync {

std::string Gzip(std::string_view data) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper rather than zlib's; level 6 is zlib's default.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::bad_alloc();  // deflateBound makes this unreachable
  return out;
}

Expected<std::string> Gunzip(std::string_view data, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    return MakeError(ErrorKind::internal, "internal_error", "zlib could not start");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return MakeError(ErrorKind::too_large, "too_large",
                       "the body inflates past " + std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended before the stream did
      break;
    }
  }
  const bool trailing = rc == Z_STREAM_END && zs.avail_in != 0;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || trailing) {
    return MakeError(ErrorKind::invalid_request, "bad_body",
                     "the body is not one complete gzip stream");
  }
  return out;
}

}  // namespace sa::sync
