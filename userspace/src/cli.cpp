// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the command line, its subcommands and their handlers.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <exception>
#include <iostream>
#include <new>

#include <unistd.h>

#include "bench.hpp"
#include "commands.hpp"
#include "cpulist.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "netlink.hpp"
#include "render.hpp"
#include "run.hpp"

#ifndef NTCORRAL_CLIENT_VERSION
#define NTCORRAL_CLIENT_VERSION "0"
#endif

namespace ntcorral {

namespace {

#define STR_(x) #x
#define STR(x) STR_(x)

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string out;
    for (size_t i = 0; i < v.size(); i++)
        out += (i ? sep : "") + v[i];
    return out;
}

std::string unknown_name(const char* what, std::string_view name, const std::string& of,
                         const std::vector<std::string>& valid) {
    std::string msg = std::string("unknown ") + what + " '" + std::string(name) + "'" + of;
    if (valid.empty())
        return msg + "; the module offers none";
    msg += " (valid: " + join(valid) + ")";
    if (auto guess = did_you_mean(name, valid))
        msg += "; did you mean '" + *guess + "'?";
    return msg;
}

// Check the optional experiment/variant filter of stats and reset.
void check_filter(Connection& conn, const CliOptions& o) {
    if (!o.filter_experiment)
        return;
    auto list = list_experiments(conn);
    const ExperimentInfo& exp = find_experiment(list, *o.filter_experiment);
    if (o.filter_variant)
        resolve_variants(exp, *o.filter_variant, false);
}

int cmd_list(const CliOptions& o, std::ostream& out, std::ostream&) {
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    auto list = list_experiments(conn);
    if (o.json)
        out << experiments_to_json(list).dump(2) << '\n';
    else if (list.empty())
        out << "the module offers no experiments\n";
    else
        render_experiments(out, list);
    return kExitOk;
}

// A RUN_RESULT of an earlier run (GET_RESULT), printed as `run` prints it.
int cmd_result(const CliOptions& o, std::ostream& out, std::ostream& err) {
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    NlMsgPtr msg = build_get_result_request(conn.family(), o.run_id);
    std::optional<RunEnd> end;
    try {
        conn.transact(msg.get(), [&](nlmsghdr* h) { end = parse_run_end(h); });
    } catch (const NlError& e) {
        if (e.family_vanished() || (e.error() != ENOENT && e.error() != EINPROGRESS))
            throw;
        std::string why = e.extack();
        if (why.empty())
            why = e.error() == ENOENT ? "the module keeps no such result" : "it is still running";
        throw RunError((e.error() == ENOENT ? "no result to show: " : "no result yet: ") + why);
    }
    if (!end)
        throw ReplyError("GET_RESULT answered with no result");
    if (end->failure) {
        const RunFailure& f = *end->failure;
        err << "ntcorral: run " << end->run_id << " (" << f.experiment << '/' << f.variant
            << ") failed: " << explain("run", run_failure_error(f.error, f.message)) << '\n';
        return kExitError;
    }
    std::vector<RunResult> results{std::move(end->result)};
    if (o.json)
        out << results_to_json(results).dump(2) << '\n';
    else
        render_result(out, results.front());
    return report_status(results.front().experiment, results, err);
}

int cmd_cancel(const CliOptions& o, std::ostream& out, std::ostream&) {
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    NlMsgPtr msg = build_cancel_request(conn.family(), o.run_id);
    try {
        conn.transact(msg.get(), [](nlmsghdr*) {});
    } catch (const NlError& e) {
        if (e.family_vanished() || e.error() != ENOENT)
            throw;
        throw RunError(o.run_id ? "run " + std::to_string(*o.run_id) + " is not in progress"
                                : std::string("no run is in progress"));
    }
    out << (o.run_id ? "run " + std::to_string(*o.run_id) : std::string("the run in progress"))
        << " is cancelled: it ends early; its result goes to the client that started it, and to "
           "'ntcorral result'\n";
    return kExitOk;
}

int cmd_stats(const CliOptions& o, std::ostream& out, std::ostream&) {
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    check_filter(conn, o);
    std::vector<RunResult> results;
    NlMsgPtr msg = build_stats_request(conn.family(), NTCORRAL_CMD_GET_STATS, o.filter_experiment,
                                       o.filter_variant);
    conn.transact(msg.get(), [&](nlmsghdr* h) { results.push_back(parse_result(h)); });
    if (o.json) {
        out << results_to_json(results).dump(2) << '\n';
        return kExitOk;
    }
    if (results.empty()) {
        out << "no statistics recorded yet\n";
        return kExitOk;
    }
    for (size_t i = 0; i < results.size(); i++) {
        if (i)
            out << '\n';
        render_result(out, results[i]);
    }
    out << '\n' << summary_line("stats", results, "record", "records") << '\n';
    return kExitOk;
}

int cmd_reset(const CliOptions& o, std::ostream& out, std::ostream&) {
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    check_filter(conn, o);
    NlMsgPtr msg = build_stats_request(conn.family(), NTCORRAL_CMD_RESET_STATS, o.filter_experiment,
                                       o.filter_variant);
    conn.transact(msg.get(), [](nlmsghdr*) {});
    out << "stats reset";
    if (o.filter_experiment) {
        out << " for " << *o.filter_experiment;
        if (o.filter_variant)
            out << '/' << *o.filter_variant;
    }
    out << '\n';
    return kExitOk;
}

void add_json(CLI::App& sub, CliOptions& o) {
    sub.add_flag("--json", o.json, "Print JSON instead of tables.");
}

// --run-id of result and cancel.
void add_run_id(CLI::App& sub, CliOptions& o, const char* help) {
    sub.add_option("--run-id", o.run_id, help)
        ->type_name("ID")
        ->check(CLI::Validator(
            [](std::string& v) {
                // Not CLI11's conversion: strtoull() takes "-1" for the
                // largest id and 2^64 for it too.
                uint64_t id = 0;
                const char* end = v.data() + v.size();
                auto [ptr, ec] = std::from_chars(v.data(), end, id);
                return ec == std::errc() && ptr == end && id >= 1
                           ? std::string()
                           : std::string("a run id is a number from 1 up");
            },
            "", "run id"));
}

// The experiment/variant filter of stats and reset.
void add_filter(CLI::App& sub, CliOptions& o) {
    sub.add_option("experiment", o.filter_experiment, "Only this experiment.");
    sub.add_option("variant", o.filter_variant, "Only this variant of it.");
}

void add_list_options(CLI::App& sub, CliOptions& o) {
    add_json(sub, o);
}

void add_result_options(CLI::App& sub, CliOptions& o) {
    add_json(sub, o);
    add_run_id(sub, o,
               "Only this run's result (the id the client names in what it says about a run).");
}

void add_cancel_options(CLI::App& sub, CliOptions& o) {
    add_run_id(sub, o, "Only if this run is the one in progress.");
}

void add_stats_options(CLI::App& sub, CliOptions& o) {
    add_json(sub, o);
    add_filter(sub, o);
}

void add_reset_options(CLI::App& sub, CliOptions& o) {
    add_filter(sub, o);
}

std::vector<std::string> subcommand_names() {
    std::vector<std::string> names;
    for (const auto& s : subcommands())
        names.emplace_back(s.name);
    return names;
}

} // namespace

