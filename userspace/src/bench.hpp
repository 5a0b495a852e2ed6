// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral bench`, interleaved repetitions of every variant
// of each experiment and their summary against the baseline.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"
#include "render.hpp"

namespace ntcorral {

// What the bench subcommand's options say (CliOptions::bench).
struct BenchOptions {
    std::optional<std::string> experiments; // "a,b"; default every one
    uint32_t iterations = 50;
    uint32_t repetitions = 3;
    std::optional<std::string> json_file;
};

// Every run of a bench uses these bounds (the caps of uapi/ntcorral.h).
inline constexpr uint32_t kBenchDeadlineUs = 1000000;
inline constexpr uint32_t kBenchMaxRuntimeMs = 30000;

// Median of the values; the mean of the two middle ones for an even count,
// 0 for none.
double median(std::vector<double> v);

// min..max of the values; nullopt for none.
struct Spread {
    double min = 0;
    double max = 0;
};
std::optional<Spread> spread(const std::vector<double>& v);

// The order of the measured runs: `repetitions` rounds of every variant in
// turn (A B C A B C ...), as (repetition, variant index).
struct Slot {
    unsigned repetition;
    size_t variant;
};
std::vector<Slot> interleaved_order(size_t variants, unsigned repetitions);

// a / b, or nullopt when b is 0.
std::optional<double> ratio(double a, double b);

// One variant of one experiment, summed up over the repetitions.
struct ThroughputRow {
    std::string counter; // "items_per_sec"
    double median = 0;
    std::optional<double> ratio;        // median / the baseline's median
    std::optional<Spread> ratio_spread; // of the per-repetition ratios
};

struct BenchRow {
    std::string variant;
    bool baseline = false;
    double median_p50 = 0;       // median over the repetitions of the primary metric's p50 (ns)
    double p99 = 0;              // median over the repetitions of its p99
    uint64_t max = 0;            // max over the repetitions of its max
    std::optional<double> ratio; // median_p50 / the baseline's median_p50
    std::optional<Spread> ratio_spread; // of p50 / the baseline's p50, repetition by repetition
    std::vector<ThroughputRow> throughput;
    uint64_t violations = 0; // every run, the warm-up included
    uint64_t timeouts = 0;
    uint64_t truncated = 0;
};

// One experiment's runs and their summary.
struct BenchExperiment {
    std::string experiment;
    std::string metric;   // the primary metric, "window"
    std::string baseline; // the baseline variant, "" if none
    std::vector<std::string> variants;
    std::vector<RunResult> warmup;            // one per variant, discarded
    std::vector<std::vector<RunResult>> reps; // [repetition][variant]
    std::vector<BenchRow> rows;               // one per variant
};

// Fill `rows` of an experiment from its warm-up and repetitions.
void summarize(BenchExperiment& e);

// The box the bench ran on.
struct BenchHost {
    std::string kernel;    // uname -r
    std::string cpu_model; // /proc/cpuinfo "model name"
    unsigned online_cpus = 0;
    bool emulated = false; // "hypervisor" flag, or a QEMU CPU model
};

// The CPU model and the emulated flag from the text of /proc/cpuinfo.
BenchHost parse_cpuinfo(const std::string& cpuinfo);

// uname, /proc/cpuinfo and the online CPU count of this box.
BenchHost probe_host();

// One run of a request; the live one sends it to the module.
using BenchRunner = std::function<RunResult(const RunRequest&)>;

// Warm-up and interleaved repetitions of every variant of `exp`, then the
// summary. `on_run` (if set) hears of each run as it ends.
BenchExperiment bench_experiment(const ExperimentInfo& exp, const BenchOptions& opts,
                                 const BenchRunner& run,
                                 const std::function<void(const RunResult&)>& on_run = {});

// The experiment's table: variant, median, p99, max, ratio and its spread,
// the throughput ratios, violations and timeouts (non-zero marked !!!).
void render_bench(std::ostream& os, const BenchExperiment& e, unsigned iterations);

// "1.52x", or "n/a".
std::string format_ratio(const std::optional<double>& r);
// "1.31x..1.80x", or "n/a".
std::string format_spread(const std::optional<Spread>& s);

Json bench_host_to_json(const BenchHost& h);
Json bench_to_json(const BenchHost& host, const BenchOptions& opts,
                   const std::vector<BenchExperiment>& exps);

// Exit status of a bench: 0, or 3 when any run reported violations or
// timeouts.
int bench_status(const std::vector<BenchExperiment>& exps);

// The whole subcommand against the module. Throws UsageError, NlError,
// ReplyError.
int bench_main(const BenchOptions& opts, std::ostream& out, std::ostream& err);

} // namespace ntcorral
