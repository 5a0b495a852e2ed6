// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the bench's order, statistics and their intervals,
// table and JSON; no kernel needed (the runs come from a fake runner).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "bench.hpp"
#include "cli.hpp"
#include "fake_bench.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

RunResult result(const std::string& variant, uint64_t p50, uint64_t p99 = 0, uint64_t max = 0,
                 std::optional<uint64_t> per_sec = {}) {
    RunResult r;
    r.experiment = "exp";
    r.variant = variant;
    r.runs = 1;
    Metric m;
    m.name = "window";
    m.p50 = p50;
    m.p99 = p99 ? p99 : p50;
    m.max = max ? max : m.p99;
    r.metrics.push_back(m);
    if (per_sec)
        r.counters.push_back({"items_per_sec", *per_sec});
    return r;
}

ExperimentInfo experiment(std::vector<std::string> params = {}) {
    ExperimentInfo e;
    e.name = "exp";
    e.variants = {{"a", "", false}, {"b", "", false}, {"base", "", true}};
    e.metric_names = {"window"};
    for (const auto& p : params) {
        ParamInfo pi;
        pi.name = p;
        pi.attr = p == "hold_us" ? NTCORRAL_A_HOLD_US : NTCORRAL_A_RATE_HZ;
        e.params.push_back(pi);
    }
    return e;
}

// Repetitions of a, b, base with the given p50s per repetition.
BenchExperiment three_reps(std::vector<uint64_t> a, std::vector<uint64_t> b,
                           std::vector<uint64_t> base) {
    BenchExperiment e;
    e.experiment = "exp";
    e.baseline = "base";
    e.variants = {"a", "b", "base"};
    for (size_t r = 0; r < a.size(); r++)
        e.reps.push_back({result("a", a[r]), result("b", b[r]), result("base", base[r])});
    summarize(e);
    return e;
}

} // namespace

TEST(BenchMath, median_odd_even_empty) {
    EXPECT_EQ(median({3, 1, 2}), 2);
    EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
    EXPECT_EQ(median({7}), 7);
    EXPECT_EQ(median({}), 0);
}

TEST(BenchMath, spread_is_min_to_max) {
    auto s = spread({1.5, 0.9, 1.2});
    ASSERT_TRUE(s);
    EXPECT_EQ(s->min, 0.9);
    EXPECT_EQ(s->max, 1.5);
    EXPECT_FALSE(spread({}));
}

TEST(BenchMath, ratio_to_zero_is_none) {
    EXPECT_EQ(*ratio(3, 2), 1.5);
    EXPECT_FALSE(ratio(3, 0));
    EXPECT_EQ(*ratio(0, 2), 0);
}

TEST(BenchOrder, interleaved_every_variant_per_round) {
    auto order = interleaved_order(3, 2);
    std::vector<std::pair<unsigned, size_t>> got;
    for (const auto& s : order)
        got.emplace_back(s.repetition, s.variant);
    std::vector<std::pair<unsigned, size_t>> want = {{0, 0}, {0, 1}, {0, 2},
                                                     {1, 0}, {1, 1}, {1, 2}};
    EXPECT_EQ(got, want);
    EXPECT_TRUE(interleaved_order(0, 3).empty());
    EXPECT_TRUE(interleaved_order(3, 0).empty());
}

TEST(BenchOrder, warm_up_then_interleaved_with_the_same_parameters) {
    std::vector<std::string> calls;
    std::vector<RunRequest> reqs;
    BenchOptions o;
    o.iterations = 7;
    o.repetitions = 2;
    uint64_t n = 0;
    BenchExperiment e = bench_experiment(experiment(), o, [&](const RunRequest& req) {
        calls.push_back(req.variant);
        reqs.push_back(req);
        return result(req.variant, 100 + n++);
    });
    std::vector<std::string> want = {"a", "b", "base", "a", "b", "base", "a", "b", "base"};
    EXPECT_EQ(calls, want);
    for (const auto& r : reqs) {
        EXPECT_EQ(r.experiment, "exp");
        EXPECT_EQ(r.iterations, 7u);
        EXPECT_EQ(r.deadline_us, 1000000u);
        EXPECT_EQ(r.max_runtime_ms, 30000u);
        EXPECT_FALSE(r.hold_us);
        EXPECT_FALSE(r.rate_hz);
        EXPECT_FALSE(r.pci_device);
        EXPECT_FALSE(r.cpus);
    }
    // The warm-up is kept apart and out of the statistics.
    ASSERT_EQ(e.warmup.size(), 3u);
    EXPECT_EQ(e.warmup[0].metrics[0].p50, 100u);
    ASSERT_EQ(e.reps.size(), 2u);
    EXPECT_EQ(e.reps[0][0].metrics[0].p50, 103u);
    EXPECT_EQ(e.reps[1][2].metrics[0].p50, 108u);
    EXPECT_EQ(e.rows[0].median_p50, (103 + 106) / 2.0);
    EXPECT_EQ(e.baseline, "base");
    EXPECT_TRUE(e.rows[2].baseline);
}

TEST(BenchSummary, ratios_are_the_median_of_each_round_against_its_own_baseline) {
    BenchExperiment e = three_reps({300, 200, 220}, {90, 100, 110}, {100, 100, 110});
    ASSERT_EQ(e.rows.size(), 3u);
    const BenchRow& a = e.rows[0];
    EXPECT_EQ(a.median_p50, 220);
    EXPECT_EQ(e.rows[2].median_p50, 100);
    // Per repetition: 300/100, 200/100, 220/110; not 220/100 of the medians.
    ASSERT_TRUE(a.ratio);
    EXPECT_DOUBLE_EQ(*a.ratio, 2.0);
    ASSERT_TRUE(a.ratio_spread);
    EXPECT_DOUBLE_EQ(a.ratio_spread->min, 2.0);
    EXPECT_DOUBLE_EQ(a.ratio_spread->max, 3.0);
    // Three repetitions give no 95% interval: said, not made up.
    ASSERT_TRUE(a.ratio_ci);
    EXPECT_EQ(a.ratio_ci->n, 3u);
    EXPECT_FALSE(a.ratio_ci->exists());
    const BenchRow& b = e.rows[1];
    EXPECT_DOUBLE_EQ(b.ratio_spread->min, 0.9);
    EXPECT_DOUBLE_EQ(b.ratio_spread->max, 1.0);
    EXPECT_DOUBLE_EQ(*e.rows[2].ratio, 1.0);
}

