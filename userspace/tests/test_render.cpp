// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: units, tables, histograms and JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "contains.hpp"
#include "fake_replies.hpp"
#include "messages.hpp"
#include "render.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

RunResult sample_run(uint64_t violations = 0) {
    NlMsgPtr msg = run_reply(violations);
    return parse_result(nlmsg_hdr(msg.get()));
}

RunResult sample_stats() {
    NlMsgPtr msg = stats_reply();
    return parse_result(nlmsg_hdr(msg.get()));
}

} // namespace

TEST(Units, pick_ns_us_ms_s) {
    EXPECT_EQ(format_ns(0), "0ns");
    EXPECT_EQ(format_ns(999), "999ns");
    EXPECT_EQ(format_ns(1000), "1.00us");
    EXPECT_EQ(format_ns(1024), "1.02us");
    EXPECT_EQ(format_ns(2048), "2.05us");
    EXPECT_EQ(format_ns(999994), "999.99us");
    EXPECT_EQ(format_ns(1500000), "1.50ms");
    EXPECT_EQ(format_ns(5000000000ull), "5.000s");
}

TEST(Histogram, bucket_bounds_follow_fls64) {
    EXPECT_EQ(bucket_lo(0), 0u);
    EXPECT_EQ(bucket_hi(0), 1u);
    EXPECT_EQ(bucket_lo(1), 1u);
    EXPECT_EQ(bucket_hi(1), 2u);
    EXPECT_EQ(bucket_lo(11), 1024u);
    EXPECT_EQ(bucket_hi(11), 2048u);
    EXPECT_EQ(bucket_lo(63), uint64_t{1} << 62);
    EXPECT_EQ(bucket_hi(63), 0u); // open-ended
}

TEST(Histogram, rows_span_first_to_last_non_empty_bucket_with_scaled_bars) {
    Histogram h{};
    h[11] = 80;
    h[12] = 40;
    h[14] = 1;
    std::ostringstream os;
    render_histogram(os, h);
    auto l = lines(os.str());
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0], "[  1.02us,   2.05us)  80  |" + std::string(40, '#'));
    EXPECT_EQ(l[1], "[  2.05us,   4.10us)  40  |" + std::string(20, '#'));
    EXPECT_EQ(l[2], "[  4.10us,   8.19us)   0  |");
    EXPECT_EQ(l[3], "[  8.19us,  16.38us)   1  |#"); // a non-empty bucket shows at least one
}

TEST(Histogram, small_and_edge_buckets) {
    Histogram h{};
    h[0] = 3;
    h[1] = 6;
    std::ostringstream os;
    render_histogram(os, h, "  ");
    auto l = lines(os.str());
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0], "  [     0ns,      1ns)  3  |" + std::string(20, '#'));
    EXPECT_EQ(l[1], "  [     1ns,      2ns)  6  |" + std::string(40, '#'));

    Histogram last{};
    last[63] = 1;
    std::ostringstream os2;
    render_histogram(os2, last);
    EXPECT_TRUE(contains(os2.str(), ",      inf)"));
}

TEST(Histogram, empty_says_no_samples) {
    std::ostringstream os;
    render_histogram(os, Histogram{});
    EXPECT_EQ(os.str(), "(no samples)\n");
}

TEST(TableRender, columns_align_first_left_others_right) {
    Table t({"metric", "count", "max"});
    t.add({"latency", "5", "1.02us"});
    t.add({"x", "12345", "3ns"});
    std::ostringstream os;
    t.print(os, "> ");
    auto l = lines(os.str());
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[0], "> metric   count     max");
    EXPECT_EQ(l[1], "> latency      5  1.02us");
    EXPECT_EQ(l[2], "> x        12345     3ns");
}

