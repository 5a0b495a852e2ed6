// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the targets for `ntcorral bench`, each beside the
// value the bench measured and its confidence interval, the verdicts those
// intervals give, and the instrumentation's worst figures.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "bench.hpp"

namespace ntcorral {

// The targets: goals, each beside its measured value, not assertions.
enum class Verdict { Met, Missed, Inconclusive, NotMeasured };
// "met", "missed", "inconclusive", "not measured".
const char* verdict_name(Verdict v);

// How a figure is held against its goal.
enum class Goal {
    AtMost,  // <= goal
    AtLeast, // >= goal
    Below,   // < goal
};

// A figure's verdict from its interval: met when every value in the
// interval keeps the goal, missed when none does, inconclusive when the
// goal falls inside it or there is no interval (too few repetitions);
// not measured without values. An end exactly on the goal is on the side
// the goal puts it: [1.10x, 1.20x] meets "at most 1.20x", [1.20x, 1.40x]
// is inconclusive there; [0.90x, 1.00x] is inconclusive for "below 1.00x",
// [1.00x, 1.10x] misses it.
Verdict judge(const std::optional<Interval>& ci, Goal op, double goal);

// One figure a target holds against its goal.
struct Check {
    std::string what;       // "shootdown/dpc against ipi_barrier/bare_ipi"
    std::string experiment; // whose rounds settle it
    Goal op = Goal::AtMost;
    double goal = 0;
    std::string unit; // "x" or "%"
    std::optional<double> value;
    std::optional<Interval> ci;
    Verdict verdict = Verdict::NotMeasured;
};

struct Target {
    std::string id;                 // "T1"
    std::string goal;               // the words
    std::string summary;            // the goal in short, for the table
    std::optional<double> measured; // the figure shown (the worst where there are several)
    std::string unit;               // "x" (a ratio) or "%"
    std::optional<Spread> spread;   // of that figure's per-round values
    std::optional<Interval> ci;     // of that figure's median
    std::string where;              // where the figure comes from, e.g. "shootdown/ipi"
    Verdict verdict = Verdict::NotMeasured;
    // Why a verdict is inconclusive where that is more than the interval
    // holding the goal: "budget of 60 s reached after 14 repetitions", "cap
    // of 100 repetitions reached", "too few repetitions: 5, a 95% interval
    // takes 6"; "" otherwise.
    std::string reason;
    // The names the target needs that the module's LIST or results lack:
    // "the module has no counter items_per_sec in interlocked_queue". A
    // target not measured says them in its verdict_text().
    std::vector<std::string> missing;
    std::vector<Check> checks;      // every figure the verdict rests on
    std::string detail;             // every figure the target looks at
    std::vector<std::string> why;   // the measurements that explain a miss or an open verdict
    std::vector<std::string> notes; // why not measured, caveats, information
};

// "met", "inconclusive (budget of 60 s reached after 14 repetitions)", or
// "not measured: the module has no variant sense in ipi_barrier".
std::string verdict_text(const Target& t);

// The targets' goals (verdict thresholds).
inline constexpr double kTargetCorralToIpi = 1.2;     // T1
inline constexpr double kTargetSenseToIpi = 1.3;      // T2
inline constexpr double kTargetSlistThroughput = 1.5; // T3
inline constexpr unsigned kTargetProducingCpus = 4;   // T3
inline constexpr double kTargetOverheadPct = 5;       // T4

// The names T1..T3 take from the module, stated once in targets.cpp: the
// experiment, the variants (with the baseline T2 expects) and the counters
// its runs report. evaluate_targets() holds them against the bench (a
// missing one is in Target::missing); the tests against the module's source.
struct TargetNeeds {
    std::string id;
    std::string experiment;
    std::vector<std::string> variants;
    std::vector<std::string> counters;
};
std::vector<TargetNeeds> target_needs();

// T1..T4 from the bench's experiments; a target whose experiment, variant
// or figure is missing is "not measured", with the reason in its notes (and
// in its verdict_text() when the module lacks a name the target needs). A
// miss of one figure settles a target; else an inconclusive one leaves it
// inconclusive; else a missing one leaves it not measured. `opts` names the
// budget an inconclusive verdict ran out of.
std::vector<Target> evaluate_targets(const std::vector<BenchExperiment>& exps,
                                     const BenchHost& host, const BenchOptions& opts = {});

// The experiments whose rounds the inconclusive targets' open figures rest
// on (what --until-conclusive runs more of), each once.
std::vector<std::string> unsettled_experiments(const std::vector<Target>& targets);

// "targets: ..." then one line per target: id, verdict, measured value with
// its interval, the goal in short; below it the detail and the notes.
void render_targets(std::ostream& os, const std::vector<Target>& targets);
Json targets_to_json(const std::vector<Target>& targets);

// The row of all the bench's experiments with the highest figure, e.g.
// {"shootdown/dpc", 4.1}; a reference row is named "ipi_barrier/bare_ipi
// (shootdown's reference)".
struct WorstRow {
    std::string row;
    double pct = 0;
};
// overhead_pct: what T4 judges.
std::optional<WorstRow> worst_overhead(const std::vector<BenchExperiment>& exps);
// stamps_overhead_pct: information.
std::optional<WorstRow> worst_stamps_overhead(const std::vector<BenchExperiment>& exps);
Json instrumentation_to_json(const std::vector<BenchExperiment>& exps);

} // namespace ntcorral
