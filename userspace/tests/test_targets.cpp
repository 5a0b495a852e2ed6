// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the bench's targets and their verdicts from the
// intervals of their figures, from fake results; no kernel needed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_bench.hpp"
#include "targets.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

const BenchHost kHost{"6.1.0", "Intel(R) Xeon(R)", 4, false};

Target target(const std::vector<BenchExperiment>& exps, const std::string& id,
              const BenchHost& host = kHost) {
    for (auto& t : evaluate_targets(exps, host))
        if (t.id == id)
            return t;
    ADD_FAILURE() << "no target " << id;
    return {};
}

bool has(const std::vector<std::string>& v, const std::string& part) {
    for (const auto& s : v)
        if (s.find(part) != std::string::npos)
            return true;
    return false;
}

std::string all(const Target& t) {
    std::string s = t.detail;
    for (const auto& w : t.why)
        s += "\nwhy: " + w;
    for (const auto& n : t.notes)
        s += "\nnote: " + n;
    return s;
}

// n rounds of the same value.
std::vector<uint64_t> rounds(uint64_t v, size_t n = 6) {
    return std::vector<uint64_t>(n, v);
}

// dpc and ipi at 1.10x and 1.00x the bare IPI, a fifth of stop_machine, in
// six rounds (the fewest with a 95% interval).
BenchExperiment good_shootdown() {
    return shootdown_bench(rounds(1100), rounds(1000), rounds(5000), rounds(1000));
}

// shootdown with dpc's ratio to the bare IPI given round by round; ipi at
// 1.00x, stop_machine five times the bare IPI.
BenchExperiment shootdown_dpc(const std::vector<double>& dpc_ratio) {
    std::vector<uint64_t> dpc;
    for (double r : dpc_ratio)
        dpc.push_back(uint64_t(r * 1000 + 0.5));
    size_t n = dpc.size();
    return shootdown_bench(dpc, rounds(1000, n), rounds(5000, n), rounds(1000, n));
}

Interval interval(double lo, double hi) {
    Interval ci;
    ci.n = 6;
    ci.k = 1;
    ci.level = 31.0 / 32;
    ci.lo = lo;
    ci.hi = hi;
    return ci;
}

} // namespace

TEST(Targets, four_in_order_with_the_issue_s_goals) {
    auto t = evaluate_targets({}, kHost);
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t[0].id, "T1");
    EXPECT_EQ(t[1].id, "T2");
    EXPECT_EQ(t[2].id, "T3");
    EXPECT_EQ(t[3].id, "T4");
    EXPECT_EQ(t[0].goal, "A targeted corral (dpc, ipi) costs at most 1.2x a bare broadcast IPI "
                         "round trip at the same CPU count, and clearly less than stop_machine.");
    EXPECT_EQ(t[1].goal, "The sense two-phase barrier costs at most 1.3x the bare all-CPU IPI.");
    EXPECT_EQ(t[2].goal, "slist sustains at least 1.5x the throughput of exinterlocked with 4 "
                         "producing CPUs, with zero items lost in both.");
    EXPECT_EQ(t[3].goal, "Instrumentation overhead at most 5% of the measured figure.");
    for (const auto& x : t) {
        EXPECT_EQ(x.verdict, Verdict::NotMeasured) << x.id;
        EXPECT_FALSE(x.measured) << x.id;
        EXPECT_TRUE(x.checks.empty()) << x.id;
    }
    EXPECT_EQ(t[0].notes, std::vector<std::string>{"shootdown is not in this bench"});
    EXPECT_EQ(t[1].notes, std::vector<std::string>{"ipi_barrier is not in this bench"});
    EXPECT_EQ(t[2].notes, std::vector<std::string>{"interlocked_queue is not in this bench"});
    EXPECT_EQ(t[3].notes, std::vector<std::string>{"no experiment in this bench"});
    EXPECT_STREQ(verdict_name(Verdict::Met), "met");
    EXPECT_STREQ(verdict_name(Verdict::Missed), "missed");
    EXPECT_STREQ(verdict_name(Verdict::Inconclusive), "inconclusive");
    EXPECT_STREQ(verdict_name(Verdict::NotMeasured), "not measured");
    EXPECT_TRUE(unsettled_experiments(t).empty());
}

TEST(TargetVerdict, at_most_met_only_when_the_whole_interval_is) {
    EXPECT_EQ(judge(interval(1.10, 1.19), Goal::AtMost, 1.2), Verdict::Met);
    EXPECT_EQ(judge(interval(1.10, 1.20), Goal::AtMost, 1.2), Verdict::Met) << "hi on the goal";
    EXPECT_EQ(judge(interval(1.20, 1.20), Goal::AtMost, 1.2), Verdict::Met);
    EXPECT_EQ(judge(interval(1.10, 1.21), Goal::AtMost, 1.2), Verdict::Inconclusive);
    EXPECT_EQ(judge(interval(1.20, 1.40), Goal::AtMost, 1.2), Verdict::Inconclusive)
        << "lo on the goal: the median may be on it or above";
    EXPECT_EQ(judge(interval(1.21, 1.40), Goal::AtMost, 1.2), Verdict::Missed);
}

