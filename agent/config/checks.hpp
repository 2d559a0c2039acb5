// SPDX-License-Identifier: Apache-2.0
// The checks on single values, and how a value is shown in a message. Plain
// C++: no TOML here. Internal to sa_config.
#pragma once

#include <string>
#include <string_view>

namespace sa::config::detail {

// A check on a string value (or on one element of a list): the reason it is
// wrong, phrased to follow "<key> ", e.g. "must be 3 upper-case letters";
// empty when the value is good.
using StringCheck = std::string (*)(std::string_view value);

// [store] [device] [codes] [members]
std::string CheckId(std::string_view v);          // 1-64 of A-Z a-z 0-9 _ . -
std::string CheckOptionalId(std::string_view v);  // "" or CheckId
std::string CheckCurrency(std::string_view v);    // ISO 4217
std::string CheckGln(std::string_view v);         // "" or 13 digits, GS1 check digit
std::string CheckUtcOffset(std::string_view v);   // +HH:MM or -HH:MM
std::string CheckLocale(std::string_view v);      // en or zh-CN
std::string CheckBrandPattern(std::string_view v);
// codes.scale_layouts: codes::ParseRcnLayout.
std::string CheckRcnLayout(std::string_view v);
std::string CheckOnDiverted(std::string_view v);
// Files: a path is never opened here, only its characters are checked.
std::string CheckPath(std::string_view v);
std::string CheckOptionalPath(std::string_view v);
// [cloud] [api] [scanner] [printer] [log]
std::string CheckUrl(std::string_view v);       // "" or http(s)://host[:port]...
std::string CheckClaimUrl(std::string_view v);  // https://host/...{token}... (once)
std::string CheckPin(std::string_view v);       // "" or sha256//BASE64
std::string CheckListen(std::string_view v);
std::string CheckOptionalListen(std::string_view v);
std::string CheckPrinterTarget(std::string_view v);
std::string CheckPrinterEncoding(std::string_view v);  // gb18030 | utf-8 | cp437
std::string CheckLogLevel(std::string_view v);
// [[scanners]]
std::string CheckScannerType(std::string_view v);
std::string CheckMode(std::string_view v);
std::string CheckDevicePath(std::string_view v);
std::string CheckToken(std::string_view v);
std::string CheckLayout(std::string_view v);
std::string CheckTerminator(std::string_view v);
std::string CheckKeymapEntry(std::string_view v);
std::string CheckParity(std::string_view v);
std::string CheckFraming(std::string_view v);
std::string CheckFormat(std::string_view v);

// A string as a TOML basic string, control characters escaped.
std::string TomlString(std::string_view s);
// A key as a person writes it: bare when it can be, else quoted.
std::string ShowKey(std::string_view key);
// A string value quoted TOML-style, control characters escaped (messages stay
// one line each), cut after 80 characters.
std::string Quote(std::string_view value);

}  // namespace sa::config::detail
