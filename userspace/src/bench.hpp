// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral bench`, interleaved repetitions of every variant
// of each experiment, their summary against the baseline and a reference
// with a confidence interval over the repetitions, the instrumentation's own
// cost, the targets, and more rounds until their verdicts settle.
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

// The confidence of every interval the bench gives.
inline constexpr double kConfidence = 0.95;
// Repetitions a bench may ask for, and --until-conclusive's default cap.
inline constexpr uint32_t kBenchMaxRepetitions = 1000;
inline constexpr uint32_t kBenchDefaultMaxRepetitions = 100;

// What the bench subcommand's options say (CliOptions::bench).
struct BenchOptions {
    std::optional<std::string> experiments; // "a,b"; default every one
    uint32_t iterations = 200;
    uint32_t repetitions = 6; // the fewest with a 95% interval of the median
    uint32_t batch = 1;       // iterations timed together, where the experiment takes it
    uint32_t warmup = 20;     // unrecorded iterations the module runs before the measured ones
    uint32_t cooldown = 5;    // and after them (where the experiment takes them)
    std::optional<std::string> json_file;
    // --until-conclusive: more rounds of the experiments an inconclusive
    // verdict rests on, until none is or the budget (seconds from the
    // bench's first run) or the cap on repetitions is reached.
    bool until_conclusive = false;
    std::optional<double> budget_s;
    std::optional<uint32_t> max_repetitions; // kBenchDefaultMaxRepetitions if unset
};

// Throws UsageError on options that do not go together or out of range:
// --repetitions in [1, kBenchMaxRepetitions]; --until-conclusive with
// --budget-s > 0 (finite); --max-repetitions in [--repetitions,
// kBenchMaxRepetitions]; --budget-s and --max-repetitions only with
// --until-conclusive; the iterations, warm-up and cool-down in the uapi's
// ranges.
void validate_bench_options(const BenchOptions& opts);

// Every run of a bench uses these bounds (the caps of uapi/ntcorral.h).
inline constexpr uint32_t kBenchDeadlineUs = 1000000;
inline constexpr uint32_t kBenchMaxRuntimeMs = 30000;
// Where an experiment takes a burst: the producers saturate the queue, so
// its *_per_sec counter is a throughput figure.
inline constexpr uint32_t kBenchBurst = 64;
inline constexpr uint32_t kBenchRateHz = 20000;
// There each iteration is an interrupt's burst of items: the run asks for
// iterations x burst items per producer (capped), enough for a throughput.
uint32_t bench_queue_items(uint32_t iterations);

// The request every run of `exp` in a bench sends, variant left empty: the
// iterations and bounds; warm-up and cool-down where it takes them; where it
// times phases, the corral's own cost (hold 0) lean (phase_stamps 0), or with
// the phase stamps on when `stamped`; saturating bursts where it takes a
// burst. What it does not take is dropped, as request_for() does.
RunRequest bench_request(const ExperimentInfo& exp, const BenchOptions& opts, bool stamped = false);

// Another experiment's variant measured in the same rounds as an
// experiment's own variants (A B C R A B C R ...), each compared with it.
struct BenchReference {
    std::string experiment; // "ipi_barrier"
    std::string variant;    // "bare_ipi"
};

// The reference of `experiment`, if it has one: shootdown's corrals against
// the bare broadcast IPI.
std::optional<BenchReference> reference_for(const std::string& experiment);

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

// A distribution-free confidence interval of the median of n values, from
// their order statistics: [x(k), x(n-k+1)] covers the population median
// with probability 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2), whatever the
// distribution (continuous; ties only widen it). No resampling, so the
// same values give the same interval. Below 6 values no such interval
// reaches 95% (n = 5: 93.75%): then there is none.
struct Interval {
    size_t n = 0;     // the per-repetition values it rests on
    size_t k = 0;     // lo is the k-th lowest value, hi the k-th highest; 0: none
    double level = 0; // its exact coverage (>= the confidence asked); 0 without one
    double lo = 0;
    double hi = 0;
    bool exists() const { return k > 0; }
};
// The coverage of [x(k), x(n-k+1)] for n values; 0 unless 1 <= k <= (n+1)/2.
double median_coverage(size_t n, size_t k);
// The largest k whose coverage reaches `confidence` (the narrowest such
// interval); 0 when not even k = 1 does.
size_t median_rank(size_t n, double confidence = kConfidence);
// The fewest values with an interval at `confidence`: 6 for 95%.
size_t min_repetitions(double confidence = kConfidence);
// The interval of the median of `v` (nullopt for no values; k 0 for too few).
std::optional<Interval> median_interval(std::vector<double> v, double confidence = kConfidence);