TEST(ResultRender, run_shows_header_fields_metrics_counters_and_histogram) {
    std::ostringstream os;
    render_result(os, sample_run());
    const std::string s = os.str();
    auto l = lines(s);
    ASSERT_FALSE(l.empty());
    EXPECT_EQ(l[0], "shootdown/ipi");
    for (const char* part :
         {"  samples     100 of 100 iterations\n", "  violations  0\n", "  timeouts    0\n",
          "  truncated   no\n", "  cpus        0-2,65 (4 CPUs, initiator 0)\n",
          "  duration    5.000s\n"})
        EXPECT_TRUE(contains(s, part));
    EXPECT_EQ(s.find("runs"), std::string::npos) << s; // 1 run of a run reply: implied
    for (const char* part :
         {"  metric   count     min    mean     p50     p90     p99     max\n",
          "  latency   1003  1.00us  1.00us  1.01us  1.01us  1.01us  1.01us\n",
          "  ipis_sent    300\n", "  latency histogram\n  [  1.02us,   2.05us)  57  |"})
        EXPECT_TRUE(contains(s, part));
    EXPECT_EQ(s.find("arrival histogram"), std::string::npos) << "only the primary metric";
}

TEST(ResultRender, violations_are_marked_for_grep) {
    std::ostringstream os;
    render_result(os, sample_run(2));
    EXPECT_TRUE(contains(os.str(), "violations  2  !!!"));
}

TEST(ResultRender, stats_record_omits_missing_fields) {
    std::ostringstream os;
    render_result(os, sample_stats());
    const std::string s = os.str();
    EXPECT_TRUE(contains(s, "  runs        7\n"));
    EXPECT_TRUE(contains(s, "  samples     700\n"));
    EXPECT_EQ(s.find("cpus"), std::string::npos) << s;
    EXPECT_EQ(s.find("iterations"), std::string::npos) << s;
    EXPECT_EQ(s.find("counter"), std::string::npos) << s;
}