std::vector<ExperimentInfo> list_experiments(Connection& conn) {
    std::vector<ExperimentInfo> list;
    NlMsgPtr msg = build_list_request(conn.family());
    conn.transact(msg.get(), [&](nlmsghdr* h) { list.push_back(parse_experiment(h)); });
    return list;
}

int report_status(const std::string& label, const std::vector<RunResult>& results,
                  std::ostream& err) {
    std::string which;
    int status = results_status(results, &which);
    if (status != kExitOk)
        err << "ntcorral: " << label << " reported violations or timeouts !!! " << which << '\n';
    return status;
}

const std::vector<Subcommand>& subcommands() {
    static const std::vector<Subcommand> table = {
        {"list",
         "List the experiments the module offers: variants (the baseline marked), parameters "
         "with unit, range and default, and the metrics a run records.",
         add_list_options, cmd_list},
        {"run",
         "Run one variant of an experiment, or every variant one after another (needs root). "
         "Exit status 3 when any run reports violations or timeouts.",
         add_run_options, cmd_run},
        {"result",
         "Show the result of the last run that finished (or of --run-id), as 'run' shows it; "
         "the way to a result a run's client missed.",
         add_result_options, cmd_result},
        {"cancel",
         "Cancel the run in progress (or only --run-id): it ends early and reports what it "
         "measured so far (needs root).",
         add_cancel_options, cmd_cancel},
        {"stats",
         "Show cumulative statistics of earlier runs, per experiment and variant; percentiles "
         "there are log2-bucket estimates.",
         add_stats_options, cmd_stats},
        {"reset", "Reset cumulative statistics, all or of one experiment/variant (needs root).",
         add_reset_options, cmd_reset},
        {"bench",
         "Benchmark every variant of each experiment: a warm-up run, then interleaved "
         "repetitions (lean, with the module's warm-up and cool-down iterations); medians and "
         "ratios to the baseline and to a reference with their 95% confidence interval, the "
         "instrumentation's own cost, and ntcorral's performance targets, each beside its "
         "measured value and verdict: met, missed or inconclusive (needs root). "
         "Exit status 3 when any run reports violations or timeouts.",
         add_bench_options, cmd_bench},
    };
    return table;
}

