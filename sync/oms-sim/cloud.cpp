// SPDX-License-Identifier: Apache-2.0
// The reference cloud: opens its SQLite file and routes each request to its
// side of PROTOCOL.md. The device side (protocol.cpp, ingest.cpp,
// sold_units.cpp) and the operator side (admin.cpp, orders.cpp, catalog.cpp,
// faults.cpp) share the store's change feed (feed.cpp); the schema is in
// database.cpp. State lives in {data-dir}/oms-sim.db, so a restarted oms-sim
// still knows every device, event and change.
#include "cloud.hpp"

#include <string_view>
#include <utility>

#include "admin.hpp"
#include "crm.hpp"
#include "crypto.hpp"
#include "database.hpp"
#include "feed.hpp"
#include "http.hpp"  // sa_http
#include "online_orders.hpp"
#include "protocol.hpp"
#include "sync.hpp"

namespace sa::omssim {
namespace {

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

struct Cloud::Impl {
  Impl(Options o, const Clock& clock, std::unique_ptr<ledger::Database> d)
      : options(std::move(o)),
        db(std::move(d)),
        faults(options.faults),
        feed(*db, clock),
        devices(*db, feed, clock, options.strict, options.revoke_clones),
        admin(*db, feed),
        online_orders(*db, feed, clock),
        crm(*db, feed, clock, options.claim_days) {}

  Options options;
  std::unique_ptr<ledger::Database> db;
  Faults faults;
  Feed feed;
  DeviceProtocol devices;
  AdminApi admin;
  OnlineOrders online_orders;
  omssim::Crm crm;
};

Cloud::Cloud(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cloud::~Cloud() = default;

Expected<std::unique_ptr<Cloud>> Cloud::Open(Options options, const Clock& clock) {
  auto db = OpenDatabase(options.data_dir);
  if (!db) return db.error();
  return std::unique_ptr<Cloud>(
      new Cloud(std::make_unique<Impl>(std::move(options), clock, std::move(db).value())));
}

Fault Cloud::NextFault() { return impl_->faults.Next(); }
std::int64_t Cloud::delay_ms() const { return impl_->faults.settings().delay_ms; }

Reply Cloud::Protocol(const Request& r) {
  return Guard([&]() -> Reply {
    const std::string_view path = PathOf(r.target);
    if (path == sync::kPathRegister) {
      NeedMethod(r, "POST");
      return impl_->devices.Register(r);
    }
    if (path == sync::kPathEvents) {
      NeedMethod(r, "POST");
      return impl_->devices.Push(r);
    }
    if (path == sync::kPathChanges) {
      NeedMethod(r, "GET");
      return impl_->devices.Pull(r);
    }
    if (path == sync::kPathReconciliations) {
      NeedMethod(r, "POST");
      return impl_->devices.Reconcile(r);
    }
    if (path == sync::kPathOnlineOrders) {
      NeedMethod(r, "GET");
      return impl_->devices.OnlineOrder(r);
    }
    Refuse(404, "not_found", "no protocol path " + std::string(path));
  });
}

namespace {

// Admin and CRM requests carry the operator's token when oms-sim has one.
void CheckToken(const std::string& token, const Request& r) {
  if (!token.empty() && !crypto::ConstantTimeEqual(r.authorization, "Bearer " + token)) {
    Refuse(401, "unauthorized", "admin requests need Authorization: Bearer {--admin-token}");
  }
}

}  // namespace

Reply Cloud::Crm(const Request& r) {
  return Guard([&]() -> Reply {
    CheckToken(impl_->options.admin_token, r);
    const auto segs = http::PathSegments(PathOf(r.target));
    const bool claims =
        segs.size() >= 3 && segs[0] == "crm" && segs[1] == "v1" && segs[2] == "claims";
    if (claims && segs.size() == 3) {
      NeedMethod(r, "POST");
      return impl_->crm.Claim(r);
    }
    if (claims && segs.size() == 4) {
      NeedMethod(r, "GET");
      return impl_->crm.Show(std::string(segs[3]));
    }
    if (segs.size() == 3 && segs[0] == "crm" && segs[1] == "v1" && segs[2] == "guides") {
      NeedMethod(r, "GET");
      return impl_->crm.Guides();
    }
    if (segs.size() == 5 && segs[0] == "crm" && segs[1] == "v1" && segs[2] == "sales" &&
        segs[4] == "member") {
      NeedMethod(r, "GET");
      return impl_->crm.MemberOf(std::string(segs[3]));
    }
    Refuse(404, "not_found", "no CRM path " + std::string(PathOf(r.target)));
  });
}

Reply Cloud::Admin(const Request& r) {
  return Guard([&]() -> Reply {
    CheckToken(impl_->options.admin_token, r);
    const auto segs = http::PathSegments(PathOf(r.target));
    const bool v1 = segs.size() >= 3 && segs[0] == "admin" && segs[1] == "v1";
    if (v1 && segs.size() == 3 && segs[2] == "faults") {
      NeedMethod(r, "GET, PUT");
      return r.method == "GET" ? ShowFaults(impl_->faults) : PutFaults(impl_->faults, r);
    }
    if (v1 && segs[2] == "online-orders" && segs.size() <= 4) {
      if (segs.size() == 3) {
        NeedMethod(r, "POST");
        return impl_->online_orders.Create(r);
      }
      NeedMethod(r, "GET");
      return impl_->online_orders.Show(std::string(segs[3]));
    }
    if (v1 && segs.size() >= 5 && segs[2] == "stores") return impl_->admin.Store(r, segs);
    Refuse(404, "not_found", "no admin path " + std::string(PathOf(r.target)));
  });
}

}  // namespace sa::omssim