TEST(TargetVerdict, at_least_and_below_at_their_boundaries) {
    EXPECT_EQ(judge(interval(1.50, 2.00), Goal::AtLeast, 1.5), Verdict::Met) << "lo on the goal";
    EXPECT_EQ(judge(interval(1.40, 1.50), Goal::AtLeast, 1.5), Verdict::Inconclusive);
    EXPECT_EQ(judge(interval(1.40, 1.49), Goal::AtLeast, 1.5), Verdict::Missed);
    // "Clearly less than": strictly below, on the whole interval.
    EXPECT_EQ(judge(interval(0.50, 0.99), Goal::Below, 1.0), Verdict::Met);
    EXPECT_EQ(judge(interval(0.90, 1.00), Goal::Below, 1.0), Verdict::Inconclusive)
        << "hi on the goal: not clearly less";
    EXPECT_EQ(judge(interval(1.00, 1.10), Goal::Below, 1.0), Verdict::Missed);
    EXPECT_EQ(judge(interval(1.00, 1.00), Goal::Below, 1.0), Verdict::Missed);
}

TEST(TargetVerdict, too_few_repetitions_are_inconclusive_no_values_not_measured) {
    Interval none;
    none.n = 5;
    for (Goal g : {Goal::AtMost, Goal::AtLeast, Goal::Below})
        EXPECT_EQ(judge(none, g, 1.2), Verdict::Inconclusive);
    EXPECT_EQ(judge(std::nullopt, Goal::AtMost, 1.2), Verdict::NotMeasured);
}

TEST(TargetT1, met_below_1_2x_the_bare_ipi_and_clearly_below_stop_machine) {
    Target t = target({good_shootdown()}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_EQ(verdict_text(t), "met");
    ASSERT_TRUE(t.measured);
    EXPECT_DOUBLE_EQ(*t.measured, 1.1) << "the worst corral";
    ASSERT_TRUE(t.ci && t.ci->exists());
    EXPECT_DOUBLE_EQ(t.ci->hi, 1.1);
    EXPECT_EQ(t.where, "shootdown/dpc");
    EXPECT_EQ(t.unit, "x");
    EXPECT_EQ(t.detail, "dpc 1.10x [1.10x..1.10x], ipi 1.00x [1.00x..1.00x] of "
                        "ipi_barrier/bare_ipi; dpc 0.22x [0.22x..0.22x], ipi 0.20x "
                        "[0.20x..0.20x] of stop_machine");
    ASSERT_EQ(t.checks.size(), 4u);
    EXPECT_EQ(t.checks[0].what, "shootdown/dpc against ipi_barrier/bare_ipi");
    EXPECT_EQ(t.checks[1].what, "shootdown/dpc against stop_machine");
    EXPECT_EQ(t.checks[1].op, Goal::Below);
    for (const auto& c : t.checks) {
        EXPECT_EQ(c.verdict, Verdict::Met) << c.what;
        EXPECT_EQ(c.experiment, "shootdown") << c.what;
    }
    EXPECT_TRUE(t.why.empty()) << all(t);
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT1, exactly_1_2x_is_met_and_dpc_bh_counts_where_present) {
    BenchExperiment e = shootdown_bench(rounds(1200), rounds(1000), rounds(5000), rounds(1000));
    EXPECT_EQ(target({e}, "T1").verdict, Verdict::Met);
    e.variants = {"dpc", "dpc_bh", "stop_machine"};
    for (auto& rep : e.reps)
        rep[1].variant = "dpc_bh";
    for (auto& rep : e.reps)
        rep[1].metrics[0].p50 = 1300;
    summarize(e);
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed) << all(t);
    EXPECT_EQ(t.where, "shootdown/dpc_bh");
    EXPECT_DOUBLE_EQ(*t.measured, 1.3);
}

