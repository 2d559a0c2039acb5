// SPDX-License-Identifier: Apache-2.0
// oms-sim's domain: the reference cloud of sync/PROTOCOL.md over its own
// SQLite file. It knows nothing about sockets: the HTTP adapter (http.cpp)
// hands requests over as plain values and sends back the Reply, so every
// protocol rule here can be exercised without a server.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "base.hpp"

namespace sa::omssim {

// One HTTP request, as far as the cloud cares. Absent headers are "".
struct Request {
  std::string method;  // "POST"
  std::string target;  // path and query exactly as sent
  std::string content_type;
  std::string content_encoding;
  std::string authorization;
  std::string sa_store;      // X-SA-Store
  std::string sa_device;     // X-SA-Device
  std::string sa_timestamp;  // X-SA-Timestamp
  std::string sa_signature;  // X-SA-Signature
  std::string body;
};

// The answer: a status and a JSON body. Errors carry
// {"error":{"code","message"}} (PROTOCOL.md §3).
struct Reply {
  int status = 200;
  std::string body;
  std::string allow;  // the Allow header of a 405
};

// §9: how protocol requests are hurt. Fractions are 0..1.
struct FaultSettings {
  double drop = 0;
  double delay = 0;
  double error = 0;
  double cut = 0;
  std::int64_t delay_ms = 0;
  std::uint64_t seed = 0;
};

enum class Fault { none, drop, delay, error, cut };

// A seeded draw per protocol request: the same seed and the same request
// order give the same faults, so a failing run can be replayed.
class Faults {
 public:
  explicit Faults(FaultSettings settings) { Set(settings); }
  void Set(const FaultSettings& settings);
  // `reseed` false keeps the generator's position (a PUT without "seed").
  void Update(const FaultSettings& settings, bool reseed);
  const FaultSettings& settings() const { return settings_; }
  Fault Next();

 private:
  FaultSettings settings_;
  std::mt19937_64 rng_;
};

class Cloud {
 public:
  struct Options {
    std::string data_dir;          // holds oms-sim.db
    bool strict = false;           // only devices provisioned through the admin API
    std::string admin_token;       // "" = admin and CRM requests need no token
    std::int64_t claim_days = 30;  // how long a receipt's sale can be claimed (§11)
    bool revoke_clones = false;    // a unit two stores sold is revoked brand-wide (§8)
    FaultSettings faults;
  };

  static Expected<std::unique_ptr<Cloud>> Open(Options options, const Clock& clock);
  ~Cloud();
  Cloud(const Cloud&) = delete;
  Cloud& operator=(const Cloud&) = delete;

  // A /sync/... request (PROTOCOL.md §2-§5).
  Reply Protocol(const Request& request);
  // An /admin/... request (§7).
  Reply Admin(const Request& request);
  // A /crm/... request (§11): the brand's CRM, as its mini-program calls it.
  Reply Crm(const Request& request);
  // The fault for the next protocol request (§9), and how long a delay is.
  Fault NextFault();
  std::int64_t delay_ms() const;

 private:
  struct Impl;
  explicit Cloud(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// {"error":{"code","message"}} with that status.
Reply ErrorReply(int status, std::string_view code, std::string_view message);

}  // namespace sa::omssim
