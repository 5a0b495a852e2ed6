// SPDX-License-Identifier: GPL-2.0
// ntcorral client: what the subcommands' handlers share, and the handlers
// that live in files of their own (cmd_run.cpp, cmd_bench.cpp).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "netlink.hpp"

namespace ntcorral {

// The module's LIST: every experiment it offers.
std::vector<ExperimentInfo> list_experiments(Connection& conn);

// results_status(), with the results that reported violations or timeouts
// named on `err`, after `label`.
int report_status(const std::string& label, const std::vector<RunResult>& results,
                  std::ostream& err);

// Each subcommand's options, and its handler.
void add_run_options(CLI::App& sub, CliOptions& o);
int cmd_run(const CliOptions& o, std::ostream& out, std::ostream& err);
void add_bench_options(CLI::App& sub, CliOptions& o);
int cmd_bench(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace ntcorral
