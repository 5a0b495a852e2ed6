// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: experiments as the module lists them and bench
// results as their runs would fill them, for the bench and its targets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ntcorral.h>

#include "bench.hpp"

namespace ntcorral::test {

// A run reply of experiment/variant: the primary metric `metric` with this
// p50 (10 samples, p99 and max the same), an unstamped phase metric, the
// instrumentation's cost and 4 CPUs.
inline RunResult timed_run(const std::string& exp, const std::string& variant, uint64_t p50,
                           const std::string& metric = "window", uint64_t overhead_ns = 100,
                           uint64_t clock_ns = 40) {
    RunResult r;
    r.experiment = exp;
    r.variant = variant;
    r.runs = 1;
    r.iterations = 10;
    r.samples = 10;
    r.nr_cpus = 4;
    r.clock_read_ns = clock_ns;
    r.sample_overhead_ns = overhead_ns;
    Metric m;
    m.name = metric;
    m.count = 10;
    m.p50 = m.p99 = m.max = p50;
    r.metrics.push_back(m);
    Metric phase;
    phase.name = "corral";
    r.metrics.push_back(phase); // lean: empty
    return r;
}

// The parameters the module lists for every experiment.
inline std::vector<uint32_t> every_experiment_params() {
    return {NTCORRAL_A_ITERATIONS, NTCORRAL_A_DEADLINE_US, NTCORRAL_A_MAX_RUNTIME_MS};
}

inline ExperimentInfo experiment_info(const std::string& name,
                                      const std::vector<std::string>& variants,
                                      const std::string& baseline,
                                      const std::vector<uint32_t>& params,
                                      const std::string& metric) {
    ExperimentInfo e;
    e.name = name;
    for (const auto& v : variants)
        e.variants.push_back({v, "", v == baseline});
    // Every experiment lists these three, as the module does.
    std::vector<uint32_t> all = every_experiment_params();
    all.insert(all.end(), params.begin(), params.end());
    for (uint32_t a : all) {
        ParamInfo p;
        p.attr = a;
        e.params.push_back(p);
    }
    e.metric_names = {metric};
    return e;
}

// The experiments as the module lists them, with the parameters they take.
inline ExperimentInfo shootdown_info() {
    return experiment_info("shootdown", {"dpc", "ipi", "stop_machine"}, "stop_machine",
                           {NTCORRAL_A_HOLD_US, NTCORRAL_A_PCI_DEVICE, NTCORRAL_A_WARMUP,
                            NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS, NTCORRAL_A_BATCH},
                           "window");
}

inline ExperimentInfo ipi_barrier_info() {
    return experiment_info(
        "ipi_barrier", {"counter", "sense", "bare_ipi"}, "bare_ipi",
        {NTCORRAL_A_WARMUP, NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS, NTCORRAL_A_BATCH},
        "call");
}

inline ExperimentInfo interlocked_queue_info() {
    return experiment_info(
        "interlocked_queue", {"exinterlocked", "slist", "naive"}, "exinterlocked",
        {NTCORRAL_A_HOLD_US, NTCORRAL_A_RATE_HZ, NTCORRAL_A_BURST}, "isr_to_dpc");
}

inline ExperimentInfo spinlock_info() {
    return experiment_info("spinlock", {"irqsave", "raw"}, "irqsave",
                           {NTCORRAL_A_HOLD_US, NTCORRAL_A_RATE_HZ}, "isr_to_dpc");
}

// shootdown's rounds (dpc, ipi, stop_machine) with the reference
// ipi_barrier/bare_ipi measured in each, from per-round p50s.
inline BenchExperiment shootdown_bench(const std::vector<uint64_t>& dpc,
                                       const std::vector<uint64_t>& ipi,
                                       const std::vector<uint64_t>& stop_machine,
                                       const std::vector<uint64_t>& bare_ipi) {
    BenchExperiment e;
    e.experiment = "shootdown";
    e.metric = "window";
    e.baseline = "stop_machine";
    e.variants = {"dpc", "ipi", "stop_machine"};
    e.reference = BenchReference{"ipi_barrier", "bare_ipi"};
    for (size_t r = 0; r < dpc.size(); r++) {
        e.reps.push_back({timed_run("shootdown", "dpc", dpc[r]),
                          timed_run("shootdown", "ipi", ipi[r]),
                          timed_run("shootdown", "stop_machine", stop_machine[r])});
        e.reference_reps.push_back(timed_run("ipi_barrier", "bare_ipi", bare_ipi[r], "call"));
    }
    summarize(e);
    return e;
}

// ipi_barrier's rounds (sense, bare_ipi) from per-round p50s.
inline BenchExperiment ipi_barrier_bench(const std::vector<uint64_t>& sense,
                                         const std::vector<uint64_t>& bare_ipi) {
    BenchExperiment e;
    e.experiment = "ipi_barrier";
    e.metric = "call";
    e.baseline = "bare_ipi";
    e.variants = {"sense", "bare_ipi"};
    for (size_t r = 0; r < sense.size(); r++)
        e.reps.push_back({timed_run("ipi_barrier", "sense", sense[r], "call"),
                          timed_run("ipi_barrier", "bare_ipi", bare_ipi[r], "call")});
    summarize(e);
    return e;
}

inline RunResult queue_run(const std::string& variant, uint64_t per_sec, uint64_t lost,
                           uint32_t cpus) {
    RunResult r = timed_run("interlocked_queue", variant, 2000, "isr_to_dpc");
    r.nr_cpus = cpus;
    r.counters = {{"produced", 1000}, {"lost", lost}, {"items_per_sec", per_sec}};
    return r;
}

// interlocked_queue's rounds (exinterlocked, slist) from per-round items/s.
inline BenchExperiment queue_bench(const std::vector<uint64_t>& exinterlocked,
                                   const std::vector<uint64_t>& slist, uint32_t cpus = 4) {
    BenchExperiment e;
    e.experiment = "interlocked_queue";
    e.metric = "isr_to_dpc";
    e.baseline = "exinterlocked";
    e.variants = {"exinterlocked", "slist"};
    e.warmup = {queue_run("exinterlocked", 1, 0, cpus), queue_run("slist", 1, 0, cpus)};
    for (size_t r = 0; r < slist.size(); r++)
        e.reps.push_back({queue_run("exinterlocked", exinterlocked[r], 0, cpus),
                          queue_run("slist", slist[r], 0, cpus)});
    summarize(e);
    return e;
}

// The same from per-round p50s of any number of rounds: ipi_barrier's
// sense against bare_ipi is the one ratio T2 looks at.
inline BenchExperiment ipi_barrier_rounds(const std::vector<double>& sense_ratio) {
    std::vector<uint64_t> sense, bare;
    for (double r : sense_ratio) {
        sense.push_back(uint64_t(r * 1000 + 0.5));
        bare.push_back(1000);
    }
    return ipi_barrier_bench(sense, bare);
}

// A bench's runner and clock with no module and no sleeping: every run
// takes `run_s` seconds of the fake clock. The n-th run (from 0, the
// warm-up first, the stamped round not counted) of "experiment/variant"
// gets the value seq[key][n % size]: the p50 of its primary metric, or for
// interlocked_queue its items_per_sec (nothing lost); 1000 without a
// sequence. A stamped run gets its last value and 10% more. Every run
// carries an empty timed sample of `overhead_ns`.
struct FakeBench {
    std::map<std::string, std::vector<uint64_t>> seq;
    double now = 0;
    double run_s = 1;
    uint64_t overhead_ns = 10;
    std::map<std::string, size_t> seen;
    std::vector<std::string> calls; // "experiment/variant", the stamped ones with "+stamps"

