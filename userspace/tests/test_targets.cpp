// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the bench's targets and their verdicts, from fake
// results; no kernel needed.
#include <gtest/gtest.h>

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

// dpc and ipi at 1.10x and 1.00x the bare IPI, a fifth of stop_machine.
BenchExperiment good_shootdown() {
    return shootdown_bench({1100, 1100, 1100}, {1000, 1000, 1000}, {5000, 5000, 5000},
                           {1000, 1000, 1000});
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
    }
    EXPECT_EQ(t[0].notes, std::vector<std::string>{"shootdown is not in this bench"});
    EXPECT_EQ(t[1].notes, std::vector<std::string>{"ipi_barrier is not in this bench"});
    EXPECT_EQ(t[2].notes, std::vector<std::string>{"interlocked_queue is not in this bench"});
    EXPECT_EQ(t[3].notes, std::vector<std::string>{"no experiment in this bench"});
    EXPECT_STREQ(verdict_name(Verdict::Met), "met");
    EXPECT_STREQ(verdict_name(Verdict::Missed), "missed");
    EXPECT_STREQ(verdict_name(Verdict::NotMeasured), "not measured");
}

TEST(TargetT1, met_below_1_2x_the_bare_ipi_and_clearly_below_stop_machine) {
    Target t = target({good_shootdown()}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    ASSERT_TRUE(t.measured);
    EXPECT_DOUBLE_EQ(*t.measured, 1.1) << "the worst corral";
    ASSERT_TRUE(t.spread);
    EXPECT_DOUBLE_EQ(t.spread->max, 1.1);
    EXPECT_EQ(t.where, "shootdown/dpc");
    EXPECT_EQ(t.unit, "x");
    EXPECT_EQ(t.detail, "dpc 1.10x (1.10x..1.10x), ipi 1.00x (1.00x..1.00x) of "
                        "ipi_barrier/bare_ipi; dpc 0.22x (0.22x..0.22x), ipi 0.20x "
                        "(0.20x..0.20x) of stop_machine");
    EXPECT_TRUE(t.why.empty()) << all(t);
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT1, exactly_1_2x_is_met_and_dpc_bh_counts_where_present) {
    BenchExperiment e = shootdown_bench({1200, 1200}, {1000, 1000}, {5000, 5000}, {1000, 1000});
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

TEST(Targets, met_on_the_median_with_rounds_on_both_sides_is_noted) {
    BenchExperiment e = shootdown_bench({1000, 1000, 1000}, {1100, 800, 1600}, {5000, 5000, 5000},
                                        {1000, 1000, 1000});
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_EQ(t.notes, std::vector<std::string>{
                           "ipi's per-round ratios to the bare IPI 0.80x..1.60x straddle 1.20x: "
                           "within the goal on the median, not in every round"});
    t = target({ipi_barrier_bench({1000, 1200, 1400}, {1000, 1000, 1000})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_TRUE(has(t.notes, "sense's per-round ratios 1.00x..1.40x straddle 1.30x")) << all(t);
    t = target({queue_bench({1000, 1000, 1000}, {1400, 1600, 2000})}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_TRUE(has(t.notes, "slist's per-round ratios 1.40x..2.00x straddle 1.50x")) << all(t);
    // A spread that only touches the goal does not straddle it.
    t = target({ipi_barrier_bench({1000, 1300}, {1000, 1000})}, "T2");
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT1, missed_above_1_2x_the_bare_ipi_says_by_how_much) {
    // dpc: 1500/1000, 1400/1000, 1600/1000; one clock read costs 40ns.
    BenchExperiment e = shootdown_bench({1500, 1400, 1600}, {1000, 1000, 1000}, {5000, 5000, 5000},
                                        {1000, 1000, 1000});
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 1.5);
    EXPECT_EQ(t.where, "shootdown/dpc");
    ASSERT_FALSE(t.why.empty());
    EXPECT_EQ(t.why[0], "shootdown/dpc 1.50x (1.40x..1.60x) of ipi_barrier/bare_ipi: its p50 "
                        "1.50us is 500ns above 1.00us (12.5 clock reads of 40ns)");
    EXPECT_TRUE(has(t.why, "every round is above 1.20x (1.40x..1.60x): a steady difference"))
        << all(t);
}

TEST(TargetT1, a_spread_reaching_the_goal_says_the_rounds_disagree) {
    BenchExperiment e = shootdown_bench({1300, 1100, 1600}, {1000, 1000, 1000}, {5000, 5000, 5000},
                                        {1000, 1000, 1000});
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.why, "its per-round ratios 1.10x..1.60x reach 1.20x: the rounds disagree"))
        << all(t);
}

TEST(TargetT1, where_the_time_goes_from_the_stamped_round) {
    BenchExperiment e = shootdown_bench({1500, 1500}, {1000, 1000}, {5000, 5000}, {1000, 1000});
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
    // dpc against stop_machine per round: 1.05x, 0.92x, 0.55x; median 0.92x.
    BenchExperiment e = shootdown_bench({1100, 1100, 1100}, {1000, 1000, 1000}, {1050, 1200, 2000},
                                        {1000, 1000, 1000});
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 1.1) << "the bare-IPI part is met";
    EXPECT_EQ(t.why, std::vector<std::string>{"dpc 0.92x (0.55x..1.05x) of stop_machine: not "
                                              "clearly less, some rounds reach 1.00x (p50 1.10us "
                                              "against 1.20us)"})
        << "ipi's rounds stay below: " << all(t);

    // A round exactly at 1.00x is not clearly less either.
    e = shootdown_bench({1000, 500}, {500, 500}, {1000, 2000}, {1000, 1000});
    t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed) << all(t);
    EXPECT_TRUE(has(t.why, "dpc 0.50x (0.25x..1.00x) of stop_machine")) << all(t);
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
    EXPECT_EQ(t.detail, "dpc 0.22x (0.22x..0.22x), ipi 0.20x (0.20x..0.20x) of stop_machine");
    EXPECT_TRUE(has(t.notes, "the bare broadcast IPI was not measured: ipi_barrier/bare_ipi is "
                             "not in the module's list"))
        << all(t);
}

