// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the bench's order, statistics and their intervals,
// table and JSON, --until-conclusive and its options; no kernel needed (the
// runs come from a fake runner, the time from a fake clock).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "bench.hpp"
#include "cli.hpp"
#include "contains.hpp"
#include "error.hpp"
#include "fake_bench.hpp"
#include "targets.hpp"

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
    for (uint32_t a : every_experiment_params()) {
        ParamInfo pi;
        pi.attr = a;
        e.params.push_back(pi);
    }
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

// What every timed bench request carries: `iterations`, the bench's
// deadline and runtime cap, 20 warm-up and 5 cool-down iterations, no CPUs.
void expect_bench_run(const RunRequest& r, uint32_t iterations) {
    EXPECT_EQ(r.param(NTCORRAL_A_ITERATIONS), iterations);
    EXPECT_EQ(r.param(NTCORRAL_A_DEADLINE_US), kBenchDeadlineUs);
    EXPECT_EQ(r.param(NTCORRAL_A_MAX_RUNTIME_MS), kBenchMaxRuntimeMs);
    EXPECT_EQ(r.param(NTCORRAL_A_WARMUP), 20u);
    EXPECT_EQ(r.param(NTCORRAL_A_COOLDOWN), 5u);
    EXPECT_FALSE(r.cpus);
}

