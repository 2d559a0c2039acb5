// SPDX-License-Identifier: Apache-2.0
#include "protocol.hpp"

#include <cctype>
#include <optional>
#include <utility>

#include "crypto.hpp"
#include "fields.hpp"
#include "ingest.hpp"
#include "platform/nlohmann/json.hpp"
#include "reconcile.hpp"
#include "sync.hpp"

namespace sa::omssim {
namespace {

using ledger::Transaction;

std::optional<std::string> DeviceKey(ledger::Database& db, const std::string& store,
                                     const std::string& device) {
  auto st = db.Cached("SELECT key FROM devices WHERE store_id = ? AND device_id = ?");
  st.Bind(1, store).Bind(2, device);
  if (!st.Step()) return std::nullopt;
  return st.Text(0);
}

void CheckSignature(const Caller& c, const crypto::Bytes& key, const Request& r) {
  const sync::SignedRequest signed_request{r.method, c.path,   c.timestamp_ms,
                                           c.store,  c.device, r.body};
  if (!sync::VerifySignature(key, signed_request, r.sa_signature)) {
    Refuse(401, "bad_signature", "X-SA-Signature does not match the request");
  }
}

// gzip or identity (§4); a gzip body without its header is accepted too.
std::string DecodeBody(const Request& r) {
  std::string enc = r.content_encoding;
  for (char& ch : enc) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const bool magic = r.body.size() >= 2 && r.body[0] == '\x1f' && r.body[1] == '\x8b';
  if (enc == "gzip" || (enc.empty() && magic)) {
    auto plain = sync::Gunzip(r.body, sync::kMaxBodyBytes);
    if (!plain) {
      if (plain.error().code == "too_large") Refuse(413, "too_large", plain.error().message);
      Refuse(400, "bad_body", "the body is not a whole gzip stream: " + plain.error().message);
    }
    return std::move(plain).value();
  }
  if (!enc.empty() && enc != "identity") {
    Refuse(400, "bad_body", "Content-Encoding " + r.content_encoding + " is not gzip");
  }
  if (r.body.size() > sync::kMaxBodyBytes) Refuse(413, "too_large", "the body is over 8 MiB");
  return r.body;
}

}  // namespace

Caller DeviceProtocol::ReadCaller(const Request& r) const {
  if (r.sa_store.empty() || r.sa_device.empty() || r.sa_timestamp.empty() ||
      r.sa_signature.empty()) {
    Refuse(401, "unsigned",
           "a protocol request carries X-SA-Store, X-SA-Device, X-SA-Timestamp and X-SA-Signature");
  }
  const auto ts = ParseInt(r.sa_timestamp);
  if (!ts) Refuse(401, "unsigned", "X-SA-Timestamp must be Unix milliseconds");
  const std::int64_t skew = *ts - clock_.now_ms();
  if (skew > sync::kMaxSkewMs || skew < -sync::kMaxSkewMs) {
    Refuse(401, "clock_skew",
           "X-SA-Timestamp is " + std::to_string(skew) +
               " ms from the server's clock (X-SA-Server-Time)");
  }
  const auto from = r.target.find("/sync/");
  return Caller{r.sa_store, r.sa_device, *ts,
                from == std::string::npos ? r.target : r.target.substr(from)};
}

void DeviceProtocol::Authenticate(const Caller& c, const Request& r) {
  const auto key_text = DeviceKey(db_, c.store, c.device);
  if (!key_text) {
    Refuse(401, "unknown_device",
           "device " + c.device + " of store " + c.store + " is not registered");
  }
  const auto key = crypto::Base64UrlDecode(*key_text);
  CheckSignature(c, key.value_or(crypto::Bytes{}), r);
}

void DeviceProtocol::Touch(const Caller& c) {
  db_.Cached("UPDATE devices SET last_seen_ms = ? WHERE store_id = ? AND device_id = ?")
      .Bind(1, clock_.now_ms())
      .Bind(2, c.store)
      .Bind(3, c.device)
      .Run();
}

Reply DeviceProtocol::Register(const Request& r) {
  const Caller c = ReadCaller(r);
  const json doc = CallerBody(DecodeBody(r), c.store, c.device);
  const auto key_it = doc.find("key");
  std::optional<crypto::Bytes> key;
  if (key_it != doc.end() && key_it->is_string())
    key = crypto::Base64UrlDecode(key_it->get<std::string>());
  if (!key || key->size() != sync::kDeviceKeyBytes) {
    Refuse(400, "bad_body", "\"key\" must be base64url (no padding) of 32 bytes");
  }
  // Signed with the key it introduces: proof that the caller holds it.
  CheckSignature(c, *key, r);
  const std::string key_text = crypto::Base64UrlEncode(*key);
  std::string agent_version;
  if (auto v = doc.find("agent_version"); v != doc.end() && v->is_string()) agent_version = *v;

  Transaction tx(db_);
  const auto known = DeviceKey(db_, c.store, c.device);
  std::string status = "known";
  if (known && !crypto::ConstantTimeEqual(*known, key_text)) {
    Refuse(409, "device_key_mismatch",
           "the cloud holds another key for device " + c.device + " of store " + c.store +
               "; an operator must re-provision it");
  }
  if (!known) {
    if (strict_) {
      Refuse(403, "device_not_provisioned",
             "device " + c.device + " of store " + c.store + " was not provisioned (strict cloud)");
    }
    db_.Cached("INSERT INTO devices(store_id, device_id, key) VALUES(?, ?, ?)")
        .Bind(1, c.store)
        .Bind(2, c.device)
        .Bind(3, key_text)
        .Run();
    status = "registered";
  }
  db_.Cached(
         "UPDATE devices SET last_seen_ms = ?, agent_version = ? WHERE store_id = ? AND device_id "
         "= ?")
      .Bind(1, clock_.now_ms())
      .Bind(2, agent_version)
      .Bind(3, c.store)
      .Bind(4, c.device)
      .Run();
  tx.Commit();
  return Ok(json{{"status", status}});
}

Reply DeviceProtocol::Push(const Request& r) {
  const Caller c = ReadCaller(r);
  Authenticate(c, r);
  return IngestPush(db_, feed_, clock_, c, DecodeBody(r), revoke_clones_);
}

Reply DeviceProtocol::Pull(const Request& r) {
  const Caller c = ReadCaller(r);
  Authenticate(c, r);
  const PageQuery page = PageQueryOf(r.target);
  Touch(c);
  return feed_.Page(c.store, page);
}

Reply DeviceProtocol::Reconcile(const Request& r) {
  const Caller c = ReadCaller(r);
  Authenticate(c, r);
  Touch(c);
  return ReconcileShift(db_, c, DecodeBody(r));
}

Reply DeviceProtocol::OnlineOrder(const Request& r) {
  const Caller c = ReadCaller(r);
  Authenticate(c, r);
  Touch(c);
  return online_orders_.Lookup(r);
}

}  // namespace sa::omssim