TEST(TargetT1, a_miss_beats_a_missing_figure) {
    BenchExperiment e = shootdown_bench({3000, 3000}, {1000, 1000}, {5000, 5000}, {1000, 1000});
    e.baseline.clear();
    summarize(e);
    Target t = target({e}, "T1");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.notes, "shootdown has no baseline (stop_machine) in this bench")) << all(t);
}

TEST(TargetT1, one_cpu_and_an_emulated_host_are_noted) {
    BenchExperiment e = shootdown_bench({3000, 3000}, {1000, 1000}, {5000, 5000}, {1000, 1000});
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
    Target t = target({ipi_barrier_bench({1250, 1300, 1200}, {1000, 1000, 1000})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 1.25);
    EXPECT_DOUBLE_EQ(t.spread->min, 1.2);
    EXPECT_DOUBLE_EQ(t.spread->max, 1.3);
    EXPECT_EQ(t.where, "ipi_barrier/sense");
    EXPECT_EQ(t.detail, "sense p50 1.25us against bare_ipi 1.00us: 1.25x (1.20x..1.30x)");

    t = target({ipi_barrier_bench({1400, 1300, 1500}, {1000, 1000, 1000})}, "T2");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 1.4);
    EXPECT_TRUE(has(t.why, "ipi_barrier/sense 1.40x (1.30x..1.50x) of ipi_barrier/bare_ipi: its "
                           "p50 1.40us is 400ns above 1.00us"))
        << all(t);
    EXPECT_TRUE(has(t.why, "its per-round ratios 1.30x..1.50x reach 1.30x")) << all(t);
}

TEST(TargetT2, the_instrumentation_weighing_on_a_short_figure_is_named) {
    BenchExperiment e = ipi_barrier_bench({2000, 2000}, {1000, 1000});
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
    Target t = target({queue_bench({1000, 1200, 1100}, {2000, 1800, 1700})}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Met) << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 1800.0 / 1100);
    EXPECT_DOUBLE_EQ(t.spread->min, 1.5);
    EXPECT_DOUBLE_EQ(t.spread->max, 2.0);
    EXPECT_EQ(t.where, "interlocked_queue/slist");
    EXPECT_EQ(t.detail, "items/s (medians): slist 1800, exinterlocked 1100: 1.64x (1.50x..2.00x); "
                        "lost: slist 0, exinterlocked 0 over every run; 4 producing CPUs");
    EXPECT_TRUE(t.notes.empty()) << all(t);
}

