// SPDX-License-Identifier: Apache-2.0
// sa-bench decode: the camera's decode path against ZXing-cpp alone and ZBar
// (decode_bench.cpp).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace sa::bench {

class DecodeScenario {
 public:
  explicit DecodeScenario(CLI::App& app);  // adds the `decode` subcommand
  bool parsed() const;
  int Run() const;  // 0, or 1 with the reason on stderr

 private:
  CLI::App* sub_ = nullptr;
  std::string frame_;
  std::string size_ = "640x480";
  int n_ = 200;
};

}  // namespace sa::bench
