// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: request building and reply parsing.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include <linux/genetlink.h>

#include "cpulist.hpp"
#include "error.hpp"
#include "fake_replies.hpp"
#include "messages.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

constexpr int kFamily = 0x1234;

struct Parsed {
    genlmsghdr* gnlh;
    nlmsghdr* hdr;
    nlattr* tb[NTCORRAL_A_MAX + 1];
};

Parsed parse_request(nl_msg* msg) {
    Parsed p{};
    p.hdr = nlmsg_hdr(msg);
    p.gnlh = static_cast<genlmsghdr*>(nlmsg_data(p.hdr));
    EXPECT_EQ(genlmsg_parse(p.hdr, 0, p.tb, NTCORRAL_A_MAX, nullptr), 0);
    return p;
}

int count_present(const Parsed& p) {
    int n = 0;
    for (int a = 1; a <= NTCORRAL_A_MAX; a++)
        n += p.tb[a] != nullptr;
    return n;
}

// A run request of shootdown/<variant>, nothing else set.
RunRequest shootdown(const char* variant = "ipi") {
    RunRequest req;
    req.experiment = "shootdown";
    req.variant = variant;
    return req;
}

// Each attribute is present, a u32 of the value given.
void expect_u32s(const Parsed& p, std::initializer_list<std::pair<int, uint32_t>> want) {
    for (auto [a, value] : want) {
        ASSERT_TRUE(p.tb[a]) << a;
        EXPECT_EQ(nla_len(p.tb[a]), 4) << a;
        EXPECT_EQ(nla_get_u32(p.tb[a]), value) << a;
    }
}

// Where attribute a starts in the request, from its netlink header.
uint32_t offset_of(const Parsed& p, int a) {
    return static_cast<uint32_t>(reinterpret_cast<char*>(p.tb[a]) - reinterpret_cast<char*>(p.hdr));
}

// Parameters as LIST names them.
std::vector<ParamInfo> params(std::initializer_list<std::pair<const char*, uint32_t>> named) {
    std::vector<ParamInfo> out;
    for (auto [name, attr] : named) {
        out.emplace_back();
        out.back().name = name;
        out.back().attr = attr;
    }
    return out;
}

// The option each attribute is set by, with `listed` the parameters LIST
// names.
void expect_options(const std::vector<ParamInfo>& listed,
                    std::initializer_list<std::pair<int, const char*>> want) {
    for (auto [a, flag] : want)
        EXPECT_EQ(option_for_attr(static_cast<uint32_t>(a), listed), flag) << a;
}

} // namespace

TEST(RunRequest, carries_every_given_option_with_its_type) {
    RunRequest req = shootdown();
    req.params[NTCORRAL_A_ITERATIONS] = 500;
    req.cpus = parse_cpu_list("0-3,65");
    req.params[NTCORRAL_A_HOLD_US] = 7;
    req.params[NTCORRAL_A_DEADLINE_US] = 1000;
    req.params[NTCORRAL_A_MAX_RUNTIME_MS] = 250;
    req.params[NTCORRAL_A_PCI_DEVICE] = parse_pci_device("00:1f.3");
    NlMsgPtr msg = build_run_request(kFamily, req);
    Parsed p = parse_request(msg.get());

    EXPECT_EQ(p.hdr->nlmsg_type, kFamily);
    EXPECT_EQ(p.hdr->nlmsg_flags & NLM_F_DUMP, 0);
    EXPECT_EQ(p.gnlh->cmd, NTCORRAL_CMD_RUN);
    EXPECT_EQ(p.gnlh->version, NTCORRAL_FAMILY_VERSION);
    EXPECT_EQ(count_present(p), 8);

    ASSERT_TRUE(p.tb[NTCORRAL_A_EXPERIMENT]);
    EXPECT_STREQ(nla_get_string(p.tb[NTCORRAL_A_EXPERIMENT]), "shootdown");
    EXPECT_EQ(nla_len(p.tb[NTCORRAL_A_EXPERIMENT]), 10); // with the NUL
    EXPECT_STREQ(nla_get_string(p.tb[NTCORRAL_A_VARIANT]), "ipi");
    expect_u32s(p, {{NTCORRAL_A_ITERATIONS, 500},
                    {NTCORRAL_A_HOLD_US, 7},
                    {NTCORRAL_A_DEADLINE_US, 1000},
                    {NTCORRAL_A_MAX_RUNTIME_MS, 250},
                    {NTCORRAL_A_PCI_DEVICE, 0x00fb}});

    ASSERT_TRUE(p.tb[NTCORRAL_A_CPUS]);
    ASSERT_EQ(nla_len(p.tb[NTCORRAL_A_CPUS]), 16);
    uint64_t words[2];
    std::memcpy(words, nla_data(p.tb[NTCORRAL_A_CPUS]), sizeof(words));
    EXPECT_EQ(words[0], 0xfu);
    EXPECT_EQ(words[1], 0x2u);
}