TEST(Json, run_result_has_the_documented_shape) {
    Json j = result_to_json(sample_run(2));
    for (const char* k : {"experiment", "variant", "runs", "iterations", "samples", "violations",
                          "timeouts", "truncated", "nr_cpus", "initiator_cpu", "cpus",
                          "duration_ns", "latency_ns", "histogram", "metrics", "counters"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["experiment"], "shootdown");
    EXPECT_EQ(j["variant"], "ipi");
    EXPECT_EQ(j["runs"], 1);
    EXPECT_EQ(j["iterations"], 100);
    EXPECT_EQ(j["violations"], 2);
    EXPECT_TRUE(j["truncated"].is_boolean());
    EXPECT_EQ(j["truncated"], false);
    EXPECT_EQ(j["cpus"], Json::array({0, 1, 2, 65}));
    EXPECT_EQ(j["duration_ns"], 5000000000ull);
    EXPECT_EQ(j["latency_ns"]["metric"], "latency");
    for (const char* k : {"count", "min", "mean", "p50", "p90", "p99", "max"})
        EXPECT_TRUE(j["latency_ns"][k].is_number_unsigned()) << k;
    EXPECT_EQ(j["latency_ns"]["p99"], 1000 + NTCORRAL_METRIC_A_P99_NS);
    ASSERT_EQ(j["histogram"].size(), 3u);
    EXPECT_EQ(j["histogram"][0], Json({{"lo_ns", 1024}, {"hi_ns", 2048}, {"count", 57}}));
    EXPECT_EQ(j["histogram"][2]["lo_ns"], 8192);
    ASSERT_TRUE(j["metrics"].contains("arrival"));
    EXPECT_EQ(j["metrics"]["arrival"]["count"], 2000 + NTCORRAL_METRIC_A_COUNT);
    EXPECT_EQ(j["metrics"]["arrival"]["histogram"][0]["lo_ns"], 16);
    EXPECT_EQ(j["counters"]["ipis_sent"], 300);
    EXPECT_EQ(j["counters"]["spurious"], 0);
}

// The shell tests read the JSON as text: its keys keep their order.
TEST(Json, run_result_keys_keep_their_order) {
    auto keys = [](const Json& o) {
        std::vector<std::string> out;
        for (const auto& [k, v] : o.items())
            out.push_back(k);
        return out;
    };
    auto present = [](const Json& o, std::vector<std::string> order) {
        order.erase(std::remove_if(order.begin(), order.end(),
                                   [&](const std::string& k) { return !o.contains(k); }),
                    order.end());
        return order;
    };
    const std::vector<std::string> figures = {"count", "min", "mean", "p50", "p90", "p99", "max"};
    for (const RunResult& r : {sample_run(2), sample_stats()}) {
        Json j = result_to_json(r);
        EXPECT_EQ(keys(j), present(j, {"experiment",
                                       "variant",
                                       "runs",
                                       "iterations",
                                       "samples",
                                       "violations",
                                       "timeouts",
                                       "truncated",
                                       "cancelled",
                                       "nr_cpus",
                                       "initiator_cpu",
                                       "cpus",
                                       "duration_ns",
                                       "warmup",
                                       "cooldown",
                                       "phase_stamps",
                                       "batch",
                                       "clock_read_ns",
                                       "sample_overhead_ns",
                                       "sample_overhead_pct",
                                       "latency_ns",
                                       "histogram",
                                       "metrics",
                                       "counters"}));
        if (!j.contains("latency_ns"))
            continue;
        std::vector<std::string> latency = {"metric"};
        latency.insert(latency.end(), figures.begin(), figures.end());
        EXPECT_EQ(keys(j["latency_ns"]), latency);
        std::vector<std::string> metric = figures;
        metric.push_back("histogram");
        for (const auto& [name, m] : j["metrics"].items())
            EXPECT_EQ(keys(m), metric) << name;
    }
}

TEST(Json, stats_record_omits_run_only_keys) {
    Json j = result_to_json(sample_stats());
    for (const char* k : {"iterations", "nr_cpus", "initiator_cpu", "cpus"})
        EXPECT_FALSE(j.contains(k)) << k;
    EXPECT_EQ(j["runs"], 7);
    EXPECT_TRUE(j["counters"].is_object());
    EXPECT_TRUE(j["counters"].empty());
}

TEST(Json, results_are_one_array_and_parse_back) {
    Json arr = results_to_json({sample_run(), sample_stats()});
    ASSERT_TRUE(arr.is_array());
    ASSERT_EQ(arr.size(), 2u);
    Json back = Json::parse(arr.dump(2));
    EXPECT_EQ(back[1]["variant"], "nmi");
}

TEST(Json, experiments_list_shape) {
    NlMsgPtr msg = list_reply();
    Json j = experiments_to_json({parse_experiment(nlmsg_hdr(msg.get()))});
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["name"], "shootdown");
    EXPECT_EQ(j[0]["seed"], "000-processor-shootdown");
    EXPECT_EQ(j[0]["variants"][0]["baseline"], true);
    EXPECT_EQ(j[0]["variants"][1]["baseline"], false);
    EXPECT_EQ(j[0]["variants"][1]["wrong"], false);
    EXPECT_EQ(j[0]["variants"][1]["waits_in_irq"], true);
    EXPECT_EQ(j[0]["variants"][0]["waits_in_irq"], false);
    EXPECT_EQ(j[0]["variants"][2]["wrong"], true);
    EXPECT_EQ(j[0]["variants"][3]["defect"], true);
    EXPECT_EQ(j[0]["variants"][3]["wrong"], false);
    EXPECT_TRUE(j[0]["variants"][3]["refused"].is_null());
    EXPECT_EQ(j[0]["variants"][4]["refused"], "this kernel's locks sleep there");
    EXPECT_EQ(j[0]["params"][1]["name"], "hold_us");
    EXPECT_EQ(j[0]["params"][1]["option"], "--hold-us");
    EXPECT_EQ(j[0]["params"][1]["unit"], "us");
    EXPECT_EQ(j[0]["params"][1]["default"], 5);
    EXPECT_EQ(j[0]["metrics"], Json::array({"latency", "arrival"}));
}

