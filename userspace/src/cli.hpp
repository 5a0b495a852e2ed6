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

// A run option the client does not define, as given: "--hold-us" and its
// value ("--hold-us 5", "--hold-us=5"), none when none followed.
struct ParamOption {
    std::string flag;
    std::optional<std::string> value;
};

// Everything the command line can say; filled by the app make_app() builds.
struct CliOptions {
    std::string command;                    // a subcommand's name: "list", "run", ...
    const Subcommand* subcommand = nullptr; // its entry in subcommands()
    bool json = false;

    // run: the options whose syntax the client owns; the parameters the
    // module lists (LIST) as given, checked by put_param_options().
    std::string experiment;
    std::string variant = "all";
    std::optional<std::string> cpus;
    std::optional<std::string> pci_device;
    std::vector<ParamOption> param_options;

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

// The RUN request the options describe, variant left empty: --cpus and
// --pci-device, checked; throws UsageError. The parameter options are put
// once LIST is known, by put_param_options(). (cmd_run.cpp, as the rest of
// `run`'s.)
RunRequest make_run_request(const CliOptions& opts);

// Put the parameter options into `req`: each must name a parameter some
// experiment of `list` takes ("--" + its name, '_' as '-'), one `only` takes
// when it is given (one experiment runs: "shootdown takes no --rate-hz" is
// said before the value is looked at), with a number in its listed range.
// Throws UsageError naming the cause and the fix.
void put_param_options(const std::vector<ParamOption>& given,
                       const std::vector<ExperimentInfo>& list, const ExperimentInfo* only,
                       RunRequest& req);

// `run --help`'s section of the parameters `list` names (unit, range,
// default, description, which experiments take them), --pci-device aside.
std::string run_parameters_help(const std::vector<ExperimentInfo>& list);

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

// The run options that @exp takes; what it does not list (see `ntcorral
// list`) is dropped (run all, bench).
RunRequest request_for(const RunRequest& base, const ExperimentInfo& exp);

// UsageError when @req sets a parameter @exp does not list ("shootdown
// takes no --rate-hz"), the option named after `list`'s parameter.
void check_taken(const RunRequest& req, const ExperimentInfo& exp,
                 const std::vector<ExperimentInfo>& list);

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