    BenchRunner runner() {
        return [this](const RunRequest& req) {
            const std::string key = req.experiment + "/" + req.variant;
            const bool stamped = req.param(NTCORRAL_A_PHASE_STAMPS).value_or(0) != 0;
            calls.push_back(key + (stamped ? "+stamps" : ""));
            uint64_t v = 1000;
            auto it = seq.find(key);
            size_t n = seen[key];
            if (stamped && n)
                n--;
            if (it != seq.end() && !it->second.empty())
                v = it->second[n % it->second.size()];
            if (stamped)
                v += v / 10;
            else
                seen[key]++;
            now += run_s;
            if (req.experiment == "interlocked_queue")
                return queue_run(req.variant, v, 0, 4);
            const std::string metric = req.experiment == "ipi_barrier" ? "call" : "window";
            RunResult r = timed_run(req.experiment, req.variant, v, metric, overhead_ns);
            r.phase_stamps = req.param(NTCORRAL_A_PHASE_STAMPS);
            return r;
        };
    }
    BenchClock clock() {
        return [this] { return now; };
    }
    // The runs of "experiment/variant" so far, the stamped round aside.
    size_t runs(const std::string& key) const {
        auto it = seen.find(key);
        return it == seen.end() ? 0 : it->second;
    }
};

} // namespace ntcorral::test