std::unique_ptr<CLI::App> make_app(CliOptions& o) {
    auto app = std::make_unique<CLI::App>(
        "ntcorral: run and inspect the experiments of the ntcorral kernel module over its "
        "generic netlink family \"" NTCORRAL_FAMILY_NAME "\".",
        "ntcorral");
    app->set_version_flag("--version", "ntcorral " NTCORRAL_CLIENT_VERSION
                                       " (generic netlink family \"" NTCORRAL_FAMILY_NAME
                                       "\" version " STR(NTCORRAL_FAMILY_VERSION) ")");
    app->require_subcommand(1);
    app->footer("Exit status: 0 ok, 1 error, 2 usage error, 3 violations or timeouts reported, "
                "130 interrupted by Ctrl-C (143 by SIGTERM): the run in progress was cancelled.");

    for (const auto& s : subcommands()) {
        CLI::App* sub = app->add_subcommand(s.name, s.description);
        sub->callback([&o, chosen = &s] {
            o.command = chosen->name;
            o.subcommand = chosen;
        });
        s.add_options(*sub, o);
    }
    return app;
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); j++)
            cur[j] = std::min(
                {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view name,
                                        const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    size_t best_d = 3;
    for (const auto& c : candidates) {
        size_t d = edit_distance(name, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

const ExperimentInfo& find_experiment(const std::vector<ExperimentInfo>& list,
                                      std::string_view name) {
    std::vector<std::string> names;
    for (const auto& e : list) {
        if (e.name == name)
            return e;
        names.push_back(e.name);
    }
    throw UsageError(unknown_name("experiment", name, "", names));
}

std::vector<std::string> resolve_variants(const ExperimentInfo& exp, std::string_view variant,
                                          bool allow_all) {
    std::vector<std::string> names, runnable;
    for (const auto& v : exp.variants) {
        names.push_back(v.name);
        if (v.refused.empty())
            runnable.push_back(v.name);
    }
    // "all": what this kernel runs (LIST says why it does not run the rest).
    if (allow_all && variant == "all")
        return runnable;
    if (std::find(names.begin(), names.end(), variant) != names.end())
        return {std::string(variant)};
    if (allow_all)
        names.insert(names.begin(), "all");
    throw UsageError(unknown_name("variant", variant, " of " + exp.name, names));
}

int results_status(const std::vector<RunResult>& results, std::string* which) {
    std::vector<std::string> bad;
    for (const auto& r : results) {
        if (!r.violations && !r.timeouts)
            continue;
        std::vector<std::string> what;
        if (r.violations)
            what.push_back(std::to_string(r.violations) +
                           (r.violations == 1 ? " violation" : " violations"));
        if (r.timeouts)
            what.push_back(std::to_string(r.timeouts) +
                           (r.timeouts == 1 ? " timeout" : " timeouts"));
        bad.push_back(r.experiment + "/" + r.variant + " (" + join(what) + ")");
    }
    if (which)
        *which = join(bad);
    return bad.empty() ? kExitOk : kExitViolations;
}

std::string summary_line(const std::string& label, const std::vector<RunResult>& results,
                         const char* one, const char* many) {
    uint64_t violations = 0, timeouts = 0, truncated = 0;
    for (const auto& r : results) {
        violations += r.violations;
        timeouts += r.timeouts;
        truncated += r.truncated;
    }
    std::string s = label + ": " + std::to_string(results.size()) + " " +
                    (results.size() == 1 ? one : many) + ", " + std::to_string(violations) +
                    " violations, " + std::to_string(timeouts) + " timeouts";
    if (truncated)
        s += ", " + std::to_string(truncated) + " truncated";
    return s;
}

int run_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CliOptions opts;
    auto app = make_app(opts);
    try {
        app->parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app->exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app->exit(e, out, err);
    } catch (const CLI::CallForVersion& e) {
        return app->exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        std::string first = argc > 1 ? argv[1] : "";
        auto names = subcommand_names();
        if (!first.empty() && first[0] != '-' &&
            std::find(names.begin(), names.end(), first) == names.end()) {
            err << "ntcorral: "
                << unknown_name("command", first, "", names) + "; see 'ntcorral --help'\n";
            return kExitUsage;
        }
        std::string where = opts.command.empty() && argc > 1 &&
                                    std::find(names.begin(), names.end(), first) != names.end()
                                ? " " + first
                                : "";
        std::string what = e.what();
        if (!what.empty() && what[0] >= 'A' && what[0] <= 'Z')
            what[0] = static_cast<char>(what[0] - 'A' + 'a');
        if (!what.empty() && what.back() == '.')
            what.pop_back();
        err << "ntcorral: " << what << "; see 'ntcorral" << where << " --help'\n";
        return kExitUsage;
    }

    const Subcommand* sub = opts.subcommand;
    if (!sub) {
        err << "ntcorral: no command given; see 'ntcorral --help'\n";
        return kExitUsage;
    }
    try {
        return sub->handler(opts, out, err);
    } catch (const UsageError& e) {
        err << "ntcorral: " << e.what() << '\n';
        return kExitUsage;
    } catch (const Interrupted& e) {
        err << "ntcorral: " << e.what() << '\n';
        return e.status();
    } catch (const NlError& e) {
        err << "ntcorral: " << explain(sub->name, e) << '\n';
    } catch (const ReplyError& e) {
        err << "ntcorral: " << e.what() << '\n';
    } catch (const std::bad_alloc&) {
        err << "ntcorral: out of memory; close other programs and try again\n";
    } catch (const std::exception& e) {
        err << "ntcorral: " << e.what() << '\n';
    }
    return kExitError;
}

} // namespace ntcorral
