// SPDX-License-Identifier: Apache-2.0
#include "command_line.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

void AddConnectionOptions(CLI::App* app, Options& options, const std::string& json_help) {
  app->add_flag("--json", options.json, json_help);
  app->add_option("--data-dir", options.data_dir,
                  "The agent's data directory (default: $STORE_AGENT_DATA, else "
                  "/var/lib/store-agent)");
  app->add_option("--url", options.url,
                  "The agent's base URL (default: $STORE_AGENT_URL, else {data-dir}/api-url, "
                  "else http://127.0.0.1:8787)");
  app->add_option("--token-file", options.token_file,
                  "The file holding the API token (default: {data-dir}/api-token)");
}

void AddAgentOptions(CLI::App* sub, Options& options) {
  // Each agent command takes these after its own name too.
  AddConnectionOptions(sub, options, "Print the agent's JSON answer as-is to stdout");
  sub->footer(
      "Exit codes: 0 ok, 1 usage, 2 cannot reach the agent (no answer, token refused, "
      "or an agent fault), 3 the agent refused the input.");
}

void AddOfflineOptions(CLI::App* sub, Options& options, const std::string& json_help) {
  sub->add_flag("--json", options.json, json_help);
  sub->add_option("--data-dir", options.data_dir, "The agent's data directory");
}

int ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return -1;
}

}  // namespace sa::storectl
