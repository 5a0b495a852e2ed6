// SPDX-License-Identifier: GPL-2.0
// ntcorral client: tables, histograms and JSON for people and scripts.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model.hpp"

namespace ntcorral {

using Json = nlohmann::ordered_json;

// j[key] = *v when v is set; else j gets no key.
template <typename T>
void put_if(Json& j, const char* key, const std::optional<T>& v) {
    if (v)
        j[key] = *v;
}

// The timing options of a run (its RunRequest's or its RunResult's), each
// when set: warmup, cooldown, phase_stamps, batch.
template <typename Run>
void put_timing(Json& j, const Run& r) {
    put_if(j, "warmup", r.warmup);
    put_if(j, "cooldown", r.cooldown);
    put_if(j, "phase_stamps", r.phase_stamps);
    put_if(j, "batch", r.batch);
}

// "512ns", "1.02us", "12.35ms", "1.074s".
std::string format_ns(uint64_t ns);

// Bounds of histogram bucket b: [lo, hi); hi of the last bucket is open (0).
uint64_t bucket_lo(unsigned b);
uint64_t bucket_hi(unsigned b);

// Left-aligned first column, right-aligned others unless marked left.
class Table {
public:
    explicit Table(std::vector<std::string> header, std::vector<bool> left = {});
    void add(std::vector<std::string> row);
    void print(std::ostream& os, const std::string& indent = "") const;

private:
    std::vector<std::vector<std::string>> rows_;
    std::vector<bool> left_;
    bool has_header_;
};

// ASCII log2 histogram: one row per bucket from the first to the last
// non-empty one, "[  1.02us,   2.05us)  count  |####", bars scaled to 40.
void render_histogram(std::ostream& os, const Histogram& hist, const std::string& indent = "");

// A run's result or a stats record as a table, counters and the histogram
// of the primary (first) metric. Fields the record lacks are left out; a
// cancelled run has a "cancelled" line saying why.
void render_result(std::ostream& os, const RunResult& r);

// Why a cancelled run ended (enum ntcorral_cancel), in words and as the
// JSON field's value: "request", "unload".
std::string cancel_reason(uint32_t cancelled);
std::string cancel_name(uint32_t cancelled);

// Whether a run's progress bar is drawn (on stderr): only for a person
// watching both streams, never into a pipe or a file, never with --json.
bool show_progress(bool stderr_tty, bool stdout_tty, bool json);

// One line of a run's progress for a terminal `width` columns wide, at most
// width - 1 characters (the last column would wrap): the label, a bar of
// the iterations done, their share and count, the time against the budget,
// "shootdown/ipi [#######.............]  35%  350/1000  3.5s of 10.0s".
// What does not fit goes: the label, then the bar; total or budget 0:
// unknown.
std::string render_progress(uint64_t done, uint64_t total, uint64_t elapsed_ns, uint64_t budget_ns,
                            size_t width, const std::string& label = {});

// The instrumentation's cost as a percentage of the primary metric's p50:
// sample_overhead_ns / p50 * 100, when both exist (and the p50 is not 0).
std::optional<double> sample_overhead_pct(const RunResult& r);

// "one timestamp 812ns; an empty timed sample 1.90us = 4.1% of the p50",
// the parts the result has; "" for none.
std::string instrumentation_line(const RunResult& r);

// Every experiment with its variants, parameters and metrics.
void render_experiments(std::ostream& os, const std::vector<ExperimentInfo>& list);

// How a variant compares with its experiment's baseline measured in the
// same invocation: the primary metric's p50 (lower is faster) and every
// counter named *_per_sec (higher is faster), each as variant / baseline.
struct BaselineRatio {
    std::string what; // "p50 window", "items_per_sec"
    double ratio = 0;
};

std::vector<BaselineRatio> baseline_ratios(const RunResult& r, const RunResult& baseline);
void render_ratios(std::ostream& os, const std::vector<RunResult>& results,
                   const std::string& baseline_variant);
Json ratios_to_json(const std::vector<BaselineRatio>& ratios, const std::string& baseline_variant);

Json histogram_to_json(const Histogram& hist);
Json result_to_json(const RunResult& r);
Json results_to_json(const std::vector<RunResult>& results);
Json experiments_to_json(const std::vector<ExperimentInfo>& list);

} // namespace ntcorral