TEST(TargetT3, other_cpu_counts_are_noted_and_still_judged) {
    Target t = target({queue_bench({1000, 1000}, {2000, 2000}, 2)}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Met);
    EXPECT_EQ(t.notes, std::vector<std::string>{"2 producing CPUs, the goal is stated for 4"});
    t = target({queue_bench({1000, 1000}, {1200, 1200}, 1)}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_TRUE(has(t.notes, "1 producing CPU, the goal is stated for 4")) << all(t);
    EXPECT_TRUE(has(t.why, "slist moves 1200 items/s against exinterlocked's 1000: 1.20x, short "
                           "of 1.50x"))
        << all(t);
    EXPECT_TRUE(has(t.why, "1 producing CPU contends for exinterlocked's lock, fewer than the "
                           "goal's 4"))
        << all(t);
}

TEST(TargetT3, a_lost_item_in_any_run_misses_it) {
    BenchExperiment e = queue_bench({1000, 1000}, {2000, 2000});
    e.warmup[0].counters[1].value = 3; // exinterlocked's warm-up
    summarize(e);
    Target t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 2.0);
    EXPECT_EQ(t.why, std::vector<std::string>{"exinterlocked lost 3 items in 1 of 3 runs"});
}

TEST(TargetT3, not_measured_without_the_counters) {
    BenchExperiment e = queue_bench({1000, 1000}, {2000, 2000});
    for (auto* runs : {&e.warmup, &e.reps[0], &e.reps[1]})
        for (auto& r : *runs)
            r.counters.erase(r.counters.begin() + 1); // no "lost"
    summarize(e);
    Target t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_TRUE(has(t.notes, "slist's runs report no 'lost' counter")) << all(t);

    e = queue_bench({0, 0}, {2000, 2000});
    t = target({e}, "T3");
    EXPECT_EQ(t.verdict, Verdict::NotMeasured);
    EXPECT_TRUE(has(t.notes, "no items_per_sec of both variants")) << all(t);
}

TEST(TargetT4, the_worst_row_over_every_experiment_and_the_reference) {
    // Every timed_run carries an empty timed sample of 100ns.
    BenchExperiment sd = good_shootdown();     // worst: ipi and bare_ipi, 10.0%
    BenchExperiment q = queue_bench({1}, {1}); // isr_to_dpc 2us: 5.0%
    Target t = target({q}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Met) << "5% is at most 5%: " << all(t);
    EXPECT_DOUBLE_EQ(*t.measured, 5.0);
    EXPECT_EQ(t.unit, "%");

    t = target({sd, q}, "T4");
    EXPECT_EQ(t.verdict, Verdict::Missed);
    EXPECT_DOUBLE_EQ(*t.measured, 10.0);
    EXPECT_EQ(t.where, "shootdown/ipi");
    EXPECT_EQ(t.detail, "worst row shootdown/ipi: an empty timed sample 100ns (one timestamp "
                        "40ns) against its median 1.00us; 3 of 6 rows above 5.0%");
    EXPECT_TRUE(has(t.why, "above 5.0%: shootdown/dpc 9.1%, shootdown/ipi 10.0%, "
                           "ipi_barrier/bare_ipi (shootdown's reference) 10.0%"))
        << all(t);
    EXPECT_TRUE(has(t.why, "shootdown/ipi's median 1.00us is only 10.0 empty timed samples long, "
                           "25.0 clock reads"))
        << all(t);
}