TEST(BenchSummary, six_rounds_give_the_interval_of_the_per_round_ratios) {
    // a / base per round: 3.0, 2.0, 2.0, 2.5, 1.5, 2.2.
    BenchExperiment e = three_reps({300, 200, 220, 250, 150, 220}, {1, 1, 1, 1, 1, 1},
                                   {100, 100, 110, 100, 100, 100});
    const BenchRow& a = e.rows[0];
    ASSERT_TRUE(a.ratio_ci);
    ASSERT_TRUE(a.ratio_ci->exists());
    EXPECT_EQ(a.ratio_ci->n, 6u);
    EXPECT_EQ(a.ratio_ci->k, 1u);
    EXPECT_DOUBLE_EQ(a.ratio_ci->level, 31.0 / 32);
    EXPECT_DOUBLE_EQ(a.ratio_ci->lo, 1.5);
    EXPECT_DOUBLE_EQ(a.ratio_ci->hi, 3.0);
    EXPECT_DOUBLE_EQ(*a.ratio, (2.0 + 2.2) / 2);
    // The baseline against itself.
    EXPECT_EQ(e.rows[2].ratio_ci->lo, 1.0);
    EXPECT_EQ(e.rows[2].ratio_ci->hi, 1.0);
}

TEST(BenchSummary, p99_median_and_max_of_max) {
    BenchExperiment e;
    e.experiment = "exp";
    e.baseline = "base";
    e.variants = {"a", "base"};
    e.reps = {{result("a", 10, 50, 70), result("base", 10)},
              {result("a", 10, 40, 900), result("base", 10)},
              {result("a", 10, 60, 80), result("base", 10)}};
    summarize(e);
    EXPECT_EQ(e.rows[0].p99, 50);
    EXPECT_EQ(e.rows[0].max, 900u);
}

TEST(BenchSummary, zero_baseline_gives_no_ratio) {
    BenchExperiment e = three_reps({300, 200, 220}, {90, 100, 110}, {0, 0, 0});
    EXPECT_FALSE(e.rows[0].ratio);
    EXPECT_FALSE(e.rows[0].ratio_spread);
    EXPECT_FALSE(e.rows[2].ratio);
    std::ostringstream os;
    render_bench(os, e, 50);
    EXPECT_NE(os.str().find("n/a"), std::string::npos) << os.str();
    Json j = bench_to_json({}, {}, {e});
    EXPECT_TRUE(j["experiments"][0]["summary"][0]["ratio"].is_null());
    EXPECT_TRUE(j["experiments"][0]["summary"][0]["ratio_spread"].is_null());
}

TEST(BenchSummary, zero_baseline_in_one_repetition_is_left_out_of_the_spread) {
    BenchExperiment e = three_reps({300, 200, 220}, {90, 100, 110}, {0, 100, 110});
    ASSERT_TRUE(e.rows[0].ratio_spread);
    EXPECT_DOUBLE_EQ(e.rows[0].ratio_spread->min, 2.0);
    EXPECT_DOUBLE_EQ(e.rows[0].ratio_spread->max, 2.0);
    EXPECT_EQ(e.rows[0].ratio_ci->n, 2u) << "and out of the interval's n";
}

TEST(BenchSummary, no_baseline_variant_no_ratios) {
    BenchExperiment e = three_reps({1, 2, 3}, {1, 2, 3}, {1, 2, 3});
    e.baseline.clear();
    summarize(e);
    for (const auto& row : e.rows) {
        EXPECT_FALSE(row.ratio);
        EXPECT_FALSE(row.baseline);
    }
}

TEST(BenchSummary, throughput_ratio_of_per_sec_counters) {
    BenchExperiment e;
    e.experiment = "exp";
    e.baseline = "base";
    e.variants = {"a", "base"};
    e.reps = {{result("a", 10, 0, 0, 3000), result("base", 10, 0, 0, 1000)},
              {result("a", 10, 0, 0, 1800), result("base", 10, 0, 0, 900)},
              {result("a", 10, 0, 0, 2000), result("base", 10, 0, 0, 0)}};
    summarize(e);
    ASSERT_EQ(e.rows[0].throughput.size(), 1u);
    const ThroughputRow& t = e.rows[0].throughput[0];
    EXPECT_EQ(t.counter, "items_per_sec");
    EXPECT_EQ(t.median, 2000);
    EXPECT_DOUBLE_EQ(*t.ratio, 2.5); // of 3000/1000 and 1800/900; 2000/0 is none
    EXPECT_DOUBLE_EQ(t.ratio_spread->min, 2.0);
    EXPECT_DOUBLE_EQ(t.ratio_spread->max, 3.0);
    EXPECT_EQ(t.ratio_ci->n, 2u);
}

TEST(BenchSummary, violations_and_timeouts_count_every_run) {
    BenchExperiment e = three_reps({1, 1, 1}, {1, 1, 1}, {1, 1, 1});
    EXPECT_EQ(bench_status({e}), 0);
    e.warmup = {result("a", 1), result("b", 1), result("base", 1)};
    e.warmup[1].timeouts = 2;
    e.reps[2][1].violations = 1;
    summarize(e);
    EXPECT_EQ(e.rows[1].timeouts, 2u);
    EXPECT_EQ(e.rows[1].violations, 1u);
    EXPECT_EQ(bench_status({e}), 3);
    std::ostringstream os;
    render_bench(os, e, 50);
    EXPECT_NE(os.str().find("1 violations, 2 timeouts  !!!"), std::string::npos) << os.str();
}

