// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral run`, its options (the run parameters, described
// once for run and bench) and the RUN request they make.
#include <algorithm>
#include <exception>
#include <ostream>

#include <unistd.h>

#include "commands.hpp"
#include "cpulist.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "render.hpp"
#include "run.hpp"

namespace ntcorral {

namespace {

// "[lo, hi]; module default d." for option help.
std::string range(long lo, long hi, long def) {
    return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]; module default " +
           std::to_string(def) + ".";
}

// The results of one experiment's variants in a run, and its baseline.
struct BaselineSpan {
    size_t begin, end;
    std::string variant;
};

// The run's results as JSON, each beside its experiment's baseline of this
// same run.
Json run_json(const std::vector<RunResult>& results, const std::vector<BaselineSpan>& baselines) {
    Json all = results_to_json(results);
    for (const auto& b : baselines) {
        const RunResult* base = nullptr;
        for (size_t i = b.begin; i < b.end; i++)
            if (results[i].variant == b.variant)
                base = &results[i];
        for (size_t i = b.begin; base && i < b.end; i++)
            if (&results[i] != base)
                all[i]["ratio_to_baseline"] =
                    ratios_to_json(baseline_ratios(results[i], *base), b.variant);
    }
    return all;
}

// The experiments `run` names: one, or with "all" every one the module
// offers (every variant of each).
std::vector<const ExperimentInfo*> experiments_to_run(const CliOptions& o,
                                                      const std::vector<ExperimentInfo>& list) {
    std::vector<const ExperimentInfo*> exps;
    if (o.experiment == "all") {
        if (o.variant != "all")
            throw UsageError("--variant names a variant of one experiment; with 'run all' "
                             "every variant runs");
        for (const auto& e : list)
            exps.push_back(&e);
    } else {
        exps.push_back(&find_experiment(list, o.experiment));
    }
    return exps;
}

} // namespace

const std::vector<RunOption>& run_options() {
    using C = CliOptions;
    using R = RunRequest;
    using B = BenchOptions;
    static const std::vector<RunOption> table = {
        {"--iterations", NTCORRAL_A_ITERATIONS, "N",
         "Iterations to run, a count in " +
             range(NTCORRAL_MIN_ITERATIONS, NTCORRAL_MAX_ITERATIONS, NTCORRAL_DEFAULT_ITERATIONS),
         &C::iterations, &R::iterations, true, "Iterations of every run.", &B::iterations,
         NTCORRAL_MIN_ITERATIONS, NTCORRAL_MAX_ITERATIONS},
        {"--cpus", NTCORRAL_A_CPUS, "LIST",
         "CPUs taking part, e.g. 0-3,6 (online, below " + std::to_string(NTCORRAL_MAX_CPUS) +
             "); the lowest is the initiator. Module default: every online CPU.",
         &C::cpus, nullptr, true},
        {"--hold-us", NTCORRAL_A_HOLD_US, "N",
         "Work done holding the window (shootdown) or the lock (spinlock, interlocked_queue), in "
         "microseconds, in " +
             range(0, NTCORRAL_MAX_HOLD_US, NTCORRAL_DEFAULT_HOLD_US),
         &C::hold_us, &R::hold_us},
        {"--deadline-us", NTCORRAL_A_DEADLINE_US, "N",
         "Bound on every spin of the run, in microseconds, in " +
             range(NTCORRAL_MIN_DEADLINE_US, NTCORRAL_MAX_DEADLINE_US,
                   NTCORRAL_DEFAULT_DEADLINE_US),
         &C::deadline_us, &R::deadline_us, true},
        {"--max-runtime-ms", NTCORRAL_A_MAX_RUNTIME_MS, "N",
         "Bound on the whole run, in milliseconds, in " +
             range(NTCORRAL_MIN_RUNTIME_MS, NTCORRAL_MAX_RUNTIME_MS, NTCORRAL_DEFAULT_RUNTIME_MS),
         &C::max_runtime_ms, &R::max_runtime_ms, true},
        {"--rate-hz", NTCORRAL_A_RATE_HZ, "N",
         "Interrupts per second on each CPU of the simulated device (spinlock, "
         "interlocked_queue), in " +
             range(NTCORRAL_MIN_RATE_HZ, NTCORRAL_MAX_RATE_HZ, NTCORRAL_DEFAULT_RATE_HZ),
         &C::rate_hz, &R::rate_hz},
        {"--pci-device", NTCORRAL_A_PCI_DEVICE, "BB:DD.F",
         "PCI device BB:DD.F (hex, domain 0) for experiments that touch one, or none: no PCI "
         "access; module default 00:00.0.",
         &C::pci_device, &R::pci_device},
        {"--warmup", NTCORRAL_A_WARMUP, "N",
         "Iterations run before the measured ones and not recorded (their violations and "
         "timeouts count), in " +
             range(0, NTCORRAL_MAX_WARMUP, NTCORRAL_DEFAULT_WARMUP),
         &C::warmup, &R::warmup, false,
         "Unrecorded iterations the module runs before the measured ones of every run, where "
         "the experiment takes them.",
         &B::warmup, 0, NTCORRAL_MAX_WARMUP},
        {"--cooldown", NTCORRAL_A_COOLDOWN, "N",
         "Iterations run after the measured ones and not recorded, in " +
             range(0, NTCORRAL_MAX_WARMUP, NTCORRAL_DEFAULT_COOLDOWN),
         &C::cooldown, &R::cooldown, false, "Unrecorded iterations the module runs after them.",
         &B::cooldown, 0, NTCORRAL_MAX_WARMUP},
        {"--phase-stamps", NTCORRAL_A_PHASE_STAMPS, "0|1",
         "1: time every metric; 0 (lean): time the primary metric only, no clock read inside its "
         "window, the other metrics left empty; in " +
             range(0, 1, NTCORRAL_DEFAULT_PHASE_STAMPS),
         &C::phase_stamps, &R::phase_stamps},
        {"--batch", NTCORRAL_A_BATCH, "N",
         "Iterations timed together between two timestamps, the primary metric's sample their "
         "mean (refscale's loop; > 1 implies --phase-stamps 0), in " +
             range(NTCORRAL_MIN_BATCH, NTCORRAL_MAX_BATCH, NTCORRAL_DEFAULT_BATCH),
         &C::batch, &R::batch, false,
         "Iterations timed together between two timestamps in the lean rounds, where the "
         "experiment takes it (the stamped round times one at a time).",
         &B::batch, NTCORRAL_MIN_BATCH, NTCORRAL_MAX_BATCH},
        {"--burst", NTCORRAL_A_BURST, "N",
         "Items each interrupt of the simulated device produces (interlocked_queue), in " +
             range(NTCORRAL_MIN_BURST, NTCORRAL_MAX_BURST, NTCORRAL_DEFAULT_BURST),
         &C::burst, &R::burst},
    };
    return table;
}