// What render_bench() prints of e, run with `iterations` iterations.
std::string bench_text(const BenchExperiment& e, unsigned iterations = 50) {
    std::ostringstream os;
    render_bench(os, e, iterations);
    return os.str();
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
        EXPECT_EQ(r.param(NTCORRAL_A_ITERATIONS), 7u);
        EXPECT_EQ(r.param(NTCORRAL_A_DEADLINE_US), 1000000u);
        EXPECT_EQ(r.param(NTCORRAL_A_MAX_RUNTIME_MS), 30000u);
        EXPECT_FALSE(r.param(NTCORRAL_A_HOLD_US));
        EXPECT_FALSE(r.param(NTCORRAL_A_RATE_HZ));
        EXPECT_FALSE(r.param(NTCORRAL_A_PCI_DEVICE));
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

TEST(BenchOrder, a_variant_refused_on_this_kernel_is_not_run) {
    ExperimentInfo exp = experiment();
    exp.variants[1].refused = "not on this kernel";
    std::vector<std::string> calls;
    BenchOptions o;
    o.repetitions = 1;
    BenchExperiment e = bench_experiment(exp, o, [&](const RunRequest& req) {
        calls.push_back(req.variant);
        return result(req.variant, 100);
    });
    std::vector<std::string> want = {"a", "base", "a", "base"};
    EXPECT_EQ(calls, want);
    EXPECT_EQ(e.variants, (std::vector<std::string>{"a", "base"}));
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
    const std::string text = bench_text(e);
    EXPECT_TRUE(contains(text, "n/a"));
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
    const std::string text = bench_text(e);
    EXPECT_TRUE(contains(text, "1 violations, 2 timeouts  !!!"));
}

TEST(BenchRender, the_table) {
    // a / base per round: 3.00, 2.00, 2.00, 2.50, 1.50, 2.20; b: 0.90, 1.00,
    // 1.09, 1.10, 0.95, 1.05.
    BenchExperiment e =
        three_reps({3000, 2000, 2200, 2500, 1500, 2200}, {900, 1000, 1200, 1100, 950, 1050},
                   {1000, 1000, 1100, 1000, 1000, 1000});
    e.metric = "window";
    const std::string text = bench_text(e);
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
    EXPECT_EQ(text, want);
}

TEST(BenchRender, too_few_repetitions_for_an_interval_are_said) {
    BenchExperiment e = three_reps({3000, 2000, 2200}, {900, 1000, 1200}, {1000, 1000, 1100});
    const std::string text = bench_text(e);
    EXPECT_TRUE(contains(text, "  a        2.20us  2.20us  3.00us  2.00x  none, n=3 < 6"));
    EXPECT_TRUE(contains(text,
                         "  95% CI: none: a 95% interval of the median takes at least 6 "
                         "repetitions, here 3 (more --repetitions, or --until-conclusive)\n"));
    EXPECT_EQ(text.find(" *"), std::string::npos) << "no interval, no claim: " << text;
}

TEST(BenchRender, throughput_columns) {
    BenchExperiment e;
    e.experiment = "exp";
    e.metric = "window";
    e.baseline = "base";
    e.variants = {"a", "base"};
    e.reps = {{result("a", 10, 0, 0, 3000), result("base", 10, 0, 0, 1000)}};
    summarize(e);
    const std::string text = bench_text(e, 5);
    EXPECT_TRUE(contains(text, "items_per_sec  ratio         95% CI"));
    EXPECT_TRUE(contains(text, "3000  3.00x  none, n=1 < 6"));
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
    EXPECT_EQ(x["repetitions_run"], 3);
    EXPECT_TRUE(x["stopped_by"].is_null());
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
    EXPECT_EQ(j["params"]["until_conclusive"], false);
    EXPECT_TRUE(j["params"]["budget_s"].is_null());
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
    EXPECT_FALSE(o.bench.until_conclusive);
    EXPECT_FALSE(o.bench.budget_s);
    EXPECT_FALSE(o.bench.max_repetitions);
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

    o = parse({"bench", "--until-conclusive", "--budget-s", "90.5", "--max-repetitions", "40"});
    EXPECT_TRUE(o.bench.until_conclusive);
    EXPECT_EQ(*o.bench.budget_s, 90.5);
    EXPECT_EQ(*o.bench.max_repetitions, 40u);
    EXPECT_NO_THROW(validate_bench_options(o.bench));
    EXPECT_THROW(parse({"bench", "--budget-s", "soon"}), CLI::ParseError);
    EXPECT_THROW(parse({"bench", "--max-repetitions", "-3"}), CLI::ParseError);
}

TEST(BenchRequest, timed_experiments_run_lean_with_no_hold_and_the_warm_up) {
    BenchOptions o;
    o.iterations = 30;
    RunRequest r = bench_request(shootdown_info(), o);
    EXPECT_EQ(r.experiment, "shootdown");
    EXPECT_EQ(r.variant, "");
    expect_bench_run(r, 30);
    ASSERT_TRUE(r.param(NTCORRAL_A_PHASE_STAMPS));
    EXPECT_EQ(*r.param(NTCORRAL_A_PHASE_STAMPS), 0u);
    ASSERT_TRUE(r.param(NTCORRAL_A_HOLD_US));
    EXPECT_EQ(*r.param(NTCORRAL_A_HOLD_US), 0u);
    EXPECT_FALSE(r.param(NTCORRAL_A_BURST));
    EXPECT_FALSE(r.param(NTCORRAL_A_RATE_HZ));
    EXPECT_EQ(r.param(NTCORRAL_A_PCI_DEVICE), uint32_t(NTCORRAL_PCI_DEVICE_NONE))
        << "no PCI read in the window";
    EXPECT_EQ(bench_request(shootdown_info(), o, true).param(NTCORRAL_A_PHASE_STAMPS), 1u);

    // ipi_barrier takes no hold: dropped, not sent.
    r = bench_request(ipi_barrier_info(), o);
    EXPECT_EQ(r.param(NTCORRAL_A_PHASE_STAMPS), 0u);
    EXPECT_EQ(r.param(NTCORRAL_A_WARMUP), 20u);
    EXPECT_FALSE(r.param(NTCORRAL_A_HOLD_US));
}

TEST(BenchRequest, batches_only_in_the_lean_rounds_of_experiments_that_take_them) {
    BenchOptions o;
    EXPECT_FALSE(bench_request(shootdown_info(), o).param(NTCORRAL_A_BATCH))
        << "the default: one at a time";
    o.batch = 10;
    EXPECT_EQ(bench_request(shootdown_info(), o).param(NTCORRAL_A_BATCH), 10u);
    EXPECT_FALSE(bench_request(shootdown_info(), o, true).param(NTCORRAL_A_BATCH))
        << "the stamped round";
    EXPECT_FALSE(bench_request(interlocked_queue_info(), o).param(NTCORRAL_A_BATCH));
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
    EXPECT_EQ(r.param(NTCORRAL_A_BURST), kBenchBurst);
    EXPECT_EQ(r.param(NTCORRAL_A_BURST), 64u);
    EXPECT_EQ(r.param(NTCORRAL_A_RATE_HZ), kBenchRateHz);
    EXPECT_EQ(r.param(NTCORRAL_A_RATE_HZ), 20000u);
    EXPECT_EQ(r.param(NTCORRAL_A_ITERATIONS), 200u * 64u) << "each iteration a burst of items";
    o.iterations = 5000;
    EXPECT_EQ(bench_request(interlocked_queue_info(), o).param(NTCORRAL_A_ITERATIONS),
              uint32_t(NTCORRAL_MAX_ITERATIONS))
        << "capped";
    EXPECT_FALSE(r.param(NTCORRAL_A_HOLD_US)) << "the module's default hold";
    EXPECT_FALSE(r.param(NTCORRAL_A_WARMUP)) << "a session takes no warm-up";
    EXPECT_FALSE(r.param(NTCORRAL_A_COOLDOWN));
    EXPECT_FALSE(r.param(NTCORRAL_A_PHASE_STAMPS));
    EXPECT_EQ(bench_request(interlocked_queue_info(), o, true).param(NTCORRAL_A_PHASE_STAMPS),
              std::nullopt);

    r = bench_request(spinlock_info(), o);
    EXPECT_EQ(r.param(NTCORRAL_A_ITERATIONS), 5000u);
    EXPECT_FALSE(r.param(NTCORRAL_A_HOLD_US));
    EXPECT_FALSE(r.param(NTCORRAL_A_RATE_HZ));
    EXPECT_FALSE(r.param(NTCORRAL_A_BURST));
    EXPECT_FALSE(r.param(NTCORRAL_A_WARMUP));
    EXPECT_FALSE(r.param(NTCORRAL_A_PHASE_STAMPS));
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
            r.phase_stamps = req.param(NTCORRAL_A_PHASE_STAMPS);
            return r;
        };
    }
    std::vector<std::string> order() const {
        std::vector<std::string> out;
        for (const auto& r : reqs)
            out.push_back((r.experiment == "shootdown" ? "" : r.experiment + "/") + r.variant +
                          (r.param(NTCORRAL_A_PHASE_STAMPS).value_or(0) ? "+stamps" : ""));
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
        expect_bench_run(r, 50);
        EXPECT_FALSE(r.param(NTCORRAL_A_BURST));
        if (r.experiment == "shootdown")
            EXPECT_EQ(r.param(NTCORRAL_A_HOLD_US), 0u);
        else
            EXPECT_FALSE(r.param(NTCORRAL_A_HOLD_US)) << "ipi_barrier takes no hold";
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
        const std::string text = bench_text(e);
        EXPECT_TRUE(contains(text, "  reference: not measured, ipi_barrier/bare_ipi is not in the "
                                   "module's list\n"));
        EXPECT_EQ(text.find("to ref"), std::string::npos) << text;
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
    const std::string text = bench_text(e);
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
    EXPECT_EQ(text, want);
}