TEST(RunRequest, unspecified_options_are_not_sent) {
    RunRequest req = shootdown("nmi");
    NlMsgPtr msg = build_run_request(kFamily, req);
    Parsed p = parse_request(msg.get());
    EXPECT_EQ(count_present(p), 2);
    EXPECT_TRUE(p.tb[NTCORRAL_A_EXPERIMENT]);
    EXPECT_TRUE(p.tb[NTCORRAL_A_VARIANT]);

    req.params[NTCORRAL_A_HOLD_US] = 0; // zero is a value, not "unset"
    msg = build_run_request(kFamily, req);
    p = parse_request(msg.get());
    EXPECT_EQ(count_present(p), 3);
    ASSERT_TRUE(p.tb[NTCORRAL_A_HOLD_US]);
    EXPECT_EQ(nla_get_u32(p.tb[NTCORRAL_A_HOLD_US]), 0u);
}

TEST(RunRequest, extack_offsets_map_back_to_the_attribute) {
    RunRequest req = shootdown();
    req.params[NTCORRAL_A_ITERATIONS] = 0;
    req.params[NTCORRAL_A_HOLD_US] = 3;
    NlMsgPtr msg = build_run_request(kFamily, req);
    Parsed p = parse_request(msg.get());
    for (int a :
         {NTCORRAL_A_EXPERIMENT, NTCORRAL_A_VARIANT, NTCORRAL_A_ITERATIONS, NTCORRAL_A_HOLD_US}) {
        uint32_t off = offset_of(p, a);
        EXPECT_EQ(request_attr_at(p.hdr, off), a);
        EXPECT_EQ(request_attr_at(p.hdr, off + 4), -1) << "inside an attribute";
    }
    EXPECT_EQ(request_attr_at(p.hdr, 0), -1);
    EXPECT_EQ(request_attr_at(p.hdr, p.hdr->nlmsg_len), -1);
    expect_options(params({{"iterations", NTCORRAL_A_ITERATIONS}}),
                   {{NTCORRAL_A_ITERATIONS, "--iterations"},
                    {NTCORRAL_A_PCI_DEVICE, "--pci-device"},
                    {NTCORRAL_A_CPUS, "--cpus"},
                    {NTCORRAL_A_HOLD_US, ""}, // not listed
                    {NTCORRAL_A_EXPERIMENT, ""}});
}

TEST(RunRequest, carries_the_timing_options_and_the_burst) {
    RunRequest req = shootdown();
    req.params[NTCORRAL_A_WARMUP] = 20;
    req.params[NTCORRAL_A_COOLDOWN] = 5;
    req.params[NTCORRAL_A_PHASE_STAMPS] = 0; // lean is a value, not "unset"
    req.params[NTCORRAL_A_BURST] = 64;
    req.params[NTCORRAL_A_BATCH] = 10;
    NlMsgPtr msg = build_run_request(kFamily, req);
    Parsed p = parse_request(msg.get());
    EXPECT_EQ(count_present(p), 7);
    expect_u32s(p, {{NTCORRAL_A_BATCH, 10},
                    {NTCORRAL_A_WARMUP, 20},
                    {NTCORRAL_A_COOLDOWN, 5},
                    {NTCORRAL_A_PHASE_STAMPS, 0},
                    {NTCORRAL_A_BURST, 64}});
}

