// SPDX-License-Identifier: GPL-2.0
// ntcorral client: what the subcommands' handlers share, and the handlers
// that live in files of their own (cmd_run.cpp, cmd_bench.cpp).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
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

// One run parameter: the option that sets it, the RUN attribute it is sent
// as (what request_for() looks for in LIST), its help and the CliOptions
// field `run` fills; and, where `bench` takes it too, bench's help, field
// and range.
struct RunOption {
    const char* flag;      // "--iterations"
    uint32_t attr;         // NTCORRAL_A_ITERATIONS
    const char* type_name; // "N"
    std::string help;      // with the uapi header's range and default
    // A number sent as is, or text make_run_request() parses.
    std::variant<std::optional<uint32_t> CliOptions::*, std::optional<std::string> CliOptions::*>
        field;
    // Where it goes in the request (text parsed first); none for --cpus.
    std::optional<uint32_t> RunRequest::*request = nullptr;
    // Every experiment takes it: request_for() does not look for it in LIST.
    // Set wherever `request` is not.
    bool every_experiment = false;
    const char* bench_help = nullptr; // bench does not take it without
    uint32_t BenchOptions::*bench_field = nullptr;
    int bench_min = 0, bench_max = 0;
};

// The run parameters, in the order `run --help` shows them.
const std::vector<RunOption>& run_options();
// The row of `attr`; every attribute bench or run names has one.
const RunOption& run_option(uint32_t attr);

// Each subcommand's options, and its handler.
void add_run_options(CLI::App& sub, CliOptions& o);
int cmd_run(const CliOptions& o, std::ostream& out, std::ostream& err);
void add_bench_options(CLI::App& sub, CliOptions& o);
int cmd_bench(const CliOptions& o, std::ostream& out, std::ostream& err);

} // namespace ntcorral
