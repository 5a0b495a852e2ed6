// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the targets for `ntcorral bench`, each beside the
// value the bench measured, and the instrumentation's worst figures.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "bench.hpp"

namespace ntcorral {

// The targets: goals, each beside its measured value, not assertions.
enum class Verdict { Met, Missed, NotMeasured };
// "met", "missed", "not measured".
const char* verdict_name(Verdict v);

struct Target {
    std::string id;                 // "T1"
    std::string goal;               // the words
    std::string summary;            // the goal in short, for the table
    std::optional<double> measured; // the figure the verdict rests on
    std::string unit;               // "x" (a ratio) or "%"
    std::optional<Spread> spread;   // of that figure's per-round values
    std::string where;              // where the figure comes from, e.g. "shootdown/ipi"
    Verdict verdict = Verdict::NotMeasured;
    std::string detail;             // every figure the target looks at
    std::vector<std::string> why;   // the measurements that explain a miss
    std::vector<std::string> notes; // why not measured, caveats, information
};

// The targets' goals (verdict thresholds).
inline constexpr double kTargetCorralToIpi = 1.2;     // T1
inline constexpr double kTargetSenseToIpi = 1.3;      // T2
inline constexpr double kTargetSlistThroughput = 1.5; // T3
inline constexpr unsigned kTargetProducingCpus = 4;   // T3
inline constexpr double kTargetOverheadPct = 5;       // T4

// T1..T4 from the bench's experiments; a target whose experiment, variant
// or figure is missing is "not measured", with the reason in its notes.
std::vector<Target> evaluate_targets(const std::vector<BenchExperiment>& exps,
                                     const BenchHost& host);

// "targets: ..." then one line per target: id, verdict, measured value with
// its spread, the goal in short; below it the detail and the notes.
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