TEST(Targets, a_spread_across_the_goal_is_inconclusive_whichever_side_the_median_falls) {
    // The same rounds but two: the median lands below 1.20x in one bench and
    // above it in the other, and a verdict on the median flips; the
    // intervals straddle the goal in both.
    BenchExperiment below = shootdown_dpc({1.0, 1.1, 1.15, 1.16, 1.3, 1.4});
    BenchExperiment above = shootdown_dpc({1.0, 1.1, 1.25, 1.26, 1.3, 1.4});
    EXPECT_LT(*below.rows[0].ratio_to_reference, 1.2);
    EXPECT_GT(*above.rows[0].ratio_to_reference, 1.2);
    for (const auto& e : {below, above}) {
        Target t = target({e}, "T1");
        EXPECT_EQ(t.verdict, Verdict::Inconclusive) << all(t);
        EXPECT_EQ(verdict_text(t), "inconclusive") << "no more to it than the interval";
        EXPECT_TRUE(has(t.why, "shootdown/dpc against ipi_barrier/bare_ipi")) << all(t);
        EXPECT_TRUE(has(t.why, "[1.00x..1.40x]: the interval straddles the goal (at most 1.20x); "
                               "more repetitions would settle it"))
            << all(t);
        EXPECT_EQ(unsettled_experiments({t}), std::vector<std::string>{"shootdown"});
    }
    // The order of the rounds does not matter.
    EXPECT_EQ(target({shootdown_dpc({1.4, 1.3, 1.16, 1.15, 1.1, 1.0})}, "T1").verdict,
              Verdict::Inconclusive);
}

TEST(Targets, met_on_the_interval_with_rounds_on_both_sides_is_noted) {
    // Nine rounds: the 2nd lowest and highest. One round each side of the goal.
    Target t = target({ipi_barrier_rounds({1.0, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.5})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_EQ(t.ci->k, 2u);
    EXPECT_TRUE(has(t.notes, "sense's per-round ratios 1.00x..1.50x straddle 1.30x: within the "
                             "goal on the interval of the median, not in every round"))
        << all(t);
    t = target(
        {queue_bench(rounds(1000, 9), {1400, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000})},
        "T3");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_TRUE(has(t.notes, "slist's per-round ratios 1.40x..2.00x straddle 1.50x")) << all(t);
    // A spread that only touches the goal does not straddle it.
    t = target({ipi_barrier_rounds({1.0, 1.3, 1.1, 1.1, 1.1, 1.1})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT1, too_few_repetitions_leave_it_inconclusive_and_say_so) {
    BenchExperiment e =
        shootdown_bench(rounds(1100, 5), rounds(1000, 5), rounds(5000, 5), rounds(1000, 5));
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Inconclusive) << all(t);
    EXPECT_EQ(t.reason, "too few repetitions: 5, a 95% interval takes 6");
    EXPECT_EQ(verdict_text(t), "inconclusive (too few repetitions: 5, a 95% interval takes 6)");
    EXPECT_EQ(t.why, std::vector<std::string>{"no 95% interval from 5 repetitions (it takes 6): "
                                              "more --repetitions, or --until-conclusive"})
        << "once, not per figure";
    EXPECT_EQ(t.detail, "dpc 1.10x [none, n=5 < 6], ipi 1.00x [none, n=5 < 6] of "
                        "ipi_barrier/bare_ipi; dpc 0.22x [none, n=5 < 6], ipi 0.20x [none, n=5 < "
                        "6] of stop_machine");
    EXPECT_EQ(unsettled_experiments({t}), std::vector<std::string>{"shootdown"});
    // One more round and it is met.
    EXPECT_EQ(target({good_shootdown()}, "T1").verdict, Verdict::Met);
}

TEST(TargetT1, missed_above_1_2x_the_bare_ipi_says_by_how_much) {
    // dpc per round 1.5x, 1.4x, 1.6x, 1.5x, 1.45x, 1.55x; a clock read costs 40ns.
    BenchExperiment e = shootdown_dpc({1.5, 1.4, 1.6, 1.5, 1.45, 1.55});
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 1.5);
    EXPECT_EQ(t.where, "shootdown/dpc");
    ASSERT_GE(t.why.size(), 2u);
    EXPECT_EQ(t.why[0], "shootdown/dpc 1.50x [1.40x..1.60x] of ipi_barrier/bare_ipi: its p50 "
                        "1.50us is 500ns above 1.00us (12.5 clock reads of 40ns)");
    EXPECT_EQ(t.why[1], "its 95% interval 1.40x..1.60x lies above 1.20x: a steady difference, "
                        "not noise");
    EXPECT_TRUE(unsettled_experiments({t}).empty());
}

TEST(TargetT1, a_miss_settles_it_while_another_figure_is_open) {
    // dpc missed; ipi's rounds straddle 1.20x.
    BenchExperiment e = shootdown_bench(rounds(1500), {1000, 1100, 1300, 1000, 1250, 1000},
                                        rounds(5000), rounds(1000));
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed) << all(t);
    EXPECT_EQ(t.checks[2].verdict, Verdict::Inconclusive);
    EXPECT_TRUE(has(t.why, "shootdown/ipi against ipi_barrier/bare_ipi 1.05x [1.00x..1.30x]: the "
                           "interval straddles the goal"))
        << all(t);
    EXPECT_TRUE(unsettled_experiments({t}).empty()) << "more rounds would not change a miss";
}

TEST(TargetT1, where_the_time_goes_from_the_stamped_round) {
    BenchExperiment e = shootdown_bench(rounds(1500), rounds(1000), rounds(5000), rounds(1000));
    e.stamped = {timed_run("shootdown", "dpc", 1700), timed_run("shootdown", "ipi", 1100),
                 timed_run("shootdown", "stop_machine", 5100)};
    e.stamped[0].metrics[1].count = 10;
    e.stamped[0].metrics[1].p50 = 1200;
    summarize(e);
    Target t = target({e}, "T1");
    EXPECT_TRUE(has(t.why, "where the time goes, p50 with phase stamps on: shootdown/dpc: corral "
                           "1.20us; ipi_barrier/bare_ipi not timed"))
        << all(t);
}

TEST(TargetT1, missed_when_not_clearly_below_stop_machine) {
    // dpc against stop_machine per round: 1.10x, 1.05x, 1.00x, 1.10x, 1.10x, 1.05x.
    BenchExperiment e = shootdown_bench(rounds(1100), rounds(500),
                                        {1000, 1048, 1100, 1000, 1000, 1048}, rounds(1000));
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 1.1) << "the bare-IPI part is met";
    EXPECT_EQ(t.why, std::vector<std::string>{"dpc 1.07x [1.00x..1.10x] of stop_machine: not "
                                              "less, its 95% interval is not below 1.00x (p50 "
                                              "1.10us against 1.02us)"})
        << "ipi's rounds stay below 0.50x: " << all(t);

    // An interval up to 1.00x is not clearly less either, nor more: open.
    e = shootdown_bench(rounds(1000), rounds(500), {1000, 2000, 2000, 2000, 2000, 2000},
                        rounds(1000));
    t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Inconclusive) << all(t);
    EXPECT_TRUE(has(t.why, "shootdown/dpc against stop_machine 0.50x [0.50x..1.00x]: the interval "
                           "straddles the goal (below 1.00x)"))
        << all(t);
}