const RunOption& run_option(uint32_t attr) {
    for (const auto& r : run_options())
        if (r.attr == attr)
            return r;
    throw std::logic_error("no run option for attribute " + std::to_string(attr));
}

void add_run_options(CLI::App& sub, CliOptions& o) {
    sub.add_flag("--json", o.json, "Print JSON instead of tables.");
    sub.add_option("experiment", o.experiment,
                   "Experiment to run (see 'ntcorral list'), or 'all' for every experiment.")
        ->required();
    sub.add_option("--variant", o.variant, "Variant to run, or 'all' for every variant in turn.")
        ->type_name("NAME|all")
        ->capture_default_str();
    for (const auto& r : run_options())
        std::visit([&](auto field) { return sub.add_option(r.flag, o.*field, r.help); }, r.field)
            ->type_name(r.type_name);
}

RunRequest make_run_request(const CliOptions& o) {
    RunRequest req;
    req.experiment = o.experiment;
    for (const auto& r : run_options())
        if (auto number = std::get_if<std::optional<uint32_t> CliOptions::*>(&r.field))
            req.*r.request = o.**number;
    if (o.cpus)
        req.cpus = parse_cpu_list(*o.cpus);
    if (o.pci_device)
        req.pci_device = parse_pci_device(*o.pci_device);
    return req;
}

bool takes_param(const ExperimentInfo& exp, uint32_t attr) {
    return std::any_of(exp.params.begin(), exp.params.end(),
                       [&](const ParamInfo& p) { return p.attr == attr; });
}

RunRequest request_for(const RunRequest& base, const ExperimentInfo& exp, bool strict) {
    RunRequest req = base;
    for (const auto& r : run_options()) {
        if (r.every_experiment)
            continue;
        std::optional<uint32_t>& field = req.*r.request;
        if (!field || takes_param(exp, r.attr))
            continue;
        if (strict)
            throw UsageError(exp.name + " takes no " + r.flag + " (see 'ntcorral list')");
        field.reset();
    }
    return req;
}

int cmd_run(const CliOptions& o, std::ostream& out, std::ostream& err) {
    RunRequest req = make_run_request(o);
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    auto list = list_experiments(conn);
    std::vector<const ExperimentInfo*> exps = experiments_to_run(o, list);

    std::vector<RunResult> results;
    std::vector<std::string> summaries;
    std::vector<BaselineSpan> baselines;
    // Variants --variant all leaves out on this kernel, said once the rest
    // ran (a request the module rejects keeps its one error line).
    std::vector<std::string> not_run;
    RunSession session(conn, err,
                       {show_progress(isatty(STDERR_FILENO), isatty(STDOUT_FILENO), o.json)});
    // Why the series ended early (Ctrl-C, an unload, another client's
    // cancel): reported once what ran is printed.
    std::exception_ptr stop;
    for (const ExperimentInfo* exp : exps) {
        if (stop)
            break;
        size_t first = results.size();
        RunRequest exp_req = request_for(req, *exp, o.experiment != "all");
        if (o.variant == "all")
            for (const auto& v : exp->variants)
                if (!v.refused.empty())
                    not_run.push_back(exp->name + '/' + v.name +
                                      " is not run on this kernel: " + v.refused);
        for (const auto& v : resolve_variants(*exp, o.variant)) {
            exp_req.experiment = exp->name;
            exp_req.variant = v;
            RunOutcome done = session.run(exp_req, exp);
            stop = done.stop;
            if (!done.result)
                break;
            size_t before = results.size();
            results.push_back(std::move(*done.result));
            if (!o.json) {
                if (before)
                    out << '\n';
                render_result(out, results.back());
                out.flush();
            }
            if (stop)
                break;
        }
        if (stop && results.size() == first)
            break;
        std::vector<RunResult> mine(results.begin() + first, results.end());
        summaries.push_back(summary_line(exp->name, mine, "variant", "variants"));
        for (const auto& v : exp->variants)
            if (v.baseline)
                baselines.push_back({first, results.size(), v.name});
        if (!o.json && !baselines.empty() && baselines.back().begin == first)
            render_ratios(out, mine, baselines.back().variant);
    }
    if (o.json) {
        out << run_json(results, baselines).dump(2) << '\n';
    } else {
        out << '\n';
        for (const auto& line : summaries)
            out << line << '\n';
    }
    for (const auto& line : not_run)
        err << "ntcorral: " << line << '\n';
    int status =
        report_status(o.experiment == "all" ? "the run" : exps.front()->name, results, err);
    if (stop) {
        out.flush();
        std::rethrow_exception(stop);
    }
    return status;
}

} // namespace ntcorral
