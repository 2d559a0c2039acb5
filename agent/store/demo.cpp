// SPDX-License-Identifier: Apache-2.0
// The demo store's embedded material. These keys are public (they are in the
// source): they sign demo labels and demo member codes, nothing else. A real
// store is provisioned with its brand's public keys and never holds theirs.
#include <algorithm>

#include "store.hpp"

namespace sa::store {
namespace {

constexpr char kDemoBrandKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgr0Oz54fH1iR00vG0
+Rl5GwxikCHFbHHSFER6uWeF1SuhRANCAARIKLBg0q7w1uZo5swiZ5yL+GyPAXOD
aYu9rXxOJWKQ+gDsqGqI6E7DS8lW/ASbSKj8gdUuCeiNJDR617UTc6NF
-----END PRIVATE KEY-----
)";

constexpr char kDemoMemberKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggtlbNdIdGlKK3+Lt
1OgQLX/7/J2urKBPTeWFXfMlfZChRANCAARYPmmxhSWYlgswdJZDnc/kqqdVf/fm
/EdYV44Jqo5DwqOqoEbgKYT2fbMVukvyn6g0bmBCs7xjxcQoeEhqhRoM
-----END PRIVATE KEY-----
)";

// The demo CRM's coupon key (coupons.keys): tests and the demo mint coupons with it.
constexpr char kDemoCouponKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgg9oK3HoP+31mm58/
hXk4y8WNoDRuo/yU+FLKQzO6AEmhRANCAARz2nPjEN1dA/virViJIm+8AvVK6yFO
rTyUWRFKzfuMJ/CN6gwZGKcotxWmyP109uW74KR9YX9QRzas+eMPwags
-----END PRIVATE KEY-----
)";

constexpr char kDemoCatalog[] = R"(gtin,name,price_minor,tax_rate,name_zh
6950123450005,Silk scarf - indigo,59900,0.13,真丝围巾 靛蓝
6950123450012,Leather card holder,39900,0.13,皮革卡包
6950123450029,Serum 30 ml,45800,0.13,精华液 30 毫升
6950123450036,Canvas tote,12900,0.13,帆布托特包
6950123450043,Gift wrap,500,0.06,礼品包装
09506000134352,Sample product (GS1 example GTIN),1999,0.13,示例商品 (GS1 示例 GTIN)
)";

}  // namespace

const crypto::SigningKey& DemoBrandKey() {
  static const crypto::SigningKey key = crypto::SigningKey::FromPem(kDemoBrandKey).value();
  return key;
}

const crypto::SigningKey& DemoCouponKey() {
  static const crypto::SigningKey key = crypto::SigningKey::FromPem(kDemoCouponKey).value();
  return key;
}

const crypto::SigningKey& DemoMemberKey() {
  static const crypto::SigningKey key = crypto::SigningKey::FromPem(kDemoMemberKey).value();
  return key;
}

std::string_view DemoCatalogCsv() { return kDemoCatalog; }

Expected<void> OpenDemoStore(Store& store) {
  constexpr std::string_view kScarf = "06950123450005";
  constexpr std::int64_t kOpeningStock = 50;
  if (store.books.FindProduct(kScarf)) return {};  // opened before: its stock has moved since
  if (auto ok = store.books.ImportCatalogCsv(DemoCatalogCsv()); !ok) return ok.error();
  std::string_view rows = DemoCatalogCsv();
  rows.remove_prefix(rows.find('\n') + 1);  // the header
  while (!rows.empty()) {
    const auto gtin = codes::NormaliseGtin(rows.substr(0, rows.find(',')));
    if (!gtin) return gtin.error();
    if (auto ok = store.stock.SetSnapshot(*gtin, kOpeningStock); !ok) return ok.error();
    rows.remove_prefix(std::min(rows.size(), rows.find('\n') + 1));
  }
  return {};
}

Config DemoConfig() {
  Config config;
  config.brand_keys.Add(DemoBrandKey().Public());
  config.member_keys.Add(DemoMemberKey().Public());
  config.coupon_keys.Add(DemoCouponKey().Public());
  config.require_signature = true;
  // A fixed key for the demo only; a real device gets its brand's key.
  const std::string_view demo_phone_key = "demo-phone-hash-key";
  config.phone_hash_key.assign(demo_phone_key.begin(), demo_phone_key.end());
  return config;
}

}  // namespace sa::store