// One variant of one experiment, summed up over the repetitions. A ratio is
// the median of the per-repetition ratios, each repetition's run against the
// same repetition's baseline (or reference) run; its interval is that
// median's, over those ratios.
struct ThroughputRow {
    std::string counter; // "items_per_sec"
    double median = 0;
    std::optional<double> ratio;        // against the baseline's counter
    std::optional<Spread> ratio_spread; // of the per-repetition ratios
    std::optional<Interval> ratio_ci;
};

struct BenchRow {
    std::string variant;
    bool baseline = false;
    bool reference = false; // the reference row; `experiment` names its experiment
    std::string experiment;
    double median_p50 = 0;       // median over the repetitions of the primary metric's p50 (ns)
    double p99 = 0;              // median over the repetitions of its p99
    uint64_t max = 0;            // max over the repetitions of its max
    std::optional<double> ratio; // of p50 to the baseline's p50, round by round
    std::optional<Spread> ratio_spread; // of those per-round ratios
    std::optional<Interval> ratio_ci;
    std::vector<ThroughputRow> throughput;
    std::optional<double> ratio_to_reference; // of p50 to the reference's p50, round by round
    std::optional<Spread> reference_spread;
    std::optional<Interval> reference_ci;
    std::optional<double> clock_read_ns;      // median over the repetitions
    std::optional<double> sample_overhead_ns; // median over the repetitions, per iteration
    std::optional<double> overhead_pct; // median of sample_overhead_ns / p50 * 100, round by round
    std::optional<Interval> overhead_ci;
    std::optional<double> stamped_p50;         // p50 of the run with phase stamps on
    std::optional<double> stamps_overhead_pct; // (stamped_p50 / median_p50 - 1) * 100
    uint64_t violations = 0;                   // every run, the warm-up included
    uint64_t timeouts = 0;
    uint64_t truncated = 0;
};

// Why --until-conclusive gave an experiment no more rounds while a verdict
// still rested on them.
enum class BenchStop { None, Budget, Cap };

// One experiment's runs and their summary.
struct BenchExperiment {
    std::string experiment;
    std::string metric;   // the primary metric, "window"
    std::string baseline; // the baseline variant, "" if none
    std::vector<std::string> variants;
    std::vector<RunResult> warmup;               // one per variant, discarded
    std::vector<std::vector<RunResult>> reps;    // [repetition][variant]
    std::vector<RunResult> stamped;              // one per variant, phase stamps on; may be empty
    std::vector<BenchRow> rows;                  // one per variant
    RunRequest request;                          // what every measured run sent (variant aside)
    std::optional<RunRequest> reference_request; // the reference's, where it is measured
    BenchStop stop = BenchStop::None;

    std::optional<BenchReference> reference; // set when it was measured
    std::string reference_note;              // why a reference was not measured
    std::optional<RunResult> reference_warmup;
    std::vector<RunResult> reference_reps; // [repetition]
    std::optional<RunResult> reference_stamped;
    std::optional<BenchRow> reference_row;
};

// Fill `rows` (and `reference_row`) of an experiment from its runs.
void summarize(BenchExperiment& e);

// Its rows, then its reference row when it has one.
std::vector<const BenchRow*> rows_and_reference(const BenchExperiment& e);

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

// A warm-up round, the interleaved repetitions and, where `exp` takes
// phase_stamps, one more round with the stamps on; every round runs each
// variant in turn and then the reference (reference_for()) when `module`
// lists it. Then the summary. `on_run` (if set) hears of each run as it ends.
BenchExperiment bench_experiment(const ExperimentInfo& exp, const BenchOptions& opts,
                                 const BenchRunner& run,
                                 const std::function<void(const RunResult&)>& on_run = {},
                                 const std::vector<ExperimentInfo>& module = {});

