// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: reply messages as the kernel would build them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <ntcorral.h>

#include "netlink.hpp"

namespace ntcorral::test {

inline NlMsgPtr reply_header(uint8_t cmd) {
    NlMsgPtr msg = make_msg();
    genlmsg_put(msg.get(), 0, 1, 0x20, 0, 0, cmd, NTCORRAL_FAMILY_VERSION);
    return msg;
}

// Like the kernel's nla_put_u64_64bit: a pad attribute, then the u64.
inline void put_u64_padded(nl_msg* msg, int pad_type, int type, uint64_t v) {
    nla_put(msg, pad_type, 0, nullptr);
    nla_put_u64(msg, type, v);
}

inline void put_metric(nl_msg* msg, const std::string& name, uint64_t base,
                       const std::vector<std::pair<unsigned, uint64_t>>& buckets) {
    nlattr* nest = nla_nest_start(msg, NTCORRAL_A_METRIC);
    nla_put_string(msg, NTCORRAL_METRIC_A_NAME, name.c_str());
    for (int a = NTCORRAL_METRIC_A_COUNT; a <= NTCORRAL_METRIC_A_MAX_NS; a++)
        put_u64_padded(msg, NTCORRAL_METRIC_A_PAD, a, base + static_cast<uint64_t>(a));
    uint64_t hist[NTCORRAL_HIST_BUCKETS] = {};
    for (auto [b, n] : buckets)
        hist[b] = n;
    nla_put(msg, NTCORRAL_METRIC_A_HIST, sizeof(hist), hist);
    nla_nest_end(msg, nest);
}

inline void put_counter(nl_msg* msg, const std::string& name, uint64_t value) {
    nlattr* nest = nla_nest_start(msg, NTCORRAL_A_COUNTER);
    nla_put_string(msg, NTCORRAL_COUNTER_A_NAME, name.c_str());
    put_u64_padded(msg, NTCORRAL_COUNTER_A_PAD, NTCORRAL_COUNTER_A_VALUE, value);
    nla_nest_end(msg, nest);
}

// A run reply of shootdown/ipi on CPUs 0-2,65 with two metrics and two counters.
inline NlMsgPtr run_reply(uint64_t violations = 0, uint64_t timeouts = 0, bool truncated = false) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN);
    nl_msg* m = msg.get();
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(m, NTCORRAL_A_VARIANT, "ipi");
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_RUNS, 1);
    nla_put_u32(m, NTCORRAL_A_ITERATIONS, 100);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_SAMPLES, 100);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_VIOLATIONS, violations);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_TIMEOUTS, timeouts);
    if (truncated)
        nla_put_flag(m, NTCORRAL_A_TRUNCATED);
    nla_put_u32(m, NTCORRAL_A_NR_CPUS, 4);
    nla_put_u32(m, NTCORRAL_A_INITIATOR_CPU, 0);
    uint64_t cpus[2] = {0x7, 0x2};
    nla_put(m, NTCORRAL_A_CPUS, sizeof(cpus), cpus);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_DURATION_NS, 5000000000ull);
    put_metric(m, "latency", 1000, {{11, 57}, {12, 40}, {14, 3}});
    put_metric(m, "arrival", 2000, {{5, 100}});
    put_counter(m, "ipis_sent", 300);
    put_counter(m, "spurious", 0);
    return msg;
}

// A lean run reply of a timed experiment: run_reply() plus the timing
// parameters echoed and the instrumentation's cost.
inline NlMsgPtr timed_run_reply() {
    NlMsgPtr msg = run_reply();
    nl_msg* m = msg.get();
    nla_put_u32(m, NTCORRAL_A_WARMUP, 20);
    nla_put_u32(m, NTCORRAL_A_COOLDOWN, 5);
    nla_put_u32(m, NTCORRAL_A_PHASE_STAMPS, 0);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_CLOCK_READ_NS, 812);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_SAMPLE_OVERHEAD_NS, 1900);
    return msg;
}

// A stats record: no iterations, CPUs or initiator.
inline NlMsgPtr stats_reply() {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_GET_STATS);
    nl_msg* m = msg.get();
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(m, NTCORRAL_A_VARIANT, "nmi");
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_RUNS, 7);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_SAMPLES, 700);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_VIOLATIONS, 0);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_TIMEOUTS, 0);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_DURATION_NS, 123456);
    put_metric(m, "latency", 0, {{3, 700}});
    return msg;
}

// RUN's reply (version 2): the run's id and what it runs.
inline NlMsgPtr run_started_reply(uint64_t run_id = 17) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN);
    put_u64_padded(msg.get(), NTCORRAL_A_PAD, NTCORRAL_A_RUN_ID, run_id);
    nla_put_string(msg.get(), NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(msg.get(), NTCORRAL_A_VARIANT, "ipi");
    return msg;
}

// A RUN_PROGRESS notification of run_id.
inline NlMsgPtr progress_notification(uint64_t run_id, uint64_t done, uint64_t total,
                                      uint64_t elapsed_ns, uint64_t budget_ns) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN_PROGRESS);
    nl_msg* m = msg.get();
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_RUN_ID, run_id);
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(m, NTCORRAL_A_VARIANT, "ipi");
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_DONE, done);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_TOTAL, total);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_ELAPSED_NS, elapsed_ns);
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_BUDGET_NS, budget_ns);
    return msg;
}