TEST(BenchRender, the_table) {
    // a / base per round: 3.00, 2.00, 2.00, 2.50, 1.50, 2.20; b: 0.90, 1.00,
    // 1.09, 1.10, 0.95, 1.05.
    BenchExperiment e =
        three_reps({3000, 2000, 2200, 2500, 1500, 2200}, {900, 1000, 1200, 1100, 950, 1050},
                   {1000, 1000, 1100, 1000, 1000, 1000});
    e.metric = "window";
    std::ostringstream os;
    render_bench(os, e, 50);
    std::string want =
        "exp: p50 of window, 6 repetitions of 50 iterations, interleaved after a warm-up; ratios "
        "to the baseline base of this bench\n"
        "  variant  median     p99     max  ratio          95% CI  violations  timeouts\n"
        "  a        2.20us  2.20us  3.00us  2.10x    1.50x..3.00x           0         0\n"
        "  b        1.02us  1.02us  1.20us  1.02x  0.90x..1.10x *           0         0\n"
        "  base     1.00us  1.00us  1.10us  1.00x        baseline           0         0\n"
        "  ratio: the median of the per-repetition ratios, each run against the baseline's run "
        "of the same round\n"
        "  95% CI: a distribution-free interval of that median, the k-th lowest..k-th highest of "
        "the n ratios; n=6, k=1: 96.9% coverage\n"
        "  * the interval contains 1.00x: no clear difference from the baseline\n"
        "  exp: 18 runs + 0 warm-up, 0 violations, 0 timeouts\n";
    EXPECT_EQ(os.str(), want);
}

TEST(BenchRender, too_few_repetitions_for_an_interval_are_said) {
    BenchExperiment e = three_reps({3000, 2000, 2200}, {900, 1000, 1200}, {1000, 1000, 1100});
    std::ostringstream os;
    render_bench(os, e, 50);
    EXPECT_NE(os.str().find("  a        2.20us  2.20us  3.00us  2.00x  none, n=3 < 6"),
              std::string::npos)
        << os.str();
    EXPECT_NE(os.str().find("  95% CI: none: a 95% interval of the median takes at least 6 "
                            "repetitions, here 3 (more --repetitions)\n"),
              std::string::npos)
        << os.str();
    EXPECT_EQ(os.str().find(" *"), std::string::npos) << "no interval, no claim: " << os.str();
}

TEST(BenchRender, throughput_columns) {
    BenchExperiment e;
    e.experiment = "exp";
    e.metric = "window";
    e.baseline = "base";
    e.variants = {"a", "base"};
    e.reps = {{result("a", 10, 0, 0, 3000), result("base", 10, 0, 0, 1000)}};
    summarize(e);
    std::ostringstream os;
    render_bench(os, e, 5);
    EXPECT_NE(os.str().find("items_per_sec  ratio         95% CI"), std::string::npos) << os.str();
    EXPECT_NE(os.str().find("3000  3.00x  none, n=1 < 6"), std::string::npos) << os.str();
}

TEST(BenchHost, cpuinfo_model_and_emulation) {
    BenchHost h = parse_cpuinfo("processor\t: 0\nmodel name\t: QEMU TCG CPU version 2.5+\n"
                                "flags\t\t: fpu de pse\n\nprocessor\t: 1\n"
                                "model name\t: other\n");
    EXPECT_EQ(h.cpu_model, "QEMU TCG CPU version 2.5+");
    EXPECT_TRUE(h.emulated);
    h = parse_cpuinfo("model name\t: AMD EPYC 7B13\nflags\t\t: fpu hypervisor lahf_lm\n");
    EXPECT_EQ(h.cpu_model, "AMD EPYC 7B13");
    EXPECT_TRUE(h.emulated);
    h = parse_cpuinfo("model name\t: Intel(R) Xeon(R)\nflags\t\t: fpu hypervisorx\n");
    EXPECT_FALSE(h.emulated);
    EXPECT_FALSE(parse_cpuinfo("").emulated);
}