TEST(RunRequest, extack_names_the_timing_options) {
    RunRequest req = shootdown();
    req.params[NTCORRAL_A_WARMUP] = 1;
    req.params[NTCORRAL_A_COOLDOWN] = 2;
    req.params[NTCORRAL_A_PHASE_STAMPS] = 3;
    req.params[NTCORRAL_A_BURST] = 4;
    NlMsgPtr msg = build_run_request(kFamily, req);
    Parsed p = parse_request(msg.get());
    for (int a :
         {NTCORRAL_A_WARMUP, NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS, NTCORRAL_A_BURST})
        EXPECT_EQ(request_attr_at(p.hdr, offset_of(p, a)), a);
    expect_options(params({{"warmup", NTCORRAL_A_WARMUP},
                           {"phase_stamps", NTCORRAL_A_PHASE_STAMPS},
                           {"rate_hz", NTCORRAL_A_RATE_HZ},
                           {"frobs", 99}}),
                   {{NTCORRAL_A_WARMUP, "--warmup"},
                    {NTCORRAL_A_PHASE_STAMPS, "--phase-stamps"},
                    {NTCORRAL_A_RATE_HZ, "--rate-hz"},
                    {99, "--frobs"},
                    {NTCORRAL_A_CLOCK_READ_NS, ""}});
}