// A RUN_RESULT notification as the module sends it: the run id, then
// run_reply()'s attributes, then CANCELLED when a cancel ended it.
inline NlMsgPtr run_result_notification(uint64_t run_id, uint32_t cancelled = 0,
                                        uint64_t violations = 0) {
    NlMsgPtr result = run_reply(violations, 0, cancelled != 0);
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN_RESULT);
    put_u64_padded(msg.get(), NTCORRAL_A_PAD, NTCORRAL_A_RUN_ID, run_id);
    auto* gnlh = static_cast<genlmsghdr*>(nlmsg_data(nlmsg_hdr(result.get())));
    int len = genlmsg_attrlen(gnlh, 0);
    void* dst = nlmsg_reserve(msg.get(), static_cast<size_t>(len), NLMSG_ALIGNTO);
    std::memcpy(dst, genlmsg_attrdata(gnlh, 0), static_cast<size_t>(len));
    if (cancelled)
        nla_put_u32(msg.get(), NTCORRAL_A_CANCELLED, cancelled);
    return msg;
}

// A RUN_RESULT of a run that failed after it started.
inline NlMsgPtr run_failure_notification(uint64_t run_id, uint32_t error, const char* message) {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_RUN_RESULT);
    nl_msg* m = msg.get();
    put_u64_padded(m, NTCORRAL_A_PAD, NTCORRAL_A_RUN_ID, run_id);
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(m, NTCORRAL_A_VARIANT, "ipi");
    nla_put_u32(m, NTCORRAL_A_ERROR, error);
    if (message)
        nla_put_string(m, NTCORRAL_A_ERROR_MESSAGE, message);
    return msg;
}

// @flag: the variant's role flag (NTCORRAL_VARIANT_A_BASELINE, _WRONG,
// _DEFECT) or _WAITS_IN_IRQ, or 0 for none.
inline void put_variant(nl_msg* m, const char* name, const char* desc, int flag,
                        const char* refused = nullptr) {
    nlattr* v = nla_nest_start(m, NTCORRAL_A_VARIANT_INFO);
    nla_put_string(m, NTCORRAL_VARIANT_A_NAME, name);
    nla_put_string(m, NTCORRAL_VARIANT_A_DESCRIPTION, desc);
    if (flag)
        nla_put_flag(m, flag);
    if (refused)
        nla_put_string(m, NTCORRAL_VARIANT_A_REFUSED, refused);
    nla_nest_end(m, v);
}

inline void put_param(nl_msg* m, const char* name, uint32_t attr, const char* desc,
                      const char* unit, uint64_t min, uint64_t max, uint64_t def) {
    nlattr* p = nla_nest_start(m, NTCORRAL_A_PARAM_INFO);
    nla_put_string(m, NTCORRAL_PARAM_A_NAME, name);
    nla_put_u32(m, NTCORRAL_PARAM_A_ATTR, attr);
    nla_put_string(m, NTCORRAL_PARAM_A_DESCRIPTION, desc);
    nla_put_string(m, NTCORRAL_PARAM_A_UNIT, unit);
    put_u64_padded(m, NTCORRAL_PARAM_A_PAD, NTCORRAL_PARAM_A_MIN_VALUE, min);
    put_u64_padded(m, NTCORRAL_PARAM_A_PAD, NTCORRAL_PARAM_A_MAX_VALUE, max);
    put_u64_padded(m, NTCORRAL_PARAM_A_PAD, NTCORRAL_PARAM_A_DEFAULT_VALUE, def);
    nla_nest_end(m, p);
}

inline NlMsgPtr list_reply() {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_LIST_EXPERIMENTS);
    nl_msg* m = msg.get();
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "shootdown");
    nla_put_string(m, NTCORRAL_A_SEED, "000-processor-shootdown");
    nla_put_string(m, NTCORRAL_A_DESCRIPTION, "Stop every other CPU and wait for answers.");
    put_variant(m, "ipi", "IPI to every CPU", NTCORRAL_VARIANT_A_BASELINE);
    put_variant(m, "nmi", "NMI instead", NTCORRAL_VARIANT_A_WAITS_IN_IRQ);
    put_variant(m, "late", "answers late", NTCORRAL_VARIANT_A_WRONG);
    put_variant(m, "literal", "the seed as posted", NTCORRAL_VARIANT_A_DEFECT);
    put_variant(m, "sleepy", "a sleeping lock in the ISR", 0, "this kernel's locks sleep there");
    put_param(m, "iterations", NTCORRAL_A_ITERATIONS, "iterations to run", "count", 1, 100000, 100);
    put_param(m, "hold_us", NTCORRAL_A_HOLD_US, "work held", "us", 0, 10000, 5);
    put_param(m, "pci_device", NTCORRAL_A_PCI_DEVICE, "device to read", "bdf", 0, 0xffff, 0xfb);
    nla_put_string(m, NTCORRAL_A_METRIC_NAME, "latency");
    nla_put_string(m, NTCORRAL_A_METRIC_NAME, "arrival");
    return msg;
}

// LIST's message of an experiment the client has never heard of, taking a
// parameter it has never heard of either: frobs, attribute 99.
inline NlMsgPtr frobs_list_reply() {
    NlMsgPtr msg = reply_header(NTCORRAL_CMD_LIST_EXPERIMENTS);
    nl_msg* m = msg.get();
    nla_put_string(m, NTCORRAL_A_EXPERIMENT, "frobnicator");
    nla_put_string(m, NTCORRAL_A_DESCRIPTION, "Frobnicate every CPU.");
    put_variant(m, "plain", "one frob at a time", NTCORRAL_VARIANT_A_BASELINE);
    put_param(m, "iterations", NTCORRAL_A_ITERATIONS, "iterations to run", "count", 1, 100000, 100);
    put_param(m, "frobs", 99, "frobs per iteration", "count", 1, 8, 2);
    nla_put_string(m, NTCORRAL_A_METRIC_NAME, "frob");
    return msg;
}

} // namespace ntcorral::test