TEST(TargetT1, not_measured_without_the_reference_but_the_stop_machine_part_is_shown) {
    BenchExperiment e = good_shootdown();
    e.reference.reset();
    e.reference_reps.clear();
    e.reference_note = "ipi_barrier/bare_ipi is not in the module's list";
    summarize(e);
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_FALSE(t.measured);
    EXPECT_EQ(t.detail, "dpc 0.22x [0.22x..0.22x], ipi 0.20x [0.20x..0.20x] of stop_machine");
    EXPECT_TRUE(has(t.notes, "the bare broadcast IPI was not measured: ipi_barrier/bare_ipi is "
                             "not in the module's list"))
        << all(t);
    EXPECT_TRUE(unsettled_experiments({t}).empty());
}

TEST(TargetT1, a_miss_beats_a_missing_figure) {
    BenchExperiment e = shootdown_bench(rounds(3000), rounds(1000), rounds(5000), rounds(1000));
    e.baseline.clear();
    summarize(e);
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.notes, "shootdown has no baseline (stop_machine) in this bench")) << all(t);
}

TEST(TargetT1, one_cpu_and_an_emulated_host_are_noted) {
    BenchExperiment e = shootdown_bench(rounds(3000), rounds(1000), rounds(5000), rounds(1000));
    for (auto& rep : e.reps)
        for (auto& r : rep)
            r.nr_cpus = 1;
    BenchHost host = kHost;
    host.emulated = true;
    Target t = target({e}, "T1", host);
    EXPECT_TRUE(has(t.notes, "1 CPU: there is no other CPU to corral or interrupt")) << all(t);
    EXPECT_TRUE(has(t.notes, "emulated host")) << all(t);
    // A met target needs no excuse from the host.
    t = target({good_shootdown()}, "T1", host);
    EXPECT_FALSE(has(t.notes, "emulated host")) << all(t);
}

