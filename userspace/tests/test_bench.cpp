// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the bench's order, statistics, table and JSON; no
// kernel needed (the runs come from a fake runner).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "bench.hpp"
#include "cli.hpp"

using namespace ntcorral;

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

// Three repetitions of a, b, base with the given p50s per repetition.
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

TEST(BenchSummary, medians_ratios_and_their_spread) {
    BenchExperiment e = three_reps({300, 200, 220}, {90, 100, 110}, {100, 100, 110});
    ASSERT_EQ(e.rows.size(), 3u);
    const BenchRow& a = e.rows[0];
    EXPECT_EQ(a.median_p50, 220);
    EXPECT_EQ(e.rows[2].median_p50, 100);
    ASSERT_TRUE(a.ratio);
    EXPECT_DOUBLE_EQ(*a.ratio, 2.2);
    // Per repetition: 300/100, 200/100, 220/110.
    ASSERT_TRUE(a.ratio_spread);
    EXPECT_DOUBLE_EQ(a.ratio_spread->min, 2.0);
    EXPECT_DOUBLE_EQ(a.ratio_spread->max, 3.0);
    const BenchRow& b = e.rows[1];
    EXPECT_DOUBLE_EQ(b.ratio_spread->min, 0.9);
    EXPECT_DOUBLE_EQ(b.ratio_spread->max, 1.0);
    EXPECT_DOUBLE_EQ(*e.rows[2].ratio, 1.0);
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
    EXPECT_DOUBLE_EQ(*t.ratio, 2000.0 / 900); // 2000 / median(1000, 900, 0)
    EXPECT_DOUBLE_EQ(t.ratio_spread->min, 2.0);
    EXPECT_DOUBLE_EQ(t.ratio_spread->max, 3.0);
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
    BenchExperiment e = three_reps({3000, 2000, 2200}, {900, 1000, 1200}, {1000, 1000, 1100});
    e.metric = "window";
    std::ostringstream os;
    render_bench(os, e, 50);
    std::string want =
        "exp: p50 of window, 3 repetitions of 50 iterations, interleaved after a warm-up; ratios "
        "to the baseline base of this bench\n"
        "  variant  median     p99     max  ratio          spread  violations  timeouts\n"
        "  a        2.20us  2.20us  3.00us  2.20x    2.00x..3.00x           0         0\n"
        "  b        1.00us  1.00us  1.20us  1.00x  0.90x..1.09x *           0         0\n"
        "  base     1.00us  1.00us  1.10us  1.00x        baseline           0         0\n"
        "  spread: the lowest..highest of the per-repetition ratios (each variant against the "
        "baseline of the same round)\n"
        "  * the ratio falls on both sides of 1.00x across the repetitions: no clear difference "
        "from the baseline\n"
        "  exp: 9 runs + 0 warm-up, 0 violations, 0 timeouts\n";
    EXPECT_EQ(os.str(), want);
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
    EXPECT_NE(os.str().find("items_per_sec  ratio        spread"), std::string::npos) << os.str();
    EXPECT_NE(os.str().find("3000  3.00x  3.00x..3.00x"), std::string::npos) << os.str();
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
    EXPECT_DOUBLE_EQ(x["summary"][0]["ratio"].get<double>(), 2.2);
    EXPECT_DOUBLE_EQ(x["summary"][0]["ratio_spread"]["max"].get<double>(), 3.0);
    EXPECT_EQ(j["violations"], 0);
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
    EXPECT_EQ(o.bench.iterations, 50u);
    EXPECT_EQ(o.bench.repetitions, 3u);
    EXPECT_FALSE(o.bench.json_file);
    o = parse({"bench", "--experiments", "shootdown,spinlock", "--iterations", "20",
               "--repetitions", "5", "--json", "/tmp/b.json"});
    EXPECT_EQ(*o.bench.experiments, "shootdown,spinlock");
    EXPECT_EQ(o.bench.iterations, 20u);
    EXPECT_EQ(o.bench.repetitions, 5u);
    EXPECT_EQ(*o.bench.json_file, "/tmp/b.json");
    EXPECT_THROW(parse({"bench", "--repetitions", "0"}), CLI::ParseError);
    EXPECT_THROW(parse({"bench", "--iterations", "0"}), CLI::ParseError);
}