TEST(ListRender, marks_baseline_and_shows_parameter_ranges) {
    NlMsgPtr msg = list_reply();
    std::ostringstream os;
    render_experiments(os, {parse_experiment(nlmsg_hdr(msg.get()))});
    const std::string s = os.str();
    for (const char* part :
         {"shootdown  (seed 000-processor-shootdown)\n",
          "    ipi      baseline  IPI to every CPU\n", "    nmi                NMI instead\n",
          "    late     wrong     answers late\n", "    literal  defect    the seed as posted\n",
          "    sleepy   refused   a sleeping lock in the ISR\n"})
        EXPECT_TRUE(contains(s, part));
    EXPECT_TRUE(
        contains(s, "    sleepy is not run on this kernel: this kernel's locks sleep there\n"));
    EXPECT_TRUE(contains(s, "    nmi: CPUs wait for CPUs inside an interrupt, interrupts off; "));
    EXPECT_TRUE(contains(s, "hold_us     --hold-us     us"));
    EXPECT_TRUE(contains(s, "00:00.0  ff:1f.7  00:1f.3")); // PCI shown as BDF
    EXPECT_TRUE(contains(s, "  metrics: latency, arrival\n"));
}

namespace {
RunResult ratio_result(const std::string& variant, uint64_t p50, uint64_t per_sec) {
    RunResult r;
    r.experiment = "interlocked_queue";
    r.variant = variant;
    Metric m;
    m.name = "isr_to_dpc";
    m.p50 = p50;
    r.metrics.push_back(m);
    r.counters.push_back({"items_per_sec", per_sec});
    r.counters.push_back({"lost", 0});
    return r;
}
} // namespace

TEST(BaselineRatio, p50_and_per_sec_counters_divide_by_the_baseline) {
    auto ratios = baseline_ratios(ratio_result("slist", 50, 3000), ratio_result("ex", 100, 2000));
    ASSERT_EQ(ratios.size(), 2u);
    EXPECT_EQ(ratios[0].what, "p50 isr_to_dpc");
    EXPECT_DOUBLE_EQ(ratios[0].ratio, 0.5);
    EXPECT_EQ(ratios[1].what, "items_per_sec");
    EXPECT_DOUBLE_EQ(ratios[1].ratio, 1.5);
}

TEST(BaselineRatio, a_zero_baseline_gives_no_ratio) {
    auto ratios = baseline_ratios(ratio_result("slist", 50, 3000), ratio_result("ex", 0, 0));
    EXPECT_TRUE(ratios.empty());
}

TEST(BaselineRatio, rendered_for_every_variant_but_the_baseline) {
    std::ostringstream os;
    render_ratios(os, {ratio_result("ex", 100, 2000), ratio_result("slist", 50, 3000)}, "ex");
    const std::string s = os.str();
    EXPECT_TRUE(
        contains(s, "interlocked_queue: ratios to the baseline ex, measured in this run\n"));
    EXPECT_TRUE(contains(s, "slist"));
    EXPECT_TRUE(contains(s, "p50 isr_to_dpc 0.50x, items_per_sec 1.50x"));
    EXPECT_EQ(s.find("  ex "), std::string::npos) << s;
}

TEST(BaselineRatio, json_names_the_baseline) {
    Json j = ratios_to_json({{"items_per_sec", 1.5}}, "exinterlocked");
    EXPECT_EQ(j["baseline"], "exinterlocked");
    EXPECT_DOUBLE_EQ(j["items_per_sec"].get<double>(), 1.5);
}

namespace {
RunResult timed_run(uint64_t p50) {
    NlMsgPtr msg = timed_run_reply();
    RunResult r = parse_result(nlmsg_hdr(msg.get()));
    r.metrics[0].p50 = p50;
    return r;
}
} // namespace