TEST(TargetT2, sense_against_the_bare_ipi) {
    Target t = target({ipi_barrier_rounds({1.25, 1.3, 1.2, 1.25, 1.25, 1.25})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 1.25);
    EXPECT_DOUBLE_EQ(t.ci->lo, 1.2);
    EXPECT_DOUBLE_EQ(t.ci->hi, 1.3) << "on the goal: met";
    EXPECT_DOUBLE_EQ(t.spread->max, 1.3);
    EXPECT_EQ(t.where, "ipi_barrier/sense");
    EXPECT_EQ(t.detail, "sense p50 1.25us against bare_ipi 1.00us: 1.25x [1.20x..1.30x]");
    ASSERT_EQ(t.checks.size(), 1u);
    EXPECT_EQ(t.checks[0].what, "ipi_barrier/sense against bare_ipi");
    EXPECT_EQ(t.checks[0].experiment, "ipi_barrier");

    t = target({ipi_barrier_rounds({1.4, 1.35, 1.5, 1.4, 1.4, 1.45})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 1.4);
    EXPECT_TRUE(has(t.why, "ipi_barrier/sense 1.40x [1.35x..1.50x] of ipi_barrier/bare_ipi: its "
                           "p50 1.40us is 400ns above 1.00us"))
        << all(t);
    EXPECT_TRUE(has(t.why, "its 95% interval 1.35x..1.50x lies above 1.30x")) << all(t);
}

TEST(TargetT2, the_instrumentation_weighing_on_a_short_figure_is_named) {
    BenchExperiment e = ipi_barrier_bench(rounds(2000), rounds(1000));
    for (auto& rep : e.reps)
        rep[1].sample_overhead_ns = 200; // 20% of bare_ipi's p50
    summarize(e);
    Target t = target({e}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.why, "an empty timed sample (200ns) is 20.0% of ipi_barrier/bare_ipi's p50"))
        << all(t);
}

TEST(TargetT2, not_measured_without_sense_or_a_p50) {
    BenchExperiment e = ipi_barrier_bench({1000}, {1000});
    e.variants[0] = "counter";
    summarize(e);
    Target t = target({e}, "T2");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_EQ(t.notes, std::vector<std::string>{"ipi_barrier has no variant sense"});

    t = target({ipi_barrier_bench({1000}, {0})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_FALSE(t.measured);
    EXPECT_TRUE(has(t.notes, "no ratio: bare_ipi's p50 is 0")) << all(t);
}

TEST(TargetT3, throughput_ratio_and_no_loss_with_4_producers) {
    // slist / exinterlocked per round: 2.0, 1.5, 1.55, 2.0, 2.0, 2.0.
    Target t = target(
        {queue_bench({1000, 1200, 1100, 1000, 1000, 1000}, {2000, 1800, 1700, 2000, 2000, 2000})},
        "T3");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 2.0);
    EXPECT_DOUBLE_EQ(t.ci->lo, 1.5) << "on the goal: met";
    EXPECT_DOUBLE_EQ(t.ci->hi, 2.0);
    EXPECT_EQ(t.where, "interlocked_queue/slist");
    EXPECT_EQ(t.detail, "items/s (medians): slist 2000, exinterlocked 1000: 2.00x [1.50x..2.00x]; "
                        "lost: slist 0, exinterlocked 0 over every run; 4 producing CPUs");
    ASSERT_EQ(t.checks.size(), 1u);
    EXPECT_EQ(t.checks[0].op, Goal::AtLeast);
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT3, other_cpu_counts_are_noted_and_still_judged) {
    Target t = target({queue_bench(rounds(1000), rounds(2000), 2)}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_EQ(t.notes, std::vector<std::string>{"2 producing CPUs, the goal is stated for 4"});
    t = target({queue_bench(rounds(1000), rounds(1200), 1)}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.notes, "1 producing CPU, the goal is stated for 4")) << all(t);
    EXPECT_TRUE(has(t.why, "slist moves 1200 items/s against exinterlocked's 1000: 1.20x "
                           "[1.20x..1.20x], short of 1.50x"))
        << all(t);
    EXPECT_TRUE(has(t.why, "1 producing CPU contends for exinterlocked's lock, fewer than the "
                           "goal's 4"))
        << all(t);
}

TEST(TargetT3, a_lost_item_in_any_run_misses_it) {
    BenchExperiment e = queue_bench(rounds(1000), rounds(2000));
    e.warmup[0].counters[1].value = 3; // exinterlocked's warm-up
    summarize(e);
    Target t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Missed) << "whatever the throughput";
    EXPECT_DOUBLE_EQ(*t.measured, 2.0);
    EXPECT_EQ(t.why, std::vector<std::string>{"exinterlocked lost 3 items in 1 of 7 runs"});
    EXPECT_TRUE(t.reason.empty());
    // With too few rounds for any interval, the loss still settles it.
    e = queue_bench({1000, 1000}, {2000, 2000});
    e.warmup[0].counters[1].value = 3;
    summarize(e);
    EXPECT_EQ(target({e}, "T3").verdict, Verdict::Missed);
}

TEST(TargetT3, not_measured_without_the_counters) {
    BenchExperiment e = queue_bench(rounds(1000), rounds(2000));
    for (auto* runs :
         {&e.warmup, &e.reps[0], &e.reps[1], &e.reps[2], &e.reps[3], &e.reps[4], &e.reps[5]})
        for (auto& r : *runs)
            r.counters.erase(r.counters.begin() + 1); // no "lost"
    summarize(e);
    Target t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_TRUE(has(t.notes, "slist's runs report no 'lost' counter")) << all(t);

    e = queue_bench(rounds(0), rounds(2000));
    t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_TRUE(has(t.notes, "no items_per_sec of both variants")) << all(t);
}

TEST(TargetT4, the_worst_row_over_every_experiment_and_the_reference) {
    // Every timed_run carries an empty timed sample of 100ns.
    BenchExperiment sd = good_shootdown();                 // worst: ipi and bare_ipi, 10.0%
    BenchExperiment q = queue_bench(rounds(1), rounds(1)); // isr_to_dpc 2us: 5.0%
    Target t = target({q}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Met) << "5% is at most 5%: " << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 5.0);
    EXPECT_EQ(t.unit, "%");
    EXPECT_EQ(t.checks.size(), 2u) << "one per row";

    t = target({sd, q}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 10.0);
    EXPECT_EQ(t.where, "shootdown/ipi");
    EXPECT_EQ(t.detail, "worst row shootdown/ipi: an empty timed sample 100ns (one timestamp "
                        "40ns) against its median 1.00us; 3 of 6 rows above 5.0% on the median");
    EXPECT_TRUE(has(t.why, "above 5.0% on the whole interval: shootdown/dpc 9.1% [9.1%..9.1%], "
                           "shootdown/ipi 10.0% [10.0%..10.0%], ipi_barrier/bare_ipi (shootdown's "
                           "reference) 10.0% [10.0%..10.0%]"))
        << all(t);
    EXPECT_TRUE(has(t.why, "shootdown/ipi's median 1.00us is only 10.0 empty timed samples long, "
                           "25.0 clock reads"))
        << all(t);
    // The reference row's rounds are shootdown's.
    EXPECT_EQ(t.checks[3].what, "ipi_barrier/bare_ipi (shootdown's reference)'s share");
    EXPECT_EQ(t.checks[3].experiment, "shootdown");
}

