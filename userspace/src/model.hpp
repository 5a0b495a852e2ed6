// SPDX-License-Identifier: GPL-2.0
// ntcorral client: plain structs for what the kernel reports.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ntcorral.h>

namespace ntcorral {

struct VariantInfo {
    std::string name;
    std::string description;
    bool baseline = false;     // the kernel's own answer: the yardstick
    bool wrong = false;        // deliberately wrong: its violations are the lesson
    bool defect = false;       // a literal port with a documented defect it counts
    std::string refused = {};  // not run on this kernel, and why (empty: it runs)
    bool waits_in_irq = false; // its CPUs wait for one another in an interrupt
};

// What the module says a variant is, for people.
inline const char* variant_role(const VariantInfo& v) {
    return !v.refused.empty() ? "refused"
           : v.baseline       ? "baseline"
           : v.wrong          ? "wrong"
           : v.defect         ? "defect"
                              : "";
}

struct ParamInfo {
    std::string name;
    uint32_t attr = 0;
    std::string description;
    std::string unit;
    uint64_t min = 0;
    uint64_t max = 0;
    uint64_t def = 0;
};

struct ExperimentInfo {
    std::string name;
    std::string seed;
    std::string description;
    std::vector<VariantInfo> variants;
    std::vector<ParamInfo> params;
    std::vector<std::string> metric_names;
};

using Histogram = std::array<uint64_t, NTCORRAL_HIST_BUCKETS>;

struct Metric {
    std::string name;
    uint64_t count = 0;
    uint64_t min = 0;
    uint64_t mean = 0;
    uint64_t p50 = 0;
    uint64_t p90 = 0;
    uint64_t p99 = 0;
    uint64_t max = 0;
    Histogram hist{};
};

struct Counter {
    std::string name;
    uint64_t value = 0;
};

// One run's result (a RUN_RESULT) or one stats record. Fields only run
// results carry are optional.
struct RunResult {
    std::string experiment;
    std::string variant;
    uint64_t runs = 0;
    std::optional<uint32_t> iterations;
    uint64_t samples = 0;
    uint64_t violations = 0;
    uint64_t timeouts = 0;
    bool truncated = false;
    std::optional<uint32_t> nr_cpus;
    std::optional<uint32_t> initiator_cpu;
    std::optional<std::vector<unsigned>> cpus;
    uint64_t duration_ns = 0;
    std::optional<uint32_t> warmup; // as run, where the experiment takes them
    std::optional<uint32_t> cooldown;
    std::optional<uint32_t> phase_stamps;
    std::optional<uint32_t> batch;              // iterations per primary-metric sample
    std::optional<uint64_t> clock_read_ns;      // one timestamp, on the initiator
    std::optional<uint64_t> sample_overhead_ns; // an empty timed section: what every sample carries
    std::vector<Metric> metrics;
    std::vector<Counter> counters;
    uint32_t cancelled = NTCORRAL_CANCEL_NONE; // enum ntcorral_cancel: why it ended early
};

// RUN's reply: the run started, it goes on in the module.
struct RunStarted {
    uint64_t run_id = 0;
    std::string experiment;
    std::string variant;
};

// A RUN_PROGRESS notification.
struct RunProgress {
    uint64_t run_id = 0;
    std::string experiment;
    std::string variant;
    uint64_t done = 0;  // iterations (a device session: interrupts) so far
    uint64_t total = 0; // what done counts up to
    uint64_t elapsed_ns = 0;
    uint64_t budget_ns = 0; // the run's max_runtime_ms
};

// A run that failed after it started: the errno and sentence RUN would
// have answered with.
struct RunFailure {
    std::string experiment;
    std::string variant;
    int error = 0; // positive errno
    std::string message;
};

// A RUN_RESULT (notification, or GET_RESULT's reply): the run's result, or
// its failure.
struct RunEnd {
    uint64_t run_id = 0;
    RunResult result; // unless failure
    std::optional<RunFailure> failure;
};

// Options of a RUN request; only what the user gave is sent.
struct RunRequest {
    std::string experiment;
    std::string variant;
    std::optional<std::vector<uint64_t>> cpus; // bitmap words
    // Every other option: the RUN attribute of a parameter LIST names, and
    // its u32 value.
    std::map<uint32_t, uint32_t> params;

    // The value given for attribute `attr`, if any.
    std::optional<uint32_t> param(uint32_t attr) const {
        auto it = params.find(attr);
        return it == params.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    }
};

} // namespace ntcorral