TEST(TargetT4, what_the_phase_stamps_add_is_information) {
    BenchExperiment e = ipi_barrier_bench({4000, 4000}, {4000, 4000});
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

TEST(TargetRender, one_line_per_target_then_its_figures) {
    BenchExperiment sd = shootdown_bench({1500, 1400, 1600}, {1000, 1000, 1000}, {5000, 5000, 5000},
                                         {1000, 1000, 1000});
    BenchExperiment ib = ipi_barrier_bench({12500, 13000, 12000}, {10000, 10000, 10000});
    std::ostringstream os;
    render_targets(os, evaluate_targets({sd, ib}, kHost));
    std::string want =
        "targets: ntcorral's performance goals, not assertions; the measured value beside each\n"
        "  T1  missed        1.50x (1.40x..1.60x)  targeted corral (dpc, ipi) <= 1.2x a bare "
        "broadcast IPI, clearly < stop_machine\n"
        "      measured: dpc 1.50x (1.40x..1.60x), ipi 1.00x (1.00x..1.00x) of "
        "ipi_barrier/bare_ipi; dpc 0.30x (0.28x..0.32x), ipi 0.20x (0.20x..0.20x) of "
        "stop_machine\n"
        "      why: shootdown/dpc 1.50x (1.40x..1.60x) of ipi_barrier/bare_ipi: its p50 1.50us is "
        "500ns above 1.00us (12.5 clock reads of 40ns)\n"
        "      why: every round is above 1.20x (1.40x..1.60x): a steady difference, not noise\n"
        "      why: an empty timed sample (100ns) is 10.0% of ipi_barrier/bare_ipi's p50: the "
        "instrumentation weighs on it\n"
        "  T2  met           1.25x (1.20x..1.30x)  sense two-phase barrier <= 1.3x the bare "
        "all-CPU IPI\n"
        "      measured: sense p50 12.50us against bare_ipi 10.00us: 1.25x (1.20x..1.30x)\n"
        "  T3  not measured  -                     slist >= 1.5x the items/s of exinterlocked, 4 "
        "producing CPUs, 0 lost\n"
        "      note: interlocked_queue is not in this bench\n"
        "  T4  missed        10.0%                 instrumentation overhead <= 5% of the measured "
        "figure\n"
        "      measured: worst row shootdown/ipi: an empty timed sample 100ns (one timestamp "
        "40ns) against its median 1.00us; 3 of 6 rows above 5.0%\n"
        "      why: above 5.0%: shootdown/dpc 6.7%, shootdown/ipi 10.0%, ipi_barrier/bare_ipi "
        "(shootdown's reference) 10.0%\n"
        "      why: shootdown/ipi's median 1.00us is only 10.0 empty timed samples long, 25.0 "
        "clock reads\n";
    EXPECT_EQ(os.str(), want);
}

TEST(TargetJson, every_field) {
    BenchExperiment ib = ipi_barrier_bench({1400, 1300, 1500}, {1000, 1000, 1000});
    Json j = targets_to_json(evaluate_targets({ib}, kHost));
    ASSERT_EQ(j.size(), 4u);
    const Json& t2 = j[1];
    for (const char* k : {"id", "goal", "summary", "measured", "unit", "spread", "where", "verdict",
                          "detail", "note", "why", "notes"})
        EXPECT_TRUE(t2.contains(k)) << k;
    EXPECT_EQ(t2["id"], "T2");
    EXPECT_EQ(t2["verdict"], "missed");
    EXPECT_DOUBLE_EQ(t2["measured"].get<double>(), 1.4);
    EXPECT_EQ(t2["unit"], "x");
    EXPECT_DOUBLE_EQ(t2["spread"]["min"].get<double>(), 1.3);
    EXPECT_DOUBLE_EQ(t2["spread"]["max"].get<double>(), 1.5);
    EXPECT_EQ(t2["where"], "ipi_barrier/sense");
    EXPECT_EQ(t2["note"].get<std::string>().rfind("ipi_barrier/sense 1.40x", 0), 0u) << t2;
    EXPECT_TRUE(t2["why"].is_array());
    const Json& t1 = j[0];
    EXPECT_EQ(t1["verdict"], "not measured");
    EXPECT_TRUE(t1["measured"].is_null());
    EXPECT_TRUE(t1["spread"].is_null());
    EXPECT_TRUE(t1["where"].is_null());
    EXPECT_EQ(t1["note"], "shootdown is not in this bench");
    Json back = Json::parse(j.dump());
    EXPECT_EQ(back, j);
}