TEST(ListRequest, is_a_dump_optionally_filtered) {
    NlMsgPtr msg = build_list_request(kFamily);
    Parsed p = parse_request(msg.get());
    EXPECT_EQ(p.gnlh->cmd, NTCORRAL_CMD_LIST_EXPERIMENTS);
    EXPECT_EQ(p.hdr->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
    EXPECT_EQ(count_present(p), 0);

    msg = build_list_request(kFamily, std::string("dpc"));
    p = parse_request(msg.get());
    EXPECT_EQ(count_present(p), 1);
    EXPECT_STREQ(nla_get_string(p.tb[NTCORRAL_A_EXPERIMENT]), "dpc");
}

TEST(StatsRequest, get_is_a_dump_and_reset_is_a_do) {
    NlMsgPtr msg = build_stats_request(kFamily, NTCORRAL_CMD_GET_STATS, std::string("shootdown"),
                                       std::string("ipi"));
    Parsed p = parse_request(msg.get());
    EXPECT_EQ(p.gnlh->cmd, NTCORRAL_CMD_GET_STATS);
    EXPECT_EQ(p.hdr->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
    EXPECT_STREQ(nla_get_string(p.tb[NTCORRAL_A_EXPERIMENT]), "shootdown");
    EXPECT_STREQ(nla_get_string(p.tb[NTCORRAL_A_VARIANT]), "ipi");

    msg = build_stats_request(kFamily, NTCORRAL_CMD_RESET_STATS);
    p = parse_request(msg.get());
    EXPECT_EQ(p.gnlh->cmd, NTCORRAL_CMD_RESET_STATS);
    EXPECT_EQ(p.hdr->nlmsg_flags & NLM_F_DUMP, 0);
    EXPECT_EQ(count_present(p), 0);
}

TEST(ParseResult, run_reply_fills_every_field) {
    NlMsgPtr msg = run_reply(2, 1, true);
    RunResult r = parse_result(nlmsg_hdr(msg.get()));
    EXPECT_EQ(r.experiment, "shootdown");
    EXPECT_EQ(r.variant, "ipi");
    EXPECT_EQ(r.runs, 1u);
    ASSERT_TRUE(r.iterations);
    EXPECT_EQ(*r.iterations, 100u);
    EXPECT_EQ(r.samples, 100u);
    EXPECT_EQ(r.violations, 2u);
    EXPECT_EQ(r.timeouts, 1u);
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(r.nr_cpus, 4u);
    EXPECT_EQ(r.initiator_cpu, 0u);
    ASSERT_TRUE(r.cpus);
    EXPECT_EQ(*r.cpus, (std::vector<unsigned>{0, 1, 2, 65}));
    EXPECT_EQ(r.duration_ns, 5000000000ull);

    ASSERT_EQ(r.metrics.size(), 2u);
    const Metric& m = r.metrics[0];
    EXPECT_EQ(m.name, "latency");
    EXPECT_EQ(m.count, 1000u + NTCORRAL_METRIC_A_COUNT);
    EXPECT_EQ(m.min, 1000u + NTCORRAL_METRIC_A_MIN_NS);
    EXPECT_EQ(m.mean, 1000u + NTCORRAL_METRIC_A_MEAN_NS);
    EXPECT_EQ(m.p50, 1000u + NTCORRAL_METRIC_A_P50_NS);
    EXPECT_EQ(m.p90, 1000u + NTCORRAL_METRIC_A_P90_NS);
    EXPECT_EQ(m.p99, 1000u + NTCORRAL_METRIC_A_P99_NS);
    EXPECT_EQ(m.max, 1000u + NTCORRAL_METRIC_A_MAX_NS);
    EXPECT_EQ(m.hist[11], 57u);
    EXPECT_EQ(m.hist[12], 40u);
    EXPECT_EQ(m.hist[14], 3u);
    EXPECT_EQ(m.hist[13], 0u);
    EXPECT_EQ(r.metrics[1].name, "arrival");
    EXPECT_EQ(r.metrics[1].hist[5], 100u);

    ASSERT_EQ(r.counters.size(), 2u);
    EXPECT_EQ(r.counters[0].name, "ipis_sent");
    EXPECT_EQ(r.counters[0].value, 300u);
    EXPECT_EQ(r.counters[1].name, "spurious");
    EXPECT_EQ(r.counters[1].value, 0u);
}

TEST(ParseResult, stats_record_leaves_run_only_fields_unset) {
    NlMsgPtr msg = stats_reply();
    RunResult r = parse_result(nlmsg_hdr(msg.get()));
    EXPECT_EQ(r.variant, "nmi");
    EXPECT_EQ(r.runs, 7u);
    EXPECT_FALSE(r.iterations);
    EXPECT_FALSE(r.nr_cpus);
    EXPECT_FALSE(r.initiator_cpu);
    EXPECT_FALSE(r.cpus);
    EXPECT_FALSE(r.truncated);
    ASSERT_EQ(r.metrics.size(), 1u);
    EXPECT_TRUE(r.counters.empty());
}

TEST(ParseResult, timed_run_reply_has_the_timing_and_the_instrumentation) {
    NlMsgPtr msg = timed_run_reply();
    RunResult r = parse_result(nlmsg_hdr(msg.get()));
    EXPECT_EQ(r.warmup, 20u);
    EXPECT_EQ(r.cooldown, 5u);
    ASSERT_TRUE(r.phase_stamps);
    EXPECT_EQ(*r.phase_stamps, 0u);
    EXPECT_EQ(r.clock_read_ns, 812u);
    EXPECT_EQ(r.sample_overhead_ns, 1900u);
    EXPECT_EQ(r.metrics.size(), 2u);
}

TEST(ParseResult, run_and_stats_without_them_leave_them_unset) {
    for (bool stats : {false, true}) {
        NlMsgPtr msg = stats ? stats_reply() : run_reply();
        RunResult r = parse_result(nlmsg_hdr(msg.get()));
        EXPECT_FALSE(r.warmup);
        EXPECT_FALSE(r.cooldown);
        EXPECT_FALSE(r.phase_stamps);
        EXPECT_FALSE(r.clock_read_ns);
        EXPECT_FALSE(r.sample_overhead_ns);
    }
}

TEST(ParseResult, rejects_a_u32_instrumentation_figure) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(msg.get(), NTCORRAL_A_VARIANT, "ipi");
    nla_put_u32(msg.get(), NTCORRAL_A_SAMPLE_OVERHEAD_NS, 5); // u64 expected
    EXPECT_THROW(parse_result(nlmsg_hdr(msg.get())), ReplyError);
}

TEST(ParseResult, rejects_missing_names_and_bad_lengths) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "shootdown");
    EXPECT_THROW(parse_result(nlmsg_hdr(msg.get())), ReplyError);

    msg = reply_header(NTCORRAL_CMD_RUN);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(msg.get(), NTCORRAL_A_VARIANT, "ipi");
    nla_put_u32(msg.get(), NTCORRAL_A_SAMPLES, 5); // u64 expected
    EXPECT_THROW(parse_result(nlmsg_hdr(msg.get())), ReplyError);

    msg = reply_header(NTCORRAL_CMD_RUN);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(msg.get(), NTCORRAL_A_VARIANT, "ipi");
    nla_put(msg.get(), NTCORRAL_A_CPUS, 3, "abc");
    EXPECT_THROW(parse_result(nlmsg_hdr(msg.get())), ReplyError);
}