TEST(TargetT4, a_share_whose_rounds_straddle_5_percent_is_open) {
    // bare_ipi's p50 1.8us or 2.2us: an empty sample of 100ns is 5.6% or 4.5%.
    BenchExperiment e = ipi_barrier_bench(rounds(4000), {1800, 2200, 1800, 2200, 1800, 2200});
    Target t = target({e}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Inconclusive) << all(t);
    EXPECT_EQ(unsettled_experiments({t}), std::vector<std::string>{"ipi_barrier"});
    EXPECT_TRUE(has(t.why, "ipi_barrier/bare_ipi's share 5.1% [4.5%..5.6%]: the interval "
                           "straddles the goal (at most 5.0%)"))
        << all(t);
}

TEST(TargetT4, what_the_phase_stamps_add_is_information) {
    BenchExperiment e = ipi_barrier_bench(rounds(4000), rounds(4000));
    e.stamped = {timed_run("ipi_barrier", "sense", 4400, "call"),
                 timed_run("ipi_barrier", "bare_ipi", 4000, "call")};
    summarize(e);
    Target t = target({e}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_EQ(t.notes, std::vector<std::string>{
                           "phase timestamps, when on, add +10.0% at ipi_barrier/sense (the worst "
                           "row; information, not a target)"});
    auto w = worst_stamps_overhead({e});
    ASSERT_TRUE(w);
    EXPECT_EQ(w->row, "ipi_barrier/sense");
    EXPECT_NEAR(w->pct, 10.0, 1e-9);
}

TEST(TargetT4, not_measured_when_no_run_reports_its_overhead) {
    BenchExperiment e = ipi_barrier_bench({4000}, {4000});
    for (auto& r : e.reps[0])
        r.sample_overhead_ns.reset();
    summarize(e);
    Target t = target({e}, "T4");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_EQ(t.notes, std::vector<std::string>{"no run reported the instrumentation's overhead"});
    EXPECT_FALSE(worst_overhead({e}));
}

TEST(Targets, the_experiments_an_open_verdict_rests_on_each_once) {
    BenchExperiment sd = shootdown_dpc({1.0, 1.1, 1.15, 1.16, 1.3, 1.4}); // T1 open
    for (auto& rep : sd.reps)
        for (auto& r : rep)
            r.sample_overhead_ns = 10; // T4 met there
    for (auto& r : sd.reference_reps)
        r.sample_overhead_ns = 10;
    summarize(sd);
    BenchExperiment ib = ipi_barrier_bench(rounds(4000), {1800, 2200, 1800, 2200, 1800, 2200});
    auto t = evaluate_targets({sd, ib}, kHost);
    EXPECT_EQ(t[0].verdict, Verdict::Inconclusive);
    EXPECT_EQ(t[3].verdict, Verdict::Inconclusive);
    EXPECT_EQ(unsettled_experiments(t), (std::vector<std::string>{"shootdown", "ipi_barrier"}));
}

TEST(TargetRender, one_line_per_target_then_its_figures) {
    BenchExperiment sd = shootdown_dpc({1.5, 1.4, 1.6, 1.5, 1.45, 1.55});
    BenchExperiment ib =
        ipi_barrier_bench({12500, 13500, 12000, 14000, 11500, 12500}, rounds(10000));
    std::ostringstream os;
    render_targets(os, evaluate_targets({sd, ib}, kHost));
    std::string want =
        "targets: ntcorral's performance goals, not assertions; the measured value beside each, "
        "[its 95% interval]: met or missed only when the whole interval is\n"
        "  T1  missed        1.50x [1.40x..1.60x]  targeted corral (dpc, ipi) <= 1.2x a bare "
        "broadcast IPI, clearly < stop_machine\n"
        "      measured: dpc 1.50x [1.40x..1.60x], ipi 1.00x [1.00x..1.00x] of "
        "ipi_barrier/bare_ipi; dpc 0.30x [0.28x..0.32x], ipi 0.20x [0.20x..0.20x] of "
        "stop_machine\n"
        "      why: shootdown/dpc 1.50x [1.40x..1.60x] of ipi_barrier/bare_ipi: its p50 1.50us is "
        "500ns above 1.00us (12.5 clock reads of 40ns)\n"
        "      why: its 95% interval 1.40x..1.60x lies above 1.20x: a steady difference, not "
        "noise\n"
        "      why: an empty timed sample (100ns) is 10.0% of ipi_barrier/bare_ipi's p50: the "
        "instrumentation weighs on it\n"
        "  T2  inconclusive  1.25x [1.15x..1.40x]  sense two-phase barrier <= 1.3x the bare "
        "all-CPU IPI\n"
        "      measured: sense p50 12.50us against bare_ipi 10.00us: 1.25x [1.15x..1.40x]\n"
        "      why: ipi_barrier/sense against bare_ipi 1.25x [1.15x..1.40x]: the interval "
        "straddles the goal (at most 1.30x); more repetitions would settle it\n"
        "  T3  not measured  -                     slist >= 1.5x the items/s of exinterlocked, 4 "
        "producing CPUs, 0 lost\n"
        "      note: interlocked_queue is not in this bench\n"
        "  T4  missed        10.0% [10.0%..10.0%]  instrumentation overhead <= 5% of the measured "
        "figure\n"
        "      measured: worst row shootdown/ipi: an empty timed sample 100ns (one timestamp "
        "40ns) against its median 1.00us; 3 of 6 rows above 5.0% on the median\n"
        "      why: above 5.0% on the whole interval: shootdown/dpc 6.7% [6.2%..7.1%], "
        "shootdown/ipi 10.0% [10.0%..10.0%], ipi_barrier/bare_ipi (shootdown's reference) 10.0% "
        "[10.0%..10.0%]\n"
        "      why: shootdown/ipi's median 1.00us is only 10.0 empty timed samples long, 25.0 "
        "clock reads\n";
    EXPECT_EQ(os.str(), want);
}

TEST(TargetJson, every_field) {
    BenchExperiment ib = ipi_barrier_rounds({1.4, 1.35, 1.5, 1.4, 1.4, 1.45});
    Json j = targets_to_json(evaluate_targets({ib}, kHost));
    ASSERT_EQ(j.size(), 4u);
    const Json& t2 = j[1];
    for (const char* k :
         {"id", "goal", "summary", "measured", "unit", "spread", "interval", "where", "verdict",
          "verdict_text", "checks", "detail", "note", "why", "notes"})
        EXPECT_TRUE(t2.contains(k)) << k;
    EXPECT_EQ(t2["id"], "T2");
    EXPECT_EQ(t2["verdict"], "missed");
    EXPECT_EQ(t2["verdict_text"], "missed");
    EXPECT_DOUBLE_EQ(t2["measured"].get<double>(), 1.4);
    EXPECT_EQ(t2["unit"], "x");
    EXPECT_DOUBLE_EQ(t2["spread"]["min"].get<double>(), 1.35);
    EXPECT_DOUBLE_EQ(t2["spread"]["max"].get<double>(), 1.5);
    EXPECT_DOUBLE_EQ(t2["interval"]["lo"].get<double>(), 1.35);
    EXPECT_DOUBLE_EQ(t2["interval"]["hi"].get<double>(), 1.5);
    EXPECT_EQ(t2["interval"]["n"], 6);
    EXPECT_DOUBLE_EQ(t2["interval"]["level"].get<double>(), 0.96875);
    EXPECT_EQ(t2["interval"]["confidence"], 0.95);
    ASSERT_EQ(t2["checks"].size(), 1u);
    EXPECT_EQ(t2["checks"][0]["verdict"], "missed");
    EXPECT_EQ(t2["checks"][0]["op"], "<=");
    EXPECT_DOUBLE_EQ(t2["checks"][0]["goal"].get<double>(), 1.3);
    EXPECT_EQ(t2["checks"][0]["unit"], "x");
    EXPECT_EQ(t2["where"], "ipi_barrier/sense");
    EXPECT_EQ(t2["note"].get<std::string>().rfind("ipi_barrier/sense 1.40x", 0), 0u) << t2;
    EXPECT_TRUE(t2["why"].is_array());
    const Json& t1 = j[0];
    EXPECT_EQ(t1["verdict"], "not measured");
    EXPECT_TRUE(t1["measured"].is_null());
    EXPECT_TRUE(t1["spread"].is_null());
    EXPECT_TRUE(t1["interval"].is_null());
    EXPECT_TRUE(t1["where"].is_null());
    EXPECT_TRUE(t1["checks"].empty());
    EXPECT_EQ(t1["note"], "shootdown is not in this bench");
    Json back = Json::parse(j.dump());
    EXPECT_EQ(back, j);
}

TEST(TargetNames, a_counter_the_module_renamed_is_named_in_the_verdict) {
    BenchExperiment e = queue_bench(rounds(1000), rounds(2000));
    for (auto* runs :
         {&e.warmup, &e.reps[0], &e.reps[1], &e.reps[2], &e.reps[3], &e.reps[4], &e.reps[5]})
        for (auto& r : *runs)
            r.counters[2].name = "items_per_s"; // was items_per_sec
    summarize(e);
    Target t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_EQ(t.missing, std::vector<std::string>{
                             "the module has no counter items_per_sec in interlocked_queue"});
    EXPECT_EQ(verdict_text(t),
              "not measured: the module has no counter items_per_sec in interlocked_queue");
    std::ostringstream os;
    render_targets(os, {t});
    EXPECT_NE(
        os.str().find(
            "  T3  not measured: the module has no counter items_per_sec in interlocked_queue"),
        std::string::npos)
        << os.str();
    EXPECT_EQ(targets_to_json({t})[0]["verdict_text"], verdict_text(t));
}

TEST(TargetNames, a_variant_the_module_lacks_is_named_in_the_verdict) {
    BenchExperiment e = ipi_barrier_bench({1000}, {1000});
    e.variants[0] = "counter";
    summarize(e);
    Target t = target({e}, "T2");
    EXPECT_EQ(verdict_text(t), "not measured: the module has no variant sense in ipi_barrier");

    e = queue_bench(rounds(1000), rounds(2000));
    e.variants = {"exinterlocked", "slist2"};
    t = target({e}, "T3");
    EXPECT_EQ(verdict_text(t),
              "not measured: the module has no variant slist in interlocked_queue");
}

TEST(TargetNames, a_missing_reference_is_named_even_where_a_verdict_is_given) {
    BenchExperiment e = good_shootdown();
    e.reference.reset();
    e.reference_reps.clear();
    e.reference_row.reset();
    e.reference_note = "ipi_barrier/bare_ipi is not in the module's list";
    Target t = target({e}, "T1");
    EXPECT_EQ(t.missing,
              std::vector<std::string>{"the module has no variant bare_ipi in ipi_barrier"});
}

TEST(TargetNames, nothing_is_missing_from_a_whole_bench_or_an_experiment_left_out) {
    auto targets =
        evaluate_targets({good_shootdown(), ipi_barrier_bench(rounds(1000), rounds(1000)),
                          queue_bench(rounds(1000), rounds(2000))},
                         kHost);
    for (const auto& t : targets)
        EXPECT_TRUE(t.missing.empty()) << t.id << ": " << t.missing.front();
    Target t = target({}, "T3");
    EXPECT_TRUE(t.missing.empty());
    EXPECT_EQ(verdict_text(t), "not measured");
}

namespace {

// The text of the module source file that defines experiment `name` (its
// `.name = "<name>",`), "" if none does.
std::string module_source_of(const std::string& name) {
    const std::string defines = ".name = \"" + name + "\",";
    for (const auto& f : std::filesystem::directory_iterator(NTCORRAL_MODULE_DIR)) {
        if (f.path().extension() != ".c")
            continue;
        std::ifstream in(f.path());
        std::stringstream text;
        text << in.rdbuf();
        if (text.str().find(defines) != std::string::npos)
            return text.str();
    }
    return "";
}

} // namespace

// A variant or counter renamed in the module would leave its target "not
// measured" on every bench; here it fails the build's tests instead.
TEST(TargetNames, every_name_a_target_needs_is_in_the_module_source) {
    const std::vector<TargetNeeds> needs = target_needs();
    ASSERT_EQ(needs.size(), 3u);
    for (const auto& n : needs) {
        const std::string src = module_source_of(n.experiment);
        ASSERT_FALSE(src.empty()) << n.id << ": no module/*.c defines " << n.experiment;
        std::vector<std::string> names = n.variants;
        names.insert(names.end(), n.counters.begin(), n.counters.end());
        for (const auto& name : names)
            EXPECT_NE(src.find("\"" + name + "\""), std::string::npos)
                << n.id << ": " << n.experiment << " has no variant or counter " << name;
        if (auto ref = reference_for(n.experiment)) {
            const std::string ref_src = module_source_of(ref->experiment);
            EXPECT_NE(ref_src.find(".name = \"" + ref->variant + "\","), std::string::npos)
                << n.id << ": " << ref->experiment << " has no variant " << ref->variant;
        }
    }
}