TEST(BenchRender, the_queue_says_it_measures_throughput) {
    BenchExperiment e = queue_bench({1000, 1000}, {2000, 2000});
    e.request = bench_request(interlocked_queue_info(), BenchOptions{});
    const std::string text = bench_text(e);
    EXPECT_TRUE(contains(text,
                         "  runs: 12800 items per producer, burst 64 at 20000 Hz (the producers "
                         "saturate the queue: a "
                         "throughput figure)\n"));
    EXPECT_EQ(text.find("stamps:"), std::string::npos) << text;
    EXPECT_EQ(text.find("phase stamps"), std::string::npos) << text;
    EXPECT_EQ(text.find("reference"), std::string::npos) << text;
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

// --- options ------------------------------------------------------------------

namespace {

std::string usage_error(const BenchOptions& o) {
    try {
        validate_bench_options(o);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

BenchOptions until(std::optional<double> budget, std::optional<uint32_t> cap = {}) {
    BenchOptions o;
    o.until_conclusive = true;
    o.budget_s = budget;
    o.max_repetitions = cap;
    return o;
}

} // namespace

TEST(BenchOptionsCheck, until_conclusive_wants_a_budget_above_zero) {
    EXPECT_EQ(usage_error(BenchOptions{}), "");
    EXPECT_EQ(usage_error(until(60)), "");
    EXPECT_EQ(usage_error(until(0.25)), "");
    EXPECT_EQ(usage_error(until(std::nullopt)),
              "--until-conclusive wants --budget-s S, the most seconds the bench may take before "
              "it stops adding repetitions");
    EXPECT_EQ(usage_error(until(0)), "--budget-s wants a number of seconds above 0, not 0");
    EXPECT_EQ(usage_error(until(-5)), "--budget-s wants a number of seconds above 0, not -5");
    EXPECT_EQ(usage_error(until(std::numeric_limits<double>::infinity())),
              "--budget-s wants a number of seconds above 0, not inf");
    EXPECT_EQ(usage_error(until(std::nan(""))),
              "--budget-s wants a number of seconds above 0, not nan");
}

TEST(BenchOptionsCheck, the_cap_on_repetitions) {
    EXPECT_EQ(usage_error(until(60, 6)), "") << "as many as --repetitions: no more rounds";
    EXPECT_EQ(usage_error(until(60, 1000)), "");
    EXPECT_EQ(usage_error(until(60, 5)),
              "--max-repetitions wants a count in [6, 1000] (at least --repetitions), not 5");
    EXPECT_EQ(usage_error(until(60, 1001)),
              "--max-repetitions wants a count in [6, 1000] (at least --repetitions), not 1001");
    // Without --max-repetitions the cap is 100, or --repetitions where more.
    BenchOptions o = until(60);
    o.repetitions = 200;
    EXPECT_EQ(usage_error(o), "");
    o.repetitions = 1001;
    EXPECT_EQ(usage_error(o), "--repetitions wants a count in [1, 1000]");
    o.repetitions = 0;
    EXPECT_EQ(usage_error(o), "--repetitions wants a count in [1, 1000]");
}

TEST(BenchOptionsCheck, budget_and_cap_only_with_until_conclusive) {
    BenchOptions o;
    o.budget_s = 60;
    EXPECT_EQ(usage_error(o),
              "--budget-s is the time budget of --until-conclusive: give both, or neither");
    o = BenchOptions{};
    o.max_repetitions = 50;
    EXPECT_EQ(usage_error(o), "--max-repetitions caps --until-conclusive: give both, or neither");
    o = BenchOptions{};
    o.iterations = 0;
    EXPECT_NE(usage_error(o).find("--iterations wants a count in [1, "), std::string::npos);
}

// --- --until-conclusive ---------------------------------------------------------

namespace {

// sense against bare_ipi: T2's ratio, round by round (the warm-up first).
std::vector<uint64_t> sense_rounds(const std::vector<double>& ratios) {
    std::vector<uint64_t> out = {1000}; // the warm-up
    for (double r : ratios)
        out.push_back(uint64_t(r * 1000 + 0.5));
    return out;
}

std::vector<const ExperimentInfo*> pointers(const std::vector<ExperimentInfo>& v) {
    std::vector<const ExperimentInfo*> out;
    for (const auto& e : v)
        out.push_back(&e);
    return out;
}

const BenchHost kBenchHost{"6.1.0", "Intel(R) Xeon(R)", 4, false};

} // namespace

// A bench on the fake clock: fake's runs of module's experiments (ipi_barrier
// unless a test says otherwise), what it says in out.
class BenchUntilConclusive : public ::testing::Test {
protected:
    FakeBench fake;
    std::vector<ExperimentInfo> module = {ipi_barrier_info()};
    std::ostringstream out;

    std::vector<BenchExperiment> bench(const BenchOptions& o) {
        return run_bench(pointers(module), module, o, kBenchHost, fake.runner(), fake.clock(), out);
    }
};

TEST_F(BenchUntilConclusive, stops_once_every_verdict_is_conclusive) {
    // 1.0x, 1.5x, then 1.1x: six rounds give [1.00x, 1.50x], which straddles
    // T2's 1.30x; at nine the 2nd lowest and highest, [1.10x, 1.10x], meet it.
    fake.seq["ipi_barrier/sense"] = sense_rounds(
        {1.0, 1.5, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1});
    auto done = bench(until(600));
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].reps.size(), 9u) << out.str();
    EXPECT_EQ(done[0].stop, BenchStop::None);
    // Warm-up 3 runs, 6 rounds of 3, the stamped round 3, 3 more rounds of 3.
    EXPECT_EQ(fake.calls.size(), 3u + 18 + 3 + 9);
    EXPECT_EQ(fake.now, 33);
    // The added rounds are whole rounds, in the interleaved order.
    std::vector<std::string> last(fake.calls.end() - 3, fake.calls.end());
    EXPECT_EQ(last, (std::vector<std::string>{"ipi_barrier/counter", "ipi_barrier/sense",
                                              "ipi_barrier/bare_ipi"}));
    auto t = evaluate_targets(done, kBenchHost, until(600));
    EXPECT_EQ(t[1].verdict, Verdict::Met);
    EXPECT_EQ(verdict_text(t[1]), "met");
    const std::string s = out.str();
    EXPECT_TRUE(contains(s, "bench: ipi_barrier, 6 repetitions, 24.0 s\n"));
    EXPECT_TRUE(
        contains(s, "until-conclusive: ipi_barrier, repetition 7, 27.0 s of the 600 s budget\n"
                    "until-conclusive: ipi_barrier, repetition 8, 30.0 s of the 600 s budget\n"
                    "until-conclusive: ipi_barrier, repetition 9, 33.0 s of the 600 s budget\n"
                    "until-conclusive: every verdict conclusive, 3 more rounds, 33.0 s in all\n"));
    EXPECT_TRUE(contains(s, "ipi_barrier: p50 of call, 9 repetitions"))
        << "the table after the last round: " << s;
    EXPECT_TRUE(contains(s, "  T2  met  "));
}

TEST_F(BenchUntilConclusive, no_round_when_already_conclusive) {
    fake.seq["ipi_barrier/sense"] = {1100};
    auto done = bench(until(600));
    EXPECT_EQ(done[0].reps.size(), 6u);
    EXPECT_TRUE(contains(out.str(),
                         "until-conclusive: every verdict conclusive, 0 more rounds, 24.0 s "
                         "in all\n"));
}

TEST_F(BenchUntilConclusive, the_budget_runs_out_and_the_verdict_says_so) {
    // 1.6x and 1.0x in turn (after the warm-up): every interval holds 1.30x.
    fake.seq["ipi_barrier/sense"] = {1000, 1600};
    BenchOptions o = until(30);
    auto done = bench(o);
    // 24 s after the first six rounds; rounds start at 24 and 27; at 30 s
    // the budget is spent and no round starts.
    EXPECT_EQ(done[0].reps.size(), 8u);
    EXPECT_EQ(fake.now, 30);
    EXPECT_EQ(done[0].stop, BenchStop::Budget);
    auto t = evaluate_targets(done, kBenchHost, o);
    EXPECT_EQ(t[1].verdict, Verdict::Inconclusive);
    EXPECT_EQ(verdict_text(t[1]), "inconclusive (budget of 30 s reached after 8 repetitions)");
    const std::string s = out.str();
    EXPECT_TRUE(contains(s,
                         "until-conclusive: the budget of 30 s reached, 2 more rounds, 30.0 s in "
                         "all\n"));
    EXPECT_TRUE(contains(s,
                         "  T2  inconclusive (budget of 30 s reached after 8 repetitions)  1.30x "
                         "[1.00x..1.60x]  sense two-phase barrier <= 1.3x the bare all-CPU IPI\n"));
    EXPECT_NE(s.find("      why: ipi_barrier/sense against bare_ipi 1.30x [1.00x..1.60x]: the "
                     "interval straddles the goal (at most 1.30x); more repetitions would "
                     "settle it\n"),
              std::string::npos)
        << s;
    Json j = bench_to_json(kBenchHost, o, done);
    EXPECT_EQ(j["params"]["until_conclusive"], true);
    EXPECT_EQ(j["params"]["budget_s"], 30.0);
    EXPECT_EQ(j["params"]["max_repetitions"], 100);
    EXPECT_EQ(j["experiments"][0]["stopped_by"], "budget");
    EXPECT_EQ(j["experiments"][0]["repetitions_run"], 8);
    EXPECT_EQ(j["targets"][1]["verdict"], "inconclusive");
    EXPECT_EQ(j["targets"][1]["verdict_text"],
              "inconclusive (budget of 30 s reached after 8 repetitions)");
}

TEST_F(BenchUntilConclusive, a_budget_spent_by_the_first_rounds_adds_none) {
    fake.seq["ipi_barrier/sense"] = {1000, 1600};
    BenchOptions o = until(10);
    auto done = bench(o);
    EXPECT_EQ(done[0].reps.size(), 6u);
    EXPECT_EQ(verdict_text(evaluate_targets(done, kBenchHost, o)[1]),
              "inconclusive (budget of 10 s reached after 6 repetitions)");
}

TEST_F(BenchUntilConclusive, the_cap_on_repetitions_stops_it_too) {
    fake.seq["ipi_barrier/sense"] = {1000, 1600};
    BenchOptions o = until(1e6, 10);
    auto done = bench(o);
    EXPECT_EQ(done[0].reps.size(), 10u);
    EXPECT_EQ(done[0].stop, BenchStop::Cap);
    EXPECT_EQ(verdict_text(evaluate_targets(done, kBenchHost, o)[1]),
              "inconclusive (cap of 10 repetitions reached)");
    EXPECT_TRUE(
        contains(out.str(), "until-conclusive: the cap of 10 repetitions reached, 4 more rounds"));
}

TEST_F(BenchUntilConclusive, only_the_experiments_an_open_verdict_rests_on_get_rounds) {
    fake.seq["ipi_barrier/sense"] = {1000, 1600}; // T2 open for good
    fake.seq["interlocked_queue/slist"] = {2000}; // T3 met: 2.00x
    module = {interlocked_queue_info(), ipi_barrier_info()};
    BenchOptions o = until(60);
    auto done = bench(o);
    EXPECT_EQ(done[0].reps.size(), 6u) << "the queue's verdict settled at once";
    EXPECT_EQ(done[0].stop, BenchStop::None);
    EXPECT_GT(done[1].reps.size(), 6u);
    EXPECT_EQ(done[1].stop, BenchStop::Budget);
    EXPECT_EQ(fake.runs("interlocked_queue/slist"), 7u) << "warm-up and six rounds";
    auto t = evaluate_targets(done, kBenchHost, o);
    EXPECT_EQ(t[2].verdict, Verdict::Met);
    EXPECT_EQ(t[1].verdict, Verdict::Inconclusive);
    EXPECT_EQ(unsettled_experiments(t), std::vector<std::string>{"ipi_barrier"});
}

TEST_F(BenchUntilConclusive, the_loop_on_its_own) {
    // Two experiments of one variant pair; "b" wants rounds until it has 8.
    auto exp = [](const std::string& name) {
        BenchExperiment e = three_reps({1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1});
        e.experiment = name;
        e.request.experiment = name;
        return e;
    };
    std::vector<BenchExperiment> exps = {exp("a"), exp("b")};
    std::vector<double> heard;
    BenchExtension ext = extend_until_conclusive(
        exps, until(100), fake.runner(), fake.clock(), 0,
        [](const std::vector<BenchExperiment>& x) {
            return x[1].reps.size() < 8 ? std::vector<std::string>{"b", "nowhere"}
                                        : std::vector<std::string>{};
        },
        [&](const BenchExperiment& e, double t) {
            EXPECT_EQ(e.experiment, "b");
            heard.push_back(t);
        });
    EXPECT_EQ(ext.rounds, 2u);
    EXPECT_FALSE(ext.budget);
    EXPECT_EQ(ext.elapsed_s, 6);
    EXPECT_EQ(heard, (std::vector<double>{3, 6}));
    EXPECT_EQ(exps[0].reps.size(), 6u);
    EXPECT_EQ(exps[1].reps.size(), 8u);
    EXPECT_EQ(fake.calls,
              (std::vector<std::string>{"b/a", "b/b", "b/base", "b/a", "b/b", "b/base"}));
    EXPECT_EQ(exps[1].rows[0].ratio_ci->n, 8u) << "summarized again";
}

TEST_F(BenchUntilConclusive, a_round_that_fails_leaves_the_experiment_as_it_was) {
    BenchExperiment e = shootdown_bench({1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1},
                                        {1, 1, 1, 1, 1, 1});
    e.request = bench_request(shootdown_info(), BenchOptions{});
    e.reference_request = bench_request(ipi_barrier_info(), BenchOptions{});
    e.reference_request->variant = "bare_ipi";
    int n = 0;
    BenchRunner failing = [&](const RunRequest& req) -> RunResult {
        if (++n == 4)
            throw std::runtime_error("cancelled");
        return timed_run(req.experiment, req.variant, 1);
    };
    EXPECT_THROW(bench_round(e, failing), std::runtime_error);
    EXPECT_EQ(e.reps.size(), 6u);
    EXPECT_EQ(e.reference_reps.size(), 6u);
    bench_round(e, failing);
    EXPECT_EQ(e.reps.size(), 7u);
    EXPECT_EQ(e.reference_reps.size(), 7u) << "the reference rides in every round";
    EXPECT_EQ(e.reference_reps.back().variant, "bare_ipi");
}

// Over 80 lines on purpose: the whole text of one bench, compared byte for
// byte in one literal, is the point of the test.
TEST_F(BenchUntilConclusive, the_whole_output_of_a_bench_that_runs_out_of_budget) {
    // shootdown: dpc about 1.1x the bare IPI, well within 1.2x; ipi 1.15x
    // and 1.30x in turn, open for good. ipi_barrier: sense settles at nine
    // rounds (see stops_once_every_verdict_is_conclusive).
    fake.seq["shootdown/dpc"] = {1100, 1150, 1100, 1180, 1050, 1120, 1090, 1130};
    fake.seq["shootdown/ipi"] = {1150, 1300};
    fake.seq["shootdown/stop_machine"] = {5000, 5200, 4900, 5100};
    fake.seq["ipi_barrier/sense"] = sense_rounds(
        {1.0, 1.5, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1});
    module = {shootdown_info(), ipi_barrier_info()};
    BenchOptions o = until(80);
    o.iterations = 200;
    auto done = bench(o);
    EXPECT_EQ(done[0].reps.size(), 10u);
    EXPECT_EQ(done[1].reps.size(), 9u);
    std::string want =
        "bench: shootdown, 6 repetitions, 32.0 s\n"
        "bench: ipi_barrier, 6 repetitions, 56.0 s\n"
        "until-conclusive: shootdown, repetition 7, 60.0 s of the 80 s budget\n"
        "until-conclusive: ipi_barrier, repetition 7, 63.0 s of the 80 s budget\n"
        "until-conclusive: shootdown, repetition 8, 67.0 s of the 80 s budget\n"
        "until-conclusive: ipi_barrier, repetition 8, 70.0 s of the 80 s budget\n"
        "until-conclusive: shootdown, repetition 9, 74.0 s of the 80 s budget\n"
        "until-conclusive: ipi_barrier, repetition 9, 77.0 s of the 80 s budget\n"
        "until-conclusive: shootdown, repetition 10, 81.0 s of the 80 s budget\n"
        "until-conclusive: the budget of 80 s reached, 7 more rounds, 81.0 s in all\n"
        "\n"
        "shootdown: p50 of window, 10 repetitions of 200 iterations, interleaved after a warm-up; "
        "ratios to the baseline stop_machine of this bench\n"
        "  runs: 20 warm-up and 5 cool-down iterations in the module, not recorded, lean (no clock "
        "read inside the timed window), hold 0us, no PCI read in the window, then one round with "
        "phase stamps on\n"
        "  reference: ipi_barrier/bare_ipi, run in the same rounds after the variants (A B C R A B "
        "C R ...)\n"
        "  variant               median     p99     max  ratio        95% CI     to ref        95% "
        "CI  overhead  stamps  violations  timeouts\n"
        "  dpc                   1.11us  1.11us  1.18us  0.22x  0.22x..0.22x      1.11x  "
        "1.09x..1.15x      0.9%   +8.0%           0         0\n"
        "  ipi                   1.23us  1.23us  1.30us  0.24x  0.23x..0.25x      1.23x  "
        "1.15x..1.30x      0.8%   +3.3%           0         0\n"
        "  stop_machine          5.05us  5.05us  5.20us  1.00x      baseline      5.05x  "
        "4.90x..5.20x      0.2%   +6.7%           0         0\n"
        "  ipi_barrier/bare_ipi  1.00us  1.00us  1.00us  0.20x  0.19x..0.20x  reference            "
        "        1.0%  +10.0%           0         0\n"
        "  ratio: the median of the per-repetition ratios, each run against the baseline's run of "
        "the same round\n"
        "  95% CI: a distribution-free interval of that median, the k-th lowest..k-th highest of "
        "the n ratios; n=10, k=2: 97.9% coverage\n"
        "  to ref: the same against the reference's run of the same round\n"
        "  overhead: an empty timed sample (two timestamps and a recorded sample, measured by the "
        "module before each run) as a share of the median\n"
        "  stamps: what the phase timestamps add to the median when they are on (one round)\n"
        "  shootdown: 44 runs + 4 warm-up, 0 violations, 0 timeouts\n"
        "\n"
        "ipi_barrier: p50 of call, 9 repetitions of 200 iterations, interleaved after a warm-up; "
        "ratios to the baseline bare_ipi of this bench\n"
        "  runs: 20 warm-up and 5 cool-down iterations in the module, not recorded, lean (no clock "
        "read inside the timed window), then one round with phase stamps on\n"
        "  variant   median     p99     max  ratio          95% CI  overhead  stamps  violations  "
        "timeouts\n"
        "  counter   1.00us  1.00us  1.00us  1.00x  1.00x..1.00x *      1.0%  +10.0%           0   "
        "      0\n"
        "  sense     1.10us  1.10us  1.50us  1.10x    1.10x..1.10x      0.9%  +10.0%           0   "
        "      0\n"
        "  bare_ipi  1.00us  1.00us  1.00us  1.00x        baseline      1.0%  +10.0%           0   "
        "      0\n"
        "  ratio: the median of the per-repetition ratios, each run against the baseline's run of "
        "the same round\n"
        "  95% CI: a distribution-free interval of that median, the k-th lowest..k-th highest of "
        "the n ratios; n=9, k=2: 96.1% coverage\n"
        "  * the interval contains 1.00x: no clear difference from the baseline\n"
        "  overhead: an empty timed sample (two timestamps and a recorded sample, measured by the "
        "module before each run) as a share of the median\n"
        "  stamps: what the phase timestamps add to the median when they are on (one round)\n"
        "  ipi_barrier: 30 runs + 3 warm-up, 0 violations, 0 timeouts\n"
        "\n"
        "targets: ntcorral's performance goals, not assertions; the measured value beside each, "
        "[its 95% interval]: met or missed only when the whole interval is\n"
        "  T1  inconclusive (budget of 80 s reached after 10 repetitions)  1.23x [1.15x..1.30x]  "
        "targeted corral (dpc, ipi) <= 1.2x a bare broadcast IPI, clearly < stop_machine\n"
        "      measured: dpc 1.11x [1.09x..1.15x], ipi 1.23x [1.15x..1.30x] of "
        "ipi_barrier/bare_ipi; dpc 0.22x [0.22x..0.22x], ipi 0.24x [0.23x..0.25x] of stop_machine\n"
        "      why: shootdown/ipi against ipi_barrier/bare_ipi 1.23x [1.15x..1.30x]: the interval "
        "straddles the goal (at most 1.20x); more repetitions would settle it\n"
        "  T2  met                                                         1.10x [1.10x..1.10x]  "
        "sense two-phase barrier <= 1.3x the bare all-CPU IPI\n"
        "      measured: sense p50 1.10us against bare_ipi 1.00us: 1.10x [1.10x..1.10x]\n"
        "      note: sense's per-round ratios 1.00x..1.50x straddle 1.30x: within the goal on the "
        "interval of the median, not in every round\n"
        "  T3  not measured                                                -                     "
        "slist >= 1.5x the items/s of exinterlocked, 4 producing CPUs, 0 lost\n"
        "      note: interlocked_queue is not in this bench\n"
        "  T4  met                                                         1.0% [1.0%..1.0%]     "
        "instrumentation overhead <= 5% of the measured figure\n"
        "      measured: worst row ipi_barrier/bare_ipi (shootdown's reference): an empty timed "
        "sample 10ns (one timestamp 40ns) against its median 1.00us; 0 of 7 rows above 5.0% on the "
        "median\n"
        "      note: phase timestamps, when on, add +10.0% at ipi_barrier/bare_ipi (shootdown's "
        "reference) (the worst row; information, not a target)\n";
    EXPECT_EQ(out.str(), want);
}