TEST(ParseResult, ignores_attributes_newer_than_the_client) {
    NlMsgPtr msg = stats_reply();
    nla_put_u32(msg.get(), NTCORRAL_A_MAX + 5, 42);
    EXPECT_EQ(parse_result(nlmsg_hdr(msg.get())).runs, 7u);
}

TEST(ParseExperiment, fills_variants_params_and_metrics_in_order) {
    NlMsgPtr msg = list_reply();
    ExperimentInfo e = parse_experiment(nlmsg_hdr(msg.get()));
    EXPECT_EQ(e.name, "shootdown");
    EXPECT_EQ(e.seed, "000-processor-shootdown");
    EXPECT_EQ(e.description, "Stop every other CPU and wait for answers.");
    ASSERT_EQ(e.variants.size(), 5u);
    EXPECT_EQ(e.variants[0].name, "ipi");
    EXPECT_EQ(e.variants[0].description, "IPI to every CPU");
    EXPECT_TRUE(e.variants[0].baseline);
    EXPECT_FALSE(e.variants[0].wrong || e.variants[0].defect);
    EXPECT_EQ(e.variants[1].name, "nmi");
    EXPECT_FALSE(e.variants[1].baseline || e.variants[1].wrong || e.variants[1].defect);
    EXPECT_TRUE(e.variants[1].waits_in_irq);
    EXPECT_FALSE(e.variants[0].waits_in_irq || e.variants[3].waits_in_irq);
    EXPECT_TRUE(e.variants[2].wrong);
    EXPECT_FALSE(e.variants[2].baseline || e.variants[2].defect);
    EXPECT_TRUE(e.variants[3].defect);
    EXPECT_FALSE(e.variants[3].baseline || e.variants[3].wrong);
    EXPECT_TRUE(e.variants[3].refused.empty());
    EXPECT_EQ(e.variants[4].refused, "this kernel's locks sleep there");
    ASSERT_EQ(e.params.size(), 3u);
    EXPECT_EQ(e.params[1].name, "hold_us");
    EXPECT_EQ(e.params[1].attr, uint32_t{NTCORRAL_A_HOLD_US});
    EXPECT_EQ(e.params[1].unit, "us");
    EXPECT_EQ(e.params[1].description, "work held");
    EXPECT_EQ(e.params[1].min, 0u);
    EXPECT_EQ(e.params[1].max, 10000u);
    EXPECT_EQ(e.params[1].def, 5u);
    EXPECT_EQ(e.params[0].max, 100000u);
    EXPECT_EQ(e.metric_names, (std::vector<std::string>{"latency", "arrival"}));
}

