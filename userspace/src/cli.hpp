// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the command line, its subcommands and their handlers.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench.hpp"
#include "model.hpp"

namespace ntcorral {

struct Subcommand;

// Everything the command line can say; filled by the app make_app() builds.
struct CliOptions {
    std::string command;                    // a subcommand's name: "list", "run", ...
    const Subcommand* subcommand = nullptr; // its entry in subcommands()
    bool json = false;

    // run
    std::string experiment;
    std::string variant = "all";
    std::optional<uint32_t> iterations;
    std::optional<std::string> cpus;
    std::optional<uint32_t> hold_us;
    std::optional<uint32_t> deadline_us;
    std::optional<uint32_t> max_runtime_ms;
    std::optional<uint32_t> rate_hz;
    std::optional<std::string> pci_device;
    std::optional<uint32_t> warmup;
    std::optional<uint32_t> cooldown;
    std::optional<uint32_t> phase_stamps;
    std::optional<uint32_t> burst;
    std::optional<uint32_t> batch;

    // stats, reset
    std::optional<std::string> filter_experiment;
    std::optional<std::string> filter_variant;

    // result, cancel
    std::optional<uint64_t> run_id;

    // bench
    BenchOptions bench;
};

// One subcommand: its name, what it does, the options it takes (added to
// its CLI11 app, filling CliOptions) and its handler. Handlers return the
// exit status and throw UsageError, NlError, ReplyError.
struct Subcommand {
    const char* name;
    const char* description;
    void (*add_options)(CLI::App& sub, CliOptions& opts);
    int (*handler)(const CliOptions& opts, std::ostream& out, std::ostream& err);
};

const std::vector<Subcommand>& subcommands();

// The CLI11 app; parsing fills `opts` (opts.command names the subcommand,
// opts.subcommand is its entry).
std::unique_ptr<CLI::App> make_app(CliOptions& opts);

// The RUN request the options describe, variant left empty. Checks --cpus
// and --pci-device; throws UsageError. (cmd_run.cpp, as request_for() and
// takes_param().)
RunRequest make_run_request(const CliOptions& opts);

// Levenshtein distance.
size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate within edit distance 2, if any.
std::optional<std::string> did_you_mean(std::string_view name,
                                        const std::vector<std::string>& candidates);

// The experiment called `name`, or UsageError naming the valid ones and a
// "did you mean" guess.
const ExperimentInfo& find_experiment(const std::vector<ExperimentInfo>& list,
                                      std::string_view name);

// Whether @exp lists the run attribute @attr among its parameters.
bool takes_param(const ExperimentInfo& exp, uint32_t attr);

// The run options that @exp takes. An option it does not list (see
// `ntcorral list`) is a usage error when @strict, else dropped (run all).
RunRequest request_for(const RunRequest& base, const ExperimentInfo& exp, bool strict);

// The variants `variant` stands for ("all" is every one, in the module's
// order), or UsageError as find_experiment.
std::vector<std::string> resolve_variants(const ExperimentInfo& exp, std::string_view variant,
                                          bool allow_all = true);

// Exit status of a set of results: 0, or 3 when any reports violations or
// timeouts; `which` then names them, e.g. "shootdown/ipi (2 violations)".
int results_status(const std::vector<RunResult>& results, std::string* which = nullptr);

// "shootdown: 3 variants, 0 violations, 0 timeouts".
std::string summary_line(const std::string& label, const std::vector<RunResult>& results,
                         const char* one, const char* many);

// The whole program: parse, dispatch, report errors once. Returns the exit
// status.
int run_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace ntcorral
