// SPDX-License-Identifier: Apache-2.0
#include "sync_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

SyncCommands::SyncCommands(CLI::App& app, Options& g) : options_(g) {
  status_ = app.add_subcommand(
      "status",
      "Show the agent's health: store, device, version, uptime and the events still "
      "waiting to be sent to the cloud (GET /v1/health).");
  AddAgentOptions(status_, g);

  token_ = app.add_subcommand(
      "token",
      "Print the agent's API token, for use with curl:\n"
      "  curl -H \"Authorization: Bearer $(storectl token)\" http://127.0.0.1:8787/v1/health");
  AddOfflineOptions(token_, g, "Print {\"token\":...}");
  token_->add_option("--token-file", g.token_file, "Read the token from this file instead");

  auto* sync =
      app.add_subcommand("sync", "Cloud sync: what is waiting, alerts, and a sync on demand");
  sync->require_subcommand(1);
  sync_status_ = sync->add_subcommand(
      "status",
      "Online or not, events not yet sent, last push and pull, and the alerts a manager "
      "should see (GET /v1/sync).");
  AddAgentOptions(sync_status_, g);
  sync_now_ = sync->add_subcommand(
      "now",
      "Push every waiting event and pull the cloud's changes now; exits 2 when the cloud "
      "cannot be reached.");
  AddAgentOptions(sync_now_, g);
  sync_ack_ = sync->add_subcommand("ack", "Acknowledge an alert (it leaves sync status).");
  sync_ack_->add_option("ALERT_ID", alert_id_, "The alert's number from sync status")->required();
  AddAgentOptions(sync_ack_, g);
}

int SyncCommands::Run() const {
  if (status_->parsed()) return Status(options_);
  if (token_->parsed()) return Token(options_);
  if (sync_status_->parsed()) return SyncStatus(options_);
  if (sync_now_->parsed()) return SyncNow(options_);
  if (sync_ack_->parsed()) return SyncAck(options_, alert_id_);
  return -1;
}

}  // namespace sa::storectl