TEST(ParseExperiment, rejects_a_variant_without_a_name) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_LIST_EXPERIMENTS);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "x");
    nlattr* v = nla_nest_start(msg.get(), NTCORRAL_A_VARIANT_INFO);
    nla_put_flag(msg.get(), NTCORRAL_VARIANT_A_BASELINE);
    nla_nest_end(msg.get(), v);
    EXPECT_THROW(parse_experiment(nlmsg_hdr(msg.get())), ReplyError);
}

TEST(ResultRequests, get_result_and_cancel_are_dos_with_an_optional_run_id) {
    for (uint8_t cmd : {NTCORRAL_CMD_GET_RESULT, NTCORRAL_CMD_CANCEL}) {
        auto build = [&](std::optional<uint64_t> id) {
            return cmd == NTCORRAL_CMD_GET_RESULT ? build_get_result_request(kFamily, id)
                                                  : build_cancel_request(kFamily, id);
        };
        NlMsgPtr any = build(std::nullopt);
        Parsed p = parse_request(any.get());
        EXPECT_EQ(p.hdr->nlmsg_type, kFamily);
        EXPECT_EQ(p.hdr->nlmsg_flags & NLM_F_DUMP, 0);
        EXPECT_EQ(p.gnlh->cmd, cmd);
        EXPECT_EQ(count_present(p), 0);

        NlMsgPtr one = build(42);
        Parsed q = parse_request(one.get());
        EXPECT_EQ(count_present(q), 1);
        ASSERT_TRUE(q.tb[NTCORRAL_A_RUN_ID]);
        EXPECT_EQ(nla_len(q.tb[NTCORRAL_A_RUN_ID]), 8);
        EXPECT_EQ(nla_get_u64(q.tb[NTCORRAL_A_RUN_ID]), 42u);
    }
}

TEST(ParseRunStarted, takes_the_run_id_experiment_and_variant) {
    NlMsgPtr msg = run_started_reply(17);
    RunStarted s = parse_run_started(nlmsg_hdr(msg.get()));
    EXPECT_EQ(s.run_id, 17u);
    EXPECT_EQ(s.experiment, "shootdown");
    EXPECT_EQ(s.variant, "ipi");
}

TEST(ParseRunStarted, a_version_1_reply_without_a_run_id_is_rejected) {
    NlMsgPtr msg = run_reply();
    EXPECT_THROW(parse_run_started(nlmsg_hdr(msg.get())), ReplyError);
    msg = run_started_reply(0);
    EXPECT_THROW(parse_run_started(nlmsg_hdr(msg.get())), ReplyError);
}

TEST(ParseProgress, fills_every_field) {
    NlMsgPtr msg = progress_notification(9, 350, 1000, 3500000000ull, 10000000000ull);
    const nlmsghdr* h = nlmsg_hdr(msg.get());
    EXPECT_EQ(message_cmd(h), NTCORRAL_CMD_RUN_PROGRESS);
    EXPECT_EQ(message_run_id(h), 9u);
    RunProgress p = parse_progress(h);
    EXPECT_EQ(p.run_id, 9u);
    EXPECT_EQ(p.experiment, "shootdown");
    EXPECT_EQ(p.variant, "ipi");
    EXPECT_EQ(p.done, 350u);
    EXPECT_EQ(p.total, 1000u);
    EXPECT_EQ(p.elapsed_ns, 3500000000ull);
    EXPECT_EQ(p.budget_ns, 10000000000ull);
}