TEST(Instrumentation, share_of_the_primary_p50) {
    RunResult r = timed_run(46341);
    ASSERT_TRUE(sample_overhead_pct(r));
    EXPECT_NEAR(*sample_overhead_pct(r), 1900.0 / 46341 * 100, 1e-9);
    EXPECT_EQ(instrumentation_line(r),
              "one timestamp 812ns; an empty timed sample 1.90us = 4.1% of the p50");
    // A batch of 10 shares its two timestamps: a tenth of them per iteration.
    r.batch = 10;
    EXPECT_NEAR(*sample_overhead_pct(r), 190.0 / 46341 * 100, 1e-9);
    r.batch.reset();
    r.metrics[0].p50 = 0;
    EXPECT_FALSE(sample_overhead_pct(r));
    EXPECT_EQ(instrumentation_line(r), "one timestamp 812ns; an empty timed sample 1.90us");
    r.metrics.clear();
    EXPECT_FALSE(sample_overhead_pct(r));
    r.sample_overhead_ns.reset();
    EXPECT_EQ(instrumentation_line(r), "one timestamp 812ns");
    r.clock_read_ns.reset();
    EXPECT_EQ(instrumentation_line(r), "");
}

TEST(Instrumentation, run_output_has_the_timing_and_the_instrumentation_line) {
    std::ostringstream os;
    render_result(os, timed_run(46341));
    const std::string s = os.str();
    EXPECT_NE(s.find("  timing      warm-up 20 and cool-down 5 iterations (not recorded); phase "
                     "stamps off (lean: the primary metric only, no clock read inside its "
                     "window)\n"),
              std::string::npos)
        << s;
    EXPECT_TRUE(contains(s, "  duration    5.000s\n  timing"));
    EXPECT_NE(s.find("\n  instrumentation: one timestamp 812ns; an empty timed sample 1.90us = "
                     "4.1% of the p50\n"),
              std::string::npos)
        << s;

    std::ostringstream plain;
    render_result(plain, sample_run());
    EXPECT_EQ(plain.str().find("timing"), std::string::npos) << plain.str();
    EXPECT_EQ(plain.str().find("instrumentation"), std::string::npos) << plain.str();
}

TEST(Instrumentation, json_has_the_new_fields_only_where_the_reply_had_them) {
    Json j = result_to_json(timed_run(46341));
    EXPECT_EQ(j["warmup"], 20);
    EXPECT_EQ(j["cooldown"], 5);
    EXPECT_EQ(j["phase_stamps"], 0);
    EXPECT_EQ(j["clock_read_ns"], 812);
    EXPECT_EQ(j["sample_overhead_ns"], 1900);
    EXPECT_NEAR(j["sample_overhead_pct"].get<double>(), 4.1, 0.01);
    Json plain = result_to_json(sample_stats());
    for (const char* k : {"warmup", "cooldown", "phase_stamps", "clock_read_ns",
                          "sample_overhead_ns", "sample_overhead_pct"})
        EXPECT_FALSE(plain.contains(k)) << k;
}

TEST(Progress, one_line_with_label_bar_share_count_and_time) {
    std::string s = render_progress(350, 1000, 3500000000ull, 10000000000ull, 80, "shootdown/ipi");
    EXPECT_EQ(s, "shootdown/ipi [" + std::string(11, '#') + std::string(21, '.') +
                     "]   35%  350/1000  3.5s of 10.0s");
    EXPECT_EQ(s.size(), 79u); // the last column would wrap
}

TEST(Progress, never_reaches_the_last_column) {
    for (size_t width = 0; width < 200; width++) {
        std::string s = render_progress(123456, 100000, 29999000000ull, 30000000000ull, width,
                                        "interlocked_queue/slist");
        EXPECT_LE(s.size(), width ? width - 1 : 0) << width;
        EXPECT_EQ(s.find('\n'), std::string::npos);
    }
}