TEST(BenchJson, header_summary_and_every_repetition) {
    BenchExperiment e = three_reps({3000, 2000, 2200}, {900, 1000, 1200}, {1000, 1000, 1100});
    e.warmup = {result("a", 1), result("b", 1), result("base", 1)};
    BenchHost h{"6.1.0-56-amd64", "QEMU TCG CPU version 2.5+", 2, true};
    BenchOptions o;
    o.iterations = 50;
    o.repetitions = 3;
    Json j = bench_to_json(h, o, {e});
    EXPECT_EQ(j["host"]["kernel"], "6.1.0-56-amd64");
    EXPECT_EQ(j["host"]["online_cpus"], 2);
    EXPECT_EQ(j["host"]["emulated"], true);
    EXPECT_EQ(j["params"]["iterations"], 50);
    EXPECT_EQ(j["params"]["repetitions"], 3);
    EXPECT_EQ(j["params"]["deadline_us"], 1000000);
    const Json& x = j["experiments"][0];
    EXPECT_EQ(x["baseline"], "base");
    EXPECT_EQ(x["repetitions"].size(), 3u);
    EXPECT_EQ(x["repetitions"][1][0]["latency_ns"]["p50"], 2000);
    EXPECT_EQ(x["warmup"].size(), 3u);
    EXPECT_DOUBLE_EQ(x["summary"][0]["ratio"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(x["summary"][0]["ratio_spread"]["max"].get<double>(), 3.0);
    // Three rounds: the interval says there is none, and why.
    const Json& ci = x["summary"][0]["ratio_ci"];
    EXPECT_EQ(ci["n"], 3);
    EXPECT_EQ(ci["confidence"], 0.95);
    EXPECT_EQ(ci["method"], "order statistics of the median");
    EXPECT_TRUE(ci["lo"].is_null());
    EXPECT_TRUE(ci["hi"].is_null());
    EXPECT_TRUE(ci["level"].is_null());
    EXPECT_TRUE(ci["k"].is_null());
    EXPECT_EQ(j["params"]["confidence"], 0.95);
    EXPECT_EQ(j["violations"], 0);
}

TEST(BenchJson, every_ratio_has_its_interval) {
    BenchExperiment e =
        shootdown_bench({1100, 1300, 1200, 1150, 1250, 1200}, {900, 1000, 1100, 1000, 1000, 1000},
                        {5000, 5000, 5000, 5000, 5000, 5000}, {1000, 1000, 1100, 1000, 1000, 1000});
    Json j = bench_to_json({}, {}, {e});
    const Json& dpc = j["experiments"][0]["summary"][0];
    // dpc / bare_ipi per round: 1.1, 1.3, 1.0909, 1.15, 1.25, 1.2.
    const Json& ref = dpc["ratio_to_reference_ci"];
    EXPECT_EQ(ref["n"], 6);
    EXPECT_EQ(ref["k"], 1);
    EXPECT_DOUBLE_EQ(ref["level"].get<double>(), 0.96875);
    EXPECT_DOUBLE_EQ(ref["lo"].get<double>(), 1200.0 / 1100);
    EXPECT_DOUBLE_EQ(ref["hi"].get<double>(), 1.3);
    EXPECT_DOUBLE_EQ(dpc["ratio_ci"]["lo"].get<double>(), 1100.0 / 5000);
    EXPECT_DOUBLE_EQ(dpc["overhead_ci"]["hi"].get<double>(), 100.0 / 1100 * 100);
    EXPECT_TRUE(dpc["throughput"].empty());
    // The targets carry the verdict of every figure they hold against a goal.
    const Json& t1 = j["targets"][0];
    EXPECT_EQ(t1["verdict"], "inconclusive") << "dpc's 1.09x..1.30x straddles 1.20x";
    EXPECT_EQ(t1["verdict_text"], "inconclusive");
    ASSERT_EQ(t1["checks"].size(), 4u);
    const Json& c = t1["checks"][0];
    EXPECT_EQ(c["what"], "shootdown/dpc against ipi_barrier/bare_ipi");
    EXPECT_EQ(c["experiment"], "shootdown");
    EXPECT_EQ(c["op"], "<=");
    EXPECT_DOUBLE_EQ(c["goal"].get<double>(), 1.2);
    EXPECT_EQ(c["verdict"], "inconclusive");
    EXPECT_DOUBLE_EQ(c["interval"]["hi"].get<double>(), 1.3);
    EXPECT_EQ(t1["checks"][1]["op"], "<");
    EXPECT_EQ(t1["checks"][1]["verdict"], "met");
    EXPECT_DOUBLE_EQ(t1["interval"]["lo"].get<double>(), 1200.0 / 1100);
}

TEST(BenchCli, options_and_defaults) {
    auto parse = [](std::vector<const char*> args) {
        args.insert(args.begin(), "ntcorral");
        CliOptions o;
        auto app = make_app(o);
        app->parse(static_cast<int>(args.size()), args.data());
        return o;
    };
    CliOptions o = parse({"bench"});
    EXPECT_EQ(o.command, "bench");
    EXPECT_FALSE(o.bench.experiments);
    EXPECT_EQ(o.bench.iterations, 200u);
    EXPECT_EQ(o.bench.repetitions, 6u) << "the fewest with a 95% interval";
    EXPECT_EQ(o.bench.repetitions, min_repetitions());
    EXPECT_EQ(o.bench.warmup, 20u);
    EXPECT_EQ(o.bench.cooldown, 5u);
    EXPECT_FALSE(o.bench.json_file);
    o = parse({"bench", "--experiments", "shootdown,spinlock", "--iterations", "20",
               "--repetitions", "5", "--warmup", "0", "--cooldown", "10000", "--json",
               "/tmp/b.json"});
    EXPECT_EQ(*o.bench.experiments, "shootdown,spinlock");
    EXPECT_EQ(o.bench.iterations, 20u);
    EXPECT_EQ(o.bench.repetitions, 5u);
    EXPECT_EQ(o.bench.warmup, 0u);
    EXPECT_EQ(o.bench.cooldown, 10000u);
    EXPECT_EQ(*o.bench.json_file, "/tmp/b.json");
    EXPECT_THROW(parse({"bench", "--repetitions", "0"}), CLI::ParseError);
    EXPECT_THROW(parse({"bench", "--iterations", "0"}), CLI::ParseError);
    EXPECT_THROW(parse({"bench", "--warmup", "10001"}), CLI::ParseError);
    EXPECT_THROW(parse({"bench", "--cooldown", "10001"}), CLI::ParseError);
}

TEST(BenchRequest, timed_experiments_run_lean_with_no_hold_and_the_warm_up) {
    BenchOptions o;
    o.iterations = 30;
    RunRequest r = bench_request(shootdown_info(), o);
    EXPECT_EQ(r.experiment, "shootdown");
    EXPECT_EQ(r.variant, "");
    EXPECT_EQ(r.iterations, 30u);
    EXPECT_EQ(r.deadline_us, kBenchDeadlineUs);
    EXPECT_EQ(r.max_runtime_ms, kBenchMaxRuntimeMs);
    EXPECT_EQ(r.warmup, 20u);
    EXPECT_EQ(r.cooldown, 5u);
    ASSERT_TRUE(r.phase_stamps);
    EXPECT_EQ(*r.phase_stamps, 0u);
    ASSERT_TRUE(r.hold_us);
    EXPECT_EQ(*r.hold_us, 0u);
    EXPECT_FALSE(r.burst);
    EXPECT_FALSE(r.rate_hz);
    EXPECT_EQ(r.pci_device, uint32_t(NTCORRAL_PCI_DEVICE_NONE)) << "no PCI read in the window";
    EXPECT_FALSE(r.cpus);
    EXPECT_EQ(bench_request(shootdown_info(), o, true).phase_stamps, 1u);

    // ipi_barrier takes no hold: dropped, not sent.
    r = bench_request(ipi_barrier_info(), o);
    EXPECT_EQ(r.phase_stamps, 0u);
    EXPECT_EQ(r.warmup, 20u);
    EXPECT_FALSE(r.hold_us);
}

TEST(BenchRequest, batches_only_in_the_lean_rounds_of_experiments_that_take_them) {
    BenchOptions o;
    EXPECT_FALSE(bench_request(shootdown_info(), o).batch) << "the default: one at a time";
    o.batch = 10;
    EXPECT_EQ(bench_request(shootdown_info(), o).batch, 10u);
    EXPECT_FALSE(bench_request(shootdown_info(), o, true).batch) << "the stamped round";
    EXPECT_FALSE(bench_request(interlocked_queue_info(), o).batch);
}

TEST(BenchSummary, overhead_is_per_iteration_when_batched) {
    BenchExperiment e = shootdown_bench({1000, 1000, 1000}, {1000, 1000, 1000}, {5000, 5000, 5000},
                                        {1000, 1000, 1000});
    summarize(e);
    ASSERT_TRUE(e.rows[0].overhead_pct);
    double unbatched = *e.rows[0].overhead_pct;
    for (auto& rep : e.reps)
        for (auto& r : rep)
            r.batch = 4;
    summarize(e);
    ASSERT_TRUE(e.rows[0].overhead_pct);
    EXPECT_NEAR(*e.rows[0].overhead_pct, unbatched / 4, 1e-9);
}

TEST(BenchRequest, the_queue_runs_saturating_bursts_and_spinlock_its_defaults) {
    BenchOptions o;
    o.warmup = 7;
    RunRequest r = bench_request(interlocked_queue_info(), o);
    EXPECT_EQ(r.burst, kBenchBurst);
    EXPECT_EQ(r.burst, 64u);
    EXPECT_EQ(r.rate_hz, kBenchRateHz);
    EXPECT_EQ(r.rate_hz, 20000u);
    EXPECT_EQ(r.iterations, 200u * 64u) << "each iteration a burst of items";
    o.iterations = 5000;
    EXPECT_EQ(bench_request(interlocked_queue_info(), o).iterations,
              uint32_t(NTCORRAL_MAX_ITERATIONS))
        << "capped";
    EXPECT_FALSE(r.hold_us) << "the module's default hold";
    EXPECT_FALSE(r.warmup) << "a session takes no warm-up";
    EXPECT_FALSE(r.cooldown);
    EXPECT_FALSE(r.phase_stamps);
    EXPECT_EQ(bench_request(interlocked_queue_info(), o, true).phase_stamps, std::nullopt);

    r = bench_request(spinlock_info(), o);
    EXPECT_EQ(r.iterations, 5000u);
    EXPECT_FALSE(r.hold_us);
    EXPECT_FALSE(r.rate_hz);
    EXPECT_FALSE(r.burst);
    EXPECT_FALSE(r.warmup);
    EXPECT_FALSE(r.phase_stamps);
}

TEST(BenchReference, shootdown_is_compared_with_the_bare_ipi) {
    auto ref = reference_for("shootdown");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->experiment, "ipi_barrier");
    EXPECT_EQ(ref->variant, "bare_ipi");
    EXPECT_FALSE(reference_for("ipi_barrier"));
    EXPECT_FALSE(reference_for("spinlock"));
}

namespace {
// Runs every request, recording it; the p50 grows with every call.
struct Recorder {
    std::vector<RunRequest> reqs;
    uint64_t n = 0;
    BenchRunner runner() {
        return [this](const RunRequest& req) {
            reqs.push_back(req);
            RunResult r = timed_run(req.experiment, req.variant, 1000 + n++,
                                    req.experiment == "shootdown" ? "window" : "call");
            r.phase_stamps = req.phase_stamps;
            return r;
        };
    }
    std::vector<std::string> order() const {
        std::vector<std::string> out;
        for (const auto& r : reqs)
            out.push_back((r.experiment == "shootdown" ? "" : r.experiment + "/") + r.variant +
                          (r.phase_stamps.value_or(0) ? "+stamps" : ""));
        return out;
    }
};
} // namespace

TEST(BenchReference, runs_in_every_round_after_the_variants_then_a_stamped_round) {
    Recorder rec;
    BenchOptions o;
    o.iterations = 50;
    o.repetitions = 2;
    std::vector<ExperimentInfo> module = {shootdown_info(), ipi_barrier_info()};
    BenchExperiment e = bench_experiment(shootdown_info(), o, rec.runner(), {}, module);
    std::vector<std::string> want = {// warm-up round
                                     "dpc", "ipi", "stop_machine", "ipi_barrier/bare_ipi",
                                     // the repetitions
                                     "dpc", "ipi", "stop_machine", "ipi_barrier/bare_ipi", "dpc",
                                     "ipi", "stop_machine", "ipi_barrier/bare_ipi",
                                     // one round with the phase stamps on
                                     "dpc+stamps", "ipi+stamps", "stop_machine+stamps",
                                     "ipi_barrier/bare_ipi+stamps"};
    EXPECT_EQ(rec.order(), want);
    for (const auto& r : rec.reqs) {
        EXPECT_EQ(r.iterations, 50u);
        EXPECT_EQ(r.deadline_us, kBenchDeadlineUs);
        EXPECT_EQ(r.max_runtime_ms, kBenchMaxRuntimeMs);
        EXPECT_EQ(r.warmup, 20u);
        EXPECT_EQ(r.cooldown, 5u);
        EXPECT_FALSE(r.cpus);
        EXPECT_FALSE(r.burst);
        if (r.experiment == "shootdown")
            EXPECT_EQ(r.hold_us, 0u);
        else
            EXPECT_FALSE(r.hold_us) << "ipi_barrier takes no hold";
    }
    // Where every run went.
    ASSERT_EQ(e.warmup.size(), 3u);
    ASSERT_TRUE(e.reference_warmup);
    EXPECT_EQ(e.reference_warmup->metrics[0].p50, 1003u);
    ASSERT_EQ(e.reps.size(), 2u);
    EXPECT_EQ(e.reps[1][0].metrics[0].p50, 1008u);
    ASSERT_EQ(e.reference_reps.size(), 2u);
    EXPECT_EQ(e.reference_reps[0].metrics[0].p50, 1007u);
    EXPECT_EQ(e.reference_reps[1].metrics[0].p50, 1011u);
    ASSERT_EQ(e.stamped.size(), 3u);
    EXPECT_EQ(e.stamped[2].metrics[0].p50, 1014u);
    ASSERT_TRUE(e.reference_stamped);
    EXPECT_EQ(e.reference_stamped->metrics[0].p50, 1015u);
    ASSERT_TRUE(e.reference_row);
    EXPECT_TRUE(e.reference_row->reference);
    EXPECT_EQ(e.reference_row->experiment, "ipi_barrier");
    EXPECT_EQ(e.reference_row->variant, "bare_ipi");
    EXPECT_EQ(e.reference_row->median_p50, (1007 + 1011) / 2.0);
    EXPECT_TRUE(e.reference_note.empty());
}

TEST(BenchReference, missing_from_the_module_is_skipped_with_a_note) {
    Recorder rec;
    BenchOptions o;
    o.repetitions = 1;
    ExperimentInfo no_bare = ipi_barrier_info();
    no_bare.variants.pop_back();
    for (const auto& module : {std::vector<ExperimentInfo>{shootdown_info()},
                               std::vector<ExperimentInfo>{shootdown_info(), no_bare}}) {
        rec.reqs.clear();
        BenchExperiment e = bench_experiment(shootdown_info(), o, rec.runner(), {}, module);
        std::vector<std::string> want = {"dpc",        "ipi",        "stop_machine",
                                         "dpc",        "ipi",        "stop_machine",
                                         "dpc+stamps", "ipi+stamps", "stop_machine+stamps"};
        EXPECT_EQ(rec.order(), want);
        EXPECT_FALSE(e.reference);
        EXPECT_FALSE(e.reference_row);
        EXPECT_EQ(e.reference_note, "ipi_barrier/bare_ipi is not in the module's list");
        std::ostringstream os;
        render_bench(os, e, 50);
        EXPECT_NE(os.str().find("  reference: not measured, ipi_barrier/bare_ipi is not in the "
                                "module's list\n"),
                  std::string::npos)
            << os.str();
        EXPECT_EQ(os.str().find("to ref"), std::string::npos) << os.str();
    }
}

TEST(BenchReference, no_stamped_round_where_the_experiment_takes_no_phase_stamps) {
    Recorder rec;
    BenchOptions o;
    o.repetitions = 1;
    BenchExperiment e = bench_experiment(interlocked_queue_info(), o, rec.runner());
    EXPECT_EQ(rec.reqs.size(), 6u);
    EXPECT_TRUE(e.stamped.empty());
    for (const auto& row : e.rows)
        EXPECT_FALSE(row.stamps_overhead_pct);
}

TEST(BenchReference, ratio_and_spread_per_round_across_metric_names) {
    // dpc / bare_ipi per round: 1100/1000, 1300/1000, 1200/1100 (1.09).
    BenchExperiment e = shootdown_bench({1100, 1300, 1200}, {900, 1000, 1100}, {5000, 5000, 5000},
                                        {1000, 1000, 1100});
    const BenchRow& dpc = e.rows[0];
    ASSERT_TRUE(dpc.ratio_to_reference);
    EXPECT_DOUBLE_EQ(*dpc.ratio_to_reference, 1.1);
    ASSERT_TRUE(dpc.reference_spread);
    EXPECT_DOUBLE_EQ(dpc.reference_spread->min, 1200.0 / 1100);
    EXPECT_DOUBLE_EQ(dpc.reference_spread->max, 1.3);
    EXPECT_EQ(dpc.reference_ci->n, 3u);
    // The reference against the baseline too, round by round.
    ASSERT_TRUE(e.reference_row);
    EXPECT_DOUBLE_EQ(*e.reference_row->ratio, 1000.0 / 5000);
    EXPECT_DOUBLE_EQ(e.reference_row->ratio_spread->max, 1100.0 / 5000);
    EXPECT_DOUBLE_EQ(*e.reference_row->ratio_to_reference, 1.0);
    // The baseline's own ratios are unchanged by the reference.
    EXPECT_DOUBLE_EQ(*e.rows[2].ratio, 1.0);
    EXPECT_DOUBLE_EQ(*e.rows[0].ratio, 1200.0 / 5000);
}

TEST(BenchOverhead, medians_of_the_instrumentation_and_its_share) {
    BenchExperiment e;
    e.experiment = "exp";
    e.baseline = "base";
    e.variants = {"a", "base"};
    e.reps = {{timed_run("exp", "a", 2000, "window", 100, 40), timed_run("exp", "base", 1000)},
              {timed_run("exp", "a", 4000, "window", 300, 60), timed_run("exp", "base", 1000)},
              {timed_run("exp", "a", 3000, "window", 200, 50), timed_run("exp", "base", 1000)}};
    e.stamped = {timed_run("exp", "a", 3600), timed_run("exp", "base", 900)};
    summarize(e);
    const BenchRow& a = e.rows[0];
    EXPECT_EQ(a.median_p50, 3000);
    EXPECT_EQ(a.sample_overhead_ns, 200);
    EXPECT_EQ(a.clock_read_ns, 50);
    ASSERT_TRUE(a.overhead_pct);
    EXPECT_DOUBLE_EQ(*a.overhead_pct, 200.0 / 3000 * 100);
    ASSERT_TRUE(a.stamped_p50);
    EXPECT_EQ(*a.stamped_p50, 3600);
    ASSERT_TRUE(a.stamps_overhead_pct);
    EXPECT_NEAR(*a.stamps_overhead_pct, 20.0, 1e-9);
    EXPECT_NEAR(*e.rows[1].stamps_overhead_pct, -10.0, 1e-9);
    // The stamped round does not move the lean figures.
    EXPECT_EQ(e.rows[1].median_p50, 1000);
}

TEST(BenchOverhead, none_without_the_figures_or_a_p50) {
    BenchExperiment e = three_reps({300, 200, 220}, {90, 100, 110}, {0, 0, 0});
    for (const auto& row : e.rows) {
        EXPECT_FALSE(row.clock_read_ns);
        EXPECT_FALSE(row.sample_overhead_ns);
        EXPECT_FALSE(row.overhead_pct);
        EXPECT_FALSE(row.stamped_p50);
        EXPECT_FALSE(row.stamps_overhead_pct);
    }
    e.reps[0][2].sample_overhead_ns = 100;
    summarize(e);
    EXPECT_EQ(e.rows[2].sample_overhead_ns, 100);
    EXPECT_FALSE(e.rows[2].overhead_pct) << "a p50 of 0";
}

TEST(BenchOverhead, the_stamped_round_and_the_reference_count_in_the_status) {
    BenchExperiment e = shootdown_bench({1, 1}, {1, 1}, {1, 1}, {1, 1});
    EXPECT_EQ(bench_status({e}), 0);
    e.reference_reps[1].violations = 1;
    summarize(e);
    EXPECT_EQ(e.reference_row->violations, 1u);
    EXPECT_EQ(bench_status({e}), 3);
    e.reference_reps[1].violations = 0;
    e.stamped = {timed_run("shootdown", "dpc", 1), timed_run("shootdown", "ipi", 1),
                 timed_run("shootdown", "stop_machine", 1)};
    e.stamped[1].timeouts = 2;
    summarize(e);
    EXPECT_EQ(e.rows[1].timeouts, 2u);
    EXPECT_EQ(bench_status({e}), 3);
}

TEST(BenchRender, reference_row_and_the_instrumentation_columns) {
    BenchExperiment e =
        shootdown_bench({1100, 1300, 1200, 1150, 1250, 1200}, {900, 1000, 1100, 1000, 1000, 1000},
                        {5000, 5000, 5000, 5000, 5000, 5000}, {1000, 1000, 1100, 1000, 1000, 1000});
    e.request = bench_request(shootdown_info(), BenchOptions{});
    e.stamped = {timed_run("shootdown", "dpc", 1320), timed_run("shootdown", "ipi", 1000),
                 timed_run("shootdown", "stop_machine", 5500)};
    e.reference_stamped = timed_run("ipi_barrier", "bare_ipi", 1000, "call");
    summarize(e);
    std::ostringstream os;
    render_bench(os, e, 50);
    std::string want =
        "shootdown: p50 of window, 6 repetitions of 50 iterations, interleaved after a warm-up; "
        "ratios to the baseline stop_machine of this bench\n"
        "  runs: 20 warm-up and 5 cool-down iterations in the module, not recorded, lean (no "
        "clock read inside the timed window), hold 0us, no PCI read in the window, then one "
        "round with phase stamps on\n"
        "  reference: ipi_barrier/bare_ipi, run in the same rounds after the variants (A B C R "
        "A B C R ...)\n"
        "  variant               median     p99     max  ratio        95% CI     to ref        "
        "95% CI  overhead  stamps  violations  timeouts\n"
        "  dpc                   1.20us  1.20us  1.30us  0.24x  0.22x..0.26x      1.17x  "
        "1.09x..1.30x      8.3%  +10.0%           0         0\n"
        "  ipi                   1.00us  1.00us  1.10us  0.20x  0.18x..0.22x      1.00x  "
        "0.90x..1.00x     10.0%   +0.0%           0         0\n"
        "  stop_machine          5.00us  5.00us  5.00us  1.00x      baseline      5.00x  "
        "4.55x..5.00x      2.0%  +10.0%           0         0\n"
        "  ipi_barrier/bare_ipi  1.00us  1.00us  1.10us  0.20x  0.20x..0.22x  reference"
        "                   10.0%   +0.0%           0         0\n"
        "  ratio: the median of the per-repetition ratios, each run against the baseline's run "
        "of the same round\n"
        "  95% CI: a distribution-free interval of that median, the k-th lowest..k-th highest of "
        "the n ratios; n=6, k=1: 96.9% coverage\n"
        "  to ref: the same against the reference's run of the same round\n"
        "  overhead: an empty timed sample (two timestamps and a recorded sample, measured by the "
        "module before each run) as a share of the median\n"
        "  stamps: what the phase timestamps add to the median when they are on (one round)\n"
        "  shootdown: 28 runs + 0 warm-up, 0 violations, 0 timeouts\n";
    EXPECT_EQ(os.str(), want);
}

TEST(BenchRender, the_queue_says_it_measures_throughput) {
    BenchExperiment e = queue_bench({1000, 1000}, {2000, 2000});
    e.request = bench_request(interlocked_queue_info(), BenchOptions{});
    std::ostringstream os;
    render_bench(os, e, 50);
    EXPECT_NE(os.str().find("  runs: 12800 items per producer, burst 64 at 20000 Hz (the producers "
                            "saturate the queue: a "
                            "throughput figure)\n"),
              std::string::npos)
        << os.str();
    EXPECT_EQ(os.str().find("stamps:"), std::string::npos) << os.str();
    EXPECT_EQ(os.str().find("phase stamps"), std::string::npos) << os.str();
    EXPECT_EQ(os.str().find("reference"), std::string::npos) << os.str();
}

TEST(BenchJson, new_row_fields_the_reference_the_targets_and_the_instrumentation) {
    BenchExperiment e = shootdown_bench({1100, 1300, 1200}, {900, 1000, 1100}, {5000, 5000, 5000},
                                        {1000, 1000, 1100});
    e.request = bench_request(shootdown_info(), BenchOptions{});
    e.stamped = {timed_run("shootdown", "dpc", 1320), timed_run("shootdown", "ipi", 1000),
                 timed_run("shootdown", "stop_machine", 5500)};
    e.reference_warmup = timed_run("ipi_barrier", "bare_ipi", 7, "call");
    summarize(e);
    BenchOptions o;
    o.warmup = 11;
    o.cooldown = 3;
    Json j = bench_to_json({"6.1.0", "QEMU", 4, true}, o, {e});
    EXPECT_EQ(j["params"]["warmup"], 11);
    EXPECT_EQ(j["params"]["cooldown"], 3);
    const Json& x = j["experiments"][0];
    EXPECT_EQ(x["run_params"], Json({{"iterations", 200},
                                     {"deadline_us", kBenchDeadlineUs},
                                     {"max_runtime_ms", kBenchMaxRuntimeMs},
                                     {"warmup", 20},
                                     {"cooldown", 5},
                                     {"phase_stamps", 0},
                                     {"hold_us", 0},
                                     {"pci_device", "none"}}));
    const Json& dpc = x["summary"][0];
    for (const char* k : {"variant",
                          "baseline",
                          "reference",
                          "median_p50_ns",
                          "p99_ns",
                          "max_ns",
                          "ratio",
                          "ratio_spread",
                          "ratio_ci",
                          "throughput",
                          "ratio_to_reference",
                          "ratio_to_reference_spread",
                          "ratio_to_reference_ci",
                          "clock_read_ns",
                          "sample_overhead_ns",
                          "overhead_pct",
                          "overhead_ci",
                          "stamped_p50_ns",
                          "stamps_overhead_pct",
                          "violations",
                          "timeouts",
                          "truncated"})
        EXPECT_TRUE(dpc.contains(k)) << k;
    EXPECT_EQ(dpc["reference"], false);
    // dpc / bare_ipi per round: 1.1, 1.3, 1.09: their median.
    EXPECT_DOUBLE_EQ(dpc["ratio_to_reference"].get<double>(), 1.1);
    EXPECT_DOUBLE_EQ(dpc["ratio_to_reference_spread"]["max"].get<double>(), 1.3);
    EXPECT_DOUBLE_EQ(dpc["overhead_pct"].get<double>(), 100.0 / 1200 * 100);
    EXPECT_DOUBLE_EQ(dpc["stamped_p50_ns"].get<double>(), 1320);
    EXPECT_NEAR(dpc["stamps_overhead_pct"].get<double>(), 10.0, 1e-9);
    EXPECT_EQ(x["stamped"].size(), 3u);
    EXPECT_EQ(x["summary"].size(), 3u) << "the reference is apart";

    const Json& ref = x["reference"];
    EXPECT_EQ(ref["experiment"], "ipi_barrier");
    EXPECT_EQ(ref["variant"], "bare_ipi");
    EXPECT_EQ(ref["summary"]["reference"], true);
    EXPECT_EQ(ref["summary"]["experiment"], "ipi_barrier");
    EXPECT_DOUBLE_EQ(ref["summary"]["median_p50_ns"].get<double>(), 1000);
    EXPECT_EQ(ref["repetitions"].size(), 3u);
    EXPECT_EQ(ref["warmup"]["latency_ns"]["p50"], 7);
    EXPECT_TRUE(ref["stamped"].is_null());
    EXPECT_TRUE(x["reference_note"].is_null());

    ASSERT_EQ(j["targets"].size(), 4u);
    EXPECT_EQ(j["targets"][0]["id"], "T1");
    EXPECT_EQ(j["targets"][0]["verdict"], "inconclusive");
    EXPECT_EQ(j["targets"][0]["verdict_text"],
              "inconclusive (too few repetitions: 3, a 95% interval takes 6)");
    EXPECT_EQ(j["targets"][1]["verdict"], "not measured");
    EXPECT_DOUBLE_EQ(j["instrumentation"]["worst_overhead_pct"].get<double>(), 10.0);
    EXPECT_EQ(j["instrumentation"]["worst_overhead_row"], "shootdown/ipi");
    EXPECT_NEAR(j["instrumentation"]["worst_stamps_overhead_pct"].get<double>(), 10.0, 1e-9);
}

TEST(BenchJson, an_experiment_without_a_reference) {
    BenchExperiment e = three_reps({3000, 2000, 2200}, {900, 1000, 1200}, {1000, 1000, 1100});
    Json j = bench_to_json({}, {}, {e});
    const Json& x = j["experiments"][0];
    EXPECT_TRUE(x["reference"].is_null());
    EXPECT_TRUE(x["stamped"].is_array());
    EXPECT_TRUE(x["stamped"].empty());
    EXPECT_TRUE(x["summary"][0]["ratio_to_reference"].is_null());
    EXPECT_TRUE(x["summary"][0]["overhead_pct"].is_null());
    EXPECT_TRUE(j["instrumentation"]["worst_overhead_pct"].is_null());
    EXPECT_EQ(j["targets"][3]["verdict"], "not measured");
}

// --- the interval of the median ---------------------------------------------

TEST(BenchInterval, the_rank_and_its_exact_coverage_for_each_n) {
    // k for n = 1..30: the largest with 1 - 2 P(Binomial(n, 1/2) < k) >= 95%
    // (computed apart with exact fractions).
    const size_t want_k[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4,
                             4, 5, 5, 5, 6, 6, 6, 7, 7, 8, 8, 8, 9, 9, 10};
    for (size_t n = 1; n <= 30; n++)
        EXPECT_EQ(median_rank(n), want_k[n - 1]) << "n=" << n;
    EXPECT_EQ(median_coverage(6, 1), 31.0 / 32);
    EXPECT_EQ(median_coverage(9, 2), 123.0 / 128);
    EXPECT_EQ(median_coverage(12, 3), 1969.0 / 2048);
    EXPECT_DOUBLE_EQ(median_coverage(17, 5), 31161.0 / 32768) << "just above 95%";
    EXPECT_DOUBLE_EQ(median_coverage(17, 6), 1 - 2 * 9402.0 / 131072) << "below it";
    // Five values reach 93.75% at best: no 95% interval.
    EXPECT_EQ(median_coverage(5, 1), 0.9375);
    EXPECT_EQ(min_repetitions(), 6u);
    EXPECT_EQ(min_repetitions(0.9), 5u);
    EXPECT_EQ(median_rank(5, 0.9), 1u);
    // Out of range: no interval.
    EXPECT_EQ(median_coverage(6, 0), 0);
    EXPECT_EQ(median_coverage(6, 4), 0);
    EXPECT_EQ(median_coverage(7, 4), 0) << "[x(4), x(4)] covers nothing";
    // Large n stays finite and ordered.
    size_t k = median_rank(1000);
    EXPECT_GT(k, 460u);
    EXPECT_LT(k, 480u);
    EXPECT_GE(median_coverage(1000, k), 0.95);
    EXPECT_LT(median_coverage(1000, k + 1), 0.95);
}

TEST(BenchInterval, order_statistics_of_small_inputs) {
    auto ci = median_interval({5, 1, 4, 2, 6, 3});
    ASSERT_TRUE(ci && ci->exists());
    EXPECT_EQ(ci->n, 6u);
    EXPECT_EQ(ci->k, 1u);
    EXPECT_EQ(ci->lo, 1);
    EXPECT_EQ(ci->hi, 6);
    EXPECT_EQ(ci->level, 0.96875);

    ci = median_interval({9, 1, 8, 2, 7, 3, 6, 4, 5});
    ASSERT_TRUE(ci && ci->exists());
    EXPECT_EQ(ci->k, 2u);
    EXPECT_EQ(ci->lo, 2) << "the 2nd lowest";
    EXPECT_EQ(ci->hi, 8) << "the 2nd highest";
    EXPECT_EQ(ci->level, 123.0 / 128);

    ci = median_interval({12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
    ASSERT_TRUE(ci && ci->exists());
    EXPECT_EQ(ci->k, 3u);
    EXPECT_EQ(ci->lo, 3);
    EXPECT_EQ(ci->hi, 10);

    // Ties: the order statistics as they are.
    ci = median_interval({1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.0, 1.5});
    ASSERT_TRUE(ci && ci->exists());
    EXPECT_EQ(ci->lo, 1.1);
    EXPECT_EQ(ci->hi, 1.1);
}

TEST(BenchInterval, too_few_values_give_none_and_say_how_many) {
    for (size_t n = 1; n < 6; n++) {
        auto ci = median_interval(std::vector<double>(n, 1.0));
        ASSERT_TRUE(ci);
        EXPECT_EQ(ci->n, n);
        EXPECT_FALSE(ci->exists());
        EXPECT_EQ(ci->level, 0);
        EXPECT_EQ(format_interval(ci), "none, n=" + std::to_string(n) + " < 6");
    }
    EXPECT_FALSE(median_interval({}));
    EXPECT_EQ(format_interval(std::nullopt), "n/a");
    EXPECT_TRUE(interval_json(std::nullopt).is_null());
    EXPECT_EQ(format_interval(median_interval({1, 2, 3, 4, 5, 6})), "1.00x..6.00x");
    EXPECT_EQ(format_interval(median_interval({1, 2, 3, 4, 5, 6}), "%"), "1.0%..6.0%");
}