TEST(ParseRunEnd, a_finished_run_is_the_result_layout_with_its_id_and_no_cancel) {
    NlMsgPtr msg = run_result_notification(5);
    const nlmsghdr* h = nlmsg_hdr(msg.get());
    EXPECT_EQ(message_cmd(h), NTCORRAL_CMD_RUN_RESULT);
    EXPECT_EQ(message_run_id(h), 5u);
    RunEnd e = parse_run_end(h);
    EXPECT_EQ(e.run_id, 5u);
    EXPECT_FALSE(e.failure);
    EXPECT_EQ(e.result.cancelled, uint32_t{NTCORRAL_CANCEL_NONE});
    EXPECT_FALSE(e.result.truncated);
    EXPECT_EQ(e.result.experiment, "shootdown");
    EXPECT_EQ(e.result.samples, 100u);
    EXPECT_EQ(e.result.metrics.size(), 2u);
    EXPECT_EQ(e.result.counters.size(), 2u);
}

TEST(ParseRunEnd, a_cancelled_run_says_why) {
    for (uint32_t why : {NTCORRAL_CANCEL_REQUEST, NTCORRAL_CANCEL_UNLOAD}) {
        NlMsgPtr msg = run_result_notification(6, why);
        RunEnd e = parse_run_end(nlmsg_hdr(msg.get()));
        EXPECT_FALSE(e.failure);
        EXPECT_EQ(e.result.cancelled, why);
        EXPECT_TRUE(e.result.truncated);
    }
}

TEST(ParseRunEnd, a_run_that_failed_after_it_started_gives_its_errno_and_sentence) {
    NlMsgPtr msg = run_failure_notification(7, EBUSY, "a CPU still owes an answer");
    RunEnd e = parse_run_end(nlmsg_hdr(msg.get()));
    EXPECT_EQ(e.run_id, 7u);
    ASSERT_TRUE(e.failure);
    EXPECT_EQ(e.failure->error, EBUSY);
    EXPECT_EQ(e.failure->message, "a CPU still owes an answer");
    EXPECT_EQ(e.failure->experiment, "shootdown");
    EXPECT_EQ(e.failure->variant, "ipi");

    msg = run_failure_notification(7, ENOMEM, nullptr);
    e = parse_run_end(nlmsg_hdr(msg.get()));
    ASSERT_TRUE(e.failure);
    EXPECT_EQ(e.failure->error, ENOMEM);
    EXPECT_EQ(e.failure->message, "");
}

TEST(ParseRunEnd, rejects_a_result_without_a_run_id_or_an_errno_0) {
    NlMsgPtr msg = run_reply();
    EXPECT_FALSE(message_run_id(nlmsg_hdr(msg.get())));
    EXPECT_THROW(parse_run_end(nlmsg_hdr(msg.get())), ReplyError);
    msg = run_failure_notification(7, 0, "no error");
    EXPECT_THROW(parse_run_end(nlmsg_hdr(msg.get())), ReplyError);
}

TEST(FamilyDeleted, only_nlctrls_delfamily_of_that_family) {
    auto ctrl = [](uint8_t cmd, uint16_t id) {
        NlMsgPtr msg = make_msg();
        genlmsg_put(msg.get(), 0, 0, GENL_ID_CTRL, 0, 0, cmd, 2);
        nla_put_string(msg.get(), CTRL_ATTR_FAMILY_NAME, "ntcorral");
        nla_put_u16(msg.get(), CTRL_ATTR_FAMILY_ID, id);
        return msg;
    };
    NlMsgPtr del = ctrl(CTRL_CMD_DELFAMILY, 0x21);
    EXPECT_TRUE(family_deleted(nlmsg_hdr(del.get()), 0x21));
    EXPECT_FALSE(family_deleted(nlmsg_hdr(del.get()), 0x22));
    NlMsgPtr add = ctrl(CTRL_CMD_NEWFAMILY, 0x21);
    EXPECT_FALSE(family_deleted(nlmsg_hdr(add.get()), 0x21));
    // The family's own message of the same number (RUN is 2) is not nlctrl's.
    NlMsgPtr own = run_started_reply();
    ASSERT_EQ(message_cmd(nlmsg_hdr(own.get())), CTRL_CMD_DELFAMILY);
    EXPECT_FALSE(family_deleted(nlmsg_hdr(own.get()), 0x20));
}