TEST(Progress, narrow_terminals_lose_the_label_then_the_bar) {
    std::string mid =
        render_progress(350, 1000, 3500000000ull, 10000000000ull, 50, "shootdown/ipi");
    EXPECT_EQ(mid, "[" + std::string(5, '#') + std::string(11, '.') +
                       "]   35%  350/1000  3.5s of 10.0s");
    std::string narrow =
        render_progress(350, 1000, 3500000000ull, 10000000000ull, 30, "shootdown/ipi");
    EXPECT_EQ(narrow, " 35%  350/1000  3.5s of 10.0s");
}

TEST(Progress, bar_is_capped_full_at_the_end_and_clamped_past_it) {
    std::string wide = render_progress(1000, 1000, 1000000000ull, 10000000000ull, 300, "x/y");
    EXPECT_EQ(wide, "x/y [" + std::string(40, '#') + "]  100%  1000/1000  1.0s of 10.0s");
    std::string past = render_progress(1500, 1000, 1000000000ull, 10000000000ull, 300, "x/y");
    EXPECT_TRUE(contains(past, "[" + std::string(40, '#') + "]  100%  1500/1000"));
}

TEST(Progress, unknown_total_or_budget_shows_what_is_known) {
    EXPECT_EQ(render_progress(0, 0, 0, 0, 80), "[" + std::string(40, '.') + "]  0  0.0s");
    EXPECT_EQ(render_progress(7, 10, 260000000ull, 0, 80),
              "[" + std::string(28, '#') + std::string(12, '.') + "]   70%  7/10  0.3s");
}

TEST(Progress, drawn_only_when_both_streams_are_terminals_and_not_json) {
    EXPECT_TRUE(show_progress(true, true, false));
    EXPECT_FALSE(show_progress(true, true, true));
    EXPECT_FALSE(show_progress(true, false, false)); // stdout to a pipe or file
    EXPECT_FALSE(show_progress(false, true, false)); // stderr redirected
    EXPECT_FALSE(show_progress(false, false, false));
    EXPECT_FALSE(show_progress(false, false, true));
}

TEST(ResultRender, a_run_result_prints_byte_for_byte_as_the_version_1_reply) {
    NlMsgPtr v2 = run_result_notification(5);
    RunResult r2 = parse_run_end(nlmsg_hdr(v2.get())).result;
    RunResult r1 = sample_run();
    std::ostringstream a, b;
    render_result(a, r1);
    render_result(b, r2);
    EXPECT_EQ(a.str(), b.str());
    EXPECT_EQ(result_to_json(r1).dump(2), result_to_json(r2).dump(2));
    EXPECT_FALSE(result_to_json(r2).contains("cancelled"));
}

TEST(ResultRender, a_cancelled_run_says_it_was_and_why) {
    NlMsgPtr msg = run_result_notification(5, NTCORRAL_CANCEL_REQUEST);
    RunResult r = parse_run_end(nlmsg_hdr(msg.get())).result;
    std::ostringstream os;
    render_result(os, r);
    const std::string s = os.str();
    EXPECT_TRUE(contains(s, "  truncated   yes (cancelled)\n"));
    EXPECT_TRUE(
        contains(s, "  cancelled   yes, by a CANCEL request ('ntcorral cancel', or Ctrl-C)"));
    EXPECT_EQ(result_to_json(r)["cancelled"], "request");

    msg = run_result_notification(5, NTCORRAL_CANCEL_UNLOAD);
    r = parse_run_end(nlmsg_hdr(msg.get())).result;
    std::ostringstream os2;
    render_result(os2, r);
    EXPECT_TRUE(contains(os2.str(), "  cancelled   yes, because the module was being unloaded"));
    EXPECT_EQ(result_to_json(r)["cancelled"], "unload");
    // Keys in order: the cancel right after "truncated".
    Json j = result_to_json(r);
    auto it = j.find("truncated");
    ASSERT_NE(it, j.end());
    EXPECT_EQ(std::next(it).key(), "cancelled");
}
