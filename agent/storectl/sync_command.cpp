// SPDX-License-Identifier: Apache-2.0
#include "sync_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

SyncCommands::SyncCommands(CLI::App& app, Options& g) : options_(g) {
  auto* status = AddCommand(&app, "status",
                            "Show the agent's health: store, device, version, uptime and the "
                            "events still waiting to be sent to the cloud (GET /v1/health).",
                            [this] { return Status(options_); });
  AddAgentOptions(status, g);

  auto* token = AddCommand(
      &app, "token",
      "Print the agent's API token, for use with curl:\n"
      "  curl -H \"Authorization: Bearer $(storectl token)\" http://127.0.0.1:8787/v1/health",
      [this] { return Token(options_); });
  AddOfflineOptions(token, g, "Print {\"token\":...}");
  token->add_option("--token-file", g.token_file, "Read the token from this file instead");

  auto* sync =
      app.add_subcommand("sync", "Cloud sync: what is waiting, alerts, and a sync on demand");
  sync->require_subcommand(1);
  auto* sync_status = AddCommand(sync, "status",
                                 "Online or not, events not yet sent, last push and pull, and the "
                                 "alerts a manager should see (GET /v1/sync).",
                                 [this] { return SyncStatus(options_); });
  AddAgentOptions(sync_status, g);
  auto* now = AddCommand(sync, "now",
                         "Push every waiting event and pull the cloud's changes now; exits 2 "
                         "when the cloud cannot be reached.",
                         [this] { return SyncNow(options_); });
  AddAgentOptions(now, g);
  auto* ack = AddCommand(sync, "ack", "Acknowledge an alert (it leaves sync status).",
                         [this] { return SyncAck(options_, alert_id_); });
  ack->add_option("ALERT_ID", alert_id_, "The alert's number from sync status")->required();
  AddAgentOptions(ack, g);
}

}  // namespace sa::storectl