// One more measured round of `e`, as the others (every variant in turn,
// then the reference), with no warm-up run; then the summary again.
void bench_round(BenchExperiment& e, const BenchRunner& run,
                 const std::function<void(const RunResult&)>& on_run = {});

// Seconds on a monotonic clock; the live one is steady_seconds().
using BenchClock = std::function<double()>;
double steady_seconds();

// The experiments (by name) an inconclusive verdict still rests on, given
// the bench so far; the live one asks the targets (unsettled_experiments()).
using BenchUnsettled = std::function<std::vector<std::string>(const std::vector<BenchExperiment>&)>;

// --until-conclusive: while `unsettled` names experiments, one more round
// of each of them in the bench's order (experiments whose verdicts settled
// get none), then ask again. No round starts once opts.budget_s seconds
// have passed since `started` (a round in flight finishes: its runs pair up
// only as a whole), nor for an experiment at the cap of repetitions. At the
// end every experiment still named gets its BenchStop (Budget or Cap).
// `on_round` hears of each round added.
struct BenchExtension {
    unsigned rounds = 0;  // rounds added over every experiment
    double elapsed_s = 0; // since `started`, at the end
    bool budget = false;  // the budget ended it
};
BenchExtension
extend_until_conclusive(std::vector<BenchExperiment>& exps, const BenchOptions& opts,
                        const BenchRunner& run, const BenchClock& clock, double started,
                        const BenchUnsettled& unsettled,
                        const std::function<void(const BenchExperiment&, double)>& on_round = {});

// The experiment's table: variant, median, p99, max, ratio and its 95%
// interval, the ratio to the reference and its interval, the throughput
// ratios, the instrumentation's share, what phase stamps add, violations and
// timeouts (non-zero marked !!!). The columns without data are left out.
void render_bench(std::ostream& os, const BenchExperiment& e, unsigned iterations);

// "1.52x", or "n/a".
std::string format_ratio(const std::optional<double>& r);
// "1.31x..1.80x", or "n/a".
std::string format_spread(const std::optional<Spread>& s);
// "1.31x..1.80x" ("2.1%..3.4%" with unit "%"), "none, n=5 < 6" where too
// few values give none, "n/a" without values.
std::string format_interval(const std::optional<Interval>& ci, const std::string& unit = "x");
// {method, confidence, n, k, level, lo, hi}; k, level, lo and hi null where
// too few values give none; null without values.
Json interval_json(const std::optional<Interval>& ci);

Json bench_host_to_json(const BenchHost& h);
// The host, the parameters, every experiment (runs and summary), the
// targets and the worst instrumentation figures.
Json bench_to_json(const BenchHost& host, const BenchOptions& opts,
                   const std::vector<BenchExperiment>& exps);

// Exit status of a bench: 0, or 3 when any run reported violations or
// timeouts (the reference's included); `which` then names the rows, e.g.
// "shootdown/ipi (2 violations, 0 timeouts)".
int bench_status(const std::vector<BenchExperiment>& exps, std::string* which = nullptr);

// The bench of `exps` with a runner and a clock: every experiment's
// repetitions, with --until-conclusive the rounds its verdicts want, each
// experiment's table (as it ends; with --until-conclusive after the last
// round) and the targets, printed to `out`. `module` is the module's list
// (where the references come from).
std::vector<BenchExperiment> run_bench(const std::vector<const ExperimentInfo*>& exps,
                                       const std::vector<ExperimentInfo>& module,
                                       const BenchOptions& opts, const BenchHost& host,
                                       const BenchRunner& run, const BenchClock& clock,
                                       std::ostream& out);

// The experiments --experiments names (every one by default), in its
// order; UsageError for a name the module does not offer, or none.
std::vector<const ExperimentInfo*> bench_selection(const std::vector<ExperimentInfo>& list,
                                                   const BenchOptions& opts);

// The whole subcommand against the module (cmd_bench.cpp). Throws
// UsageError, NlError, ReplyError.
int bench_main(const BenchOptions& opts, std::ostream& out, std::ostream& err);

} // namespace ntcorral
