// SPDX-License-Identifier: GPL-2.0
// ntcorral client: build requests and parse replies of the "ntcorral" family.
#include "messages.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include <linux/genetlink.h>
#include <netlink/attr.h>

#include "cpulist.hpp"
#include "error.hpp"

namespace ntcorral {

namespace {

NlMsgPtr new_request(int family, uint8_t cmd, int flags) {
    NlMsgPtr msg = make_msg();
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
                     NTCORRAL_FAMILY_VERSION))
        throw std::bad_alloc();
    return msg;
}

void put_string(nl_msg* msg, int attr, const std::string& value) {
    if (nla_put_string(msg, attr, value.c_str()) < 0)
        throw std::bad_alloc();
}

void put_string(nl_msg* msg, int attr, const std::optional<std::string>& value) {
    if (value)
        put_string(msg, attr, *value);
}

// A u32 or u64 attribute, when set (as nla_put_u32()/nla_put_u64() put it).
template <typename T>
void put_number(nl_msg* msg, int attr, const std::optional<T>& value) {
    static_assert(sizeof(T) == sizeof(uint32_t) || sizeof(T) == sizeof(uint64_t));
    if (value && nla_put(msg, attr, sizeof(T), &*value) < 0)
        throw std::bad_alloc();
}

// Attribute policies for validating replies (libnl checks types and lengths).
struct Policies {
    nla_policy top[NTCORRAL_A_MAX + 1] = {};
    nla_policy variant[NTCORRAL_VARIANT_A_MAX + 1] = {};
    nla_policy param[NTCORRAL_PARAM_A_MAX + 1] = {};
    nla_policy metric[NTCORRAL_METRIC_A_MAX + 1] = {};
    nla_policy counter[NTCORRAL_COUNTER_A_MAX + 1] = {};

    Policies() {
        for (int a : {NTCORRAL_A_EXPERIMENT, NTCORRAL_A_VARIANT, NTCORRAL_A_SEED,
                      NTCORRAL_A_DESCRIPTION, NTCORRAL_A_METRIC_NAME})
            top[a].type = NLA_STRING;
        for (int a : {NTCORRAL_A_ITERATIONS, NTCORRAL_A_HOLD_US, NTCORRAL_A_DEADLINE_US,
                      NTCORRAL_A_MAX_RUNTIME_MS, NTCORRAL_A_PCI_DEVICE, NTCORRAL_A_NR_CPUS,
                      NTCORRAL_A_INITIATOR_CPU, NTCORRAL_A_RATE_HZ, NTCORRAL_A_WARMUP,
                      NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS, NTCORRAL_A_BURST,
                      NTCORRAL_A_BATCH, NTCORRAL_A_CANCELLED, NTCORRAL_A_ERROR})
            top[a].type = NLA_U32;
        for (int a : {NTCORRAL_A_RUNS, NTCORRAL_A_SAMPLES, NTCORRAL_A_VIOLATIONS,
                      NTCORRAL_A_TIMEOUTS, NTCORRAL_A_DURATION_NS, NTCORRAL_A_CLOCK_READ_NS,
                      NTCORRAL_A_SAMPLE_OVERHEAD_NS, NTCORRAL_A_RUN_ID, NTCORRAL_A_DONE,
                      NTCORRAL_A_TOTAL, NTCORRAL_A_ELAPSED_NS, NTCORRAL_A_BUDGET_NS})
            top[a].type = NLA_U64;
        top[NTCORRAL_A_ERROR_MESSAGE].type = NLA_STRING;
        top[NTCORRAL_A_TRUNCATED].type = NLA_FLAG;
        top[NTCORRAL_A_CPUS].type = NLA_UNSPEC;
        top[NTCORRAL_A_CPUS].maxlen = NTCORRAL_CPUS_MAX_BYTES;
        for (int a : {NTCORRAL_A_VARIANT_INFO, NTCORRAL_A_PARAM_INFO, NTCORRAL_A_METRIC,
                      NTCORRAL_A_COUNTER})
            top[a].type = NLA_NESTED;

        variant[NTCORRAL_VARIANT_A_NAME].type = NLA_STRING;
        variant[NTCORRAL_VARIANT_A_DESCRIPTION].type = NLA_STRING;
        variant[NTCORRAL_VARIANT_A_REFUSED].type = NLA_STRING;
        for (int a : {NTCORRAL_VARIANT_A_BASELINE, NTCORRAL_VARIANT_A_WRONG,
                      NTCORRAL_VARIANT_A_DEFECT, NTCORRAL_VARIANT_A_WAITS_IN_IRQ})
            variant[a].type = NLA_FLAG;

        for (int a : {NTCORRAL_PARAM_A_NAME, NTCORRAL_PARAM_A_DESCRIPTION, NTCORRAL_PARAM_A_UNIT})
            param[a].type = NLA_STRING;
        param[NTCORRAL_PARAM_A_ATTR].type = NLA_U32;
        for (int a : {NTCORRAL_PARAM_A_MIN_VALUE, NTCORRAL_PARAM_A_MAX_VALUE,
                      NTCORRAL_PARAM_A_DEFAULT_VALUE})
            param[a].type = NLA_U64;

        metric[NTCORRAL_METRIC_A_NAME].type = NLA_STRING;
        for (int a = NTCORRAL_METRIC_A_COUNT; a <= NTCORRAL_METRIC_A_MAX_NS; a++)
            metric[a].type = NLA_U64;
        metric[NTCORRAL_METRIC_A_HIST].type = NLA_UNSPEC;
        metric[NTCORRAL_METRIC_A_HIST].maxlen = NTCORRAL_HIST_BUCKETS * sizeof(uint64_t);

        counter[NTCORRAL_COUNTER_A_NAME].type = NLA_STRING;
        counter[NTCORRAL_COUNTER_A_VALUE].type = NLA_U64;
    }
};

const Policies& policies() {
    static const Policies p;
    return p;
}

std::string get_string(nlattr* const* tb, int attr) {
    return tb[attr] ? std::string(nla_get_string(tb[attr])) : std::string();
}

uint64_t get_u64(nlattr* const* tb, int attr) {
    return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

// A u32 (T uint32_t) or u64 (T uint64_t) attribute, when present.
template <typename T>
std::optional<T> get_opt(nlattr* const* tb, int attr) {
    if (!tb[attr])
        return std::nullopt;
    if constexpr (sizeof(T) == sizeof(uint32_t))
        return nla_get_u32(tb[attr]);
    else
        return nla_get_u64(tb[attr]);
}

// The experiment and variant a reply names, into out's fields of those names.
template <typename T>
void get_names(nlattr* const* tb, T& out) {
    out.experiment = get_string(tb, NTCORRAL_A_EXPERIMENT);
    out.variant = get_string(tb, NTCORRAL_A_VARIANT);
}

// Validate the top level and return its attributes (last one of each type).
void parse_top(const nlmsghdr* hdr, nlattr* (&tb)[NTCORRAL_A_MAX + 1]) {
    auto* h = const_cast<nlmsghdr*>(hdr);
    if (int rc = genlmsg_parse(h, 0, tb, NTCORRAL_A_MAX, const_cast<nla_policy*>(policies().top));
        rc < 0)
        throw ReplyError(std::string("bad attributes: ") + nl_geterror(rc));
}

// Call fn for every top-level attribute of type `type`, in order.
template <typename Fn>
void for_each_attr(const nlmsghdr* hdr, int type, Fn fn) {
    auto* gnlh = static_cast<genlmsghdr*>(nlmsg_data(const_cast<nlmsghdr*>(hdr)));
    nlattr* pos;
    int rem;
    nla_for_each_attr(pos, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), rem) {
        if (nla_type(pos) == type)
            fn(pos);
    }
}

// The top level of a reply about one run, which must carry the run's id
// (else ReplyError(without_id)); returns the id.
uint64_t parse_run_top(const nlmsghdr* hdr, nlattr* (&tb)[NTCORRAL_A_MAX + 1],
                       const char* without_id) {
    parse_top(hdr, tb);
    if (!tb[NTCORRAL_A_RUN_ID])
        throw ReplyError(without_id);
    return nla_get_u64(tb[NTCORRAL_A_RUN_ID]);
}

// Call fn with the attributes of every top-level nest of type `type`, in
// order, each validated by `policy`; a nest without its name attribute
// `name_attr` is refused: "<what> without a name<where>".
template <size_t N, typename Fn>
void for_each_nest(const nlmsghdr* hdr, int type, const nla_policy (&policy)[N], const char* what,
                   int name_attr, const std::string& where, Fn fn) {
    for_each_attr(hdr, type, [&](nlattr* nest) {
        nlattr* tb[N];
        if (int rc = nla_parse_nested(tb, N - 1, nest, const_cast<nla_policy*>(policy)); rc < 0)
            throw ReplyError(std::string("bad ") + what + " nest: " + nl_geterror(rc));
        if (!tb[name_attr])
            throw ReplyError(std::string(what) + " without a name" + where);
        fn(static_cast<nlattr* const*>(tb));
    });
}

// The contents of the nests, their names checked by for_each_nest().
VariantInfo variant_of(nlattr* const* vt) {
    return {get_string(vt, NTCORRAL_VARIANT_A_NAME),
            get_string(vt, NTCORRAL_VARIANT_A_DESCRIPTION),
            vt[NTCORRAL_VARIANT_A_BASELINE] != nullptr,
            vt[NTCORRAL_VARIANT_A_WRONG] != nullptr,
            vt[NTCORRAL_VARIANT_A_DEFECT] != nullptr,
            get_string(vt, NTCORRAL_VARIANT_A_REFUSED),
            vt[NTCORRAL_VARIANT_A_WAITS_IN_IRQ] != nullptr};
}

ParamInfo param_of(nlattr* const* pt) {
    ParamInfo p;
    p.name = get_string(pt, NTCORRAL_PARAM_A_NAME);
    p.attr = get_opt<uint32_t>(pt, NTCORRAL_PARAM_A_ATTR).value_or(0);
    p.description = get_string(pt, NTCORRAL_PARAM_A_DESCRIPTION);
    p.unit = get_string(pt, NTCORRAL_PARAM_A_UNIT);
    p.min = get_u64(pt, NTCORRAL_PARAM_A_MIN_VALUE);
    p.max = get_u64(pt, NTCORRAL_PARAM_A_MAX_VALUE);
    p.def = get_u64(pt, NTCORRAL_PARAM_A_DEFAULT_VALUE);
    return p;
}

Metric metric_of(nlattr* const* mt) {
    Metric m;
    m.name = get_string(mt, NTCORRAL_METRIC_A_NAME);
    m.count = get_u64(mt, NTCORRAL_METRIC_A_COUNT);
    m.min = get_u64(mt, NTCORRAL_METRIC_A_MIN_NS);
    m.mean = get_u64(mt, NTCORRAL_METRIC_A_MEAN_NS);
    m.p50 = get_u64(mt, NTCORRAL_METRIC_A_P50_NS);
    m.p90 = get_u64(mt, NTCORRAL_METRIC_A_P90_NS);
    m.p99 = get_u64(mt, NTCORRAL_METRIC_A_P99_NS);
    m.max = get_u64(mt, NTCORRAL_METRIC_A_MAX_NS);
    if (nlattr* h = mt[NTCORRAL_METRIC_A_HIST]) {
        size_t len = static_cast<size_t>(nla_len(h));
        if (len % sizeof(uint64_t))
            throw ReplyError("histogram of " + std::to_string(len) + " bytes");
        std::memcpy(m.hist.data(), nla_data(h), len);
    }
    return m;
}

Counter counter_of(nlattr* const* ct) {
    return {get_string(ct, NTCORRAL_COUNTER_A_NAME), get_u64(ct, NTCORRAL_COUNTER_A_VALUE)};
}

} // namespace

std::string option_name(std::string_view param) {
    std::string flag = "--" + std::string(param);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

std::string option_for_attr(uint32_t attr, const std::vector<ParamInfo>& params) {
    // The client's own syntax: a CPU list, a BB:DD.F.
    if (attr == NTCORRAL_A_CPUS)
        return "--cpus";
    if (attr == NTCORRAL_A_PCI_DEVICE)
        return "--pci-device";
    for (const auto& p : params)
        if (p.attr == attr)
            return option_name(p.name);
    return "";
}

NlMsgPtr build_list_request(int family, const std::optional<std::string>& experiment) {
    NlMsgPtr msg = new_request(family, NTCORRAL_CMD_LIST_EXPERIMENTS, NLM_F_DUMP);
    put_string(msg.get(), NTCORRAL_A_EXPERIMENT, experiment);
    return msg;
}

NlMsgPtr build_run_request(int family, const RunRequest& req) {
    NlMsgPtr msg = new_request(family, NTCORRAL_CMD_RUN, 0);
    put_string(msg.get(), NTCORRAL_A_EXPERIMENT, req.experiment);
    put_string(msg.get(), NTCORRAL_A_VARIANT, req.variant);
    if (req.cpus &&
        nla_put(msg.get(), NTCORRAL_A_CPUS, static_cast<int>(req.cpus->size() * sizeof(uint64_t)),
                req.cpus->data()) < 0)
        throw std::bad_alloc();
    for (const auto& [attr, value] : req.params)
        put_number(msg.get(), static_cast<int>(attr), std::optional<uint32_t>(value));
    return msg;
}

namespace {

// GET_RESULT and CANCEL: the command and the run id, when given.
NlMsgPtr build_run_id_request(int family, uint8_t cmd, std::optional<uint64_t> run_id) {
    NlMsgPtr msg = new_request(family, cmd, 0);
    put_number(msg.get(), NTCORRAL_A_RUN_ID, run_id);
    return msg;
}

} // namespace

NlMsgPtr build_get_result_request(int family, std::optional<uint64_t> run_id) {
    return build_run_id_request(family, NTCORRAL_CMD_GET_RESULT, run_id);
}

NlMsgPtr build_cancel_request(int family, std::optional<uint64_t> run_id) {
    return build_run_id_request(family, NTCORRAL_CMD_CANCEL, run_id);
}

uint8_t message_cmd(const nlmsghdr* hdr) {
    if (hdr->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
        return NTCORRAL_CMD_UNSPEC;
    return static_cast<const genlmsghdr*>(nlmsg_data(const_cast<nlmsghdr*>(hdr)))->cmd;
}

std::optional<uint64_t> message_run_id(const nlmsghdr* hdr) {
    if (hdr->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
        return std::nullopt;
    std::optional<uint64_t> id;
    for_each_attr(hdr, NTCORRAL_A_RUN_ID, [&](nlattr* a) {
        if (nla_len(a) == sizeof(uint64_t))
            id = nla_get_u64(a);
    });
    return id;
}

NlMsgPtr build_stats_request(int family, uint8_t cmd, const std::optional<std::string>& experiment,
                             const std::optional<std::string>& variant) {
    NlMsgPtr msg = new_request(family, cmd, cmd == NTCORRAL_CMD_GET_STATS ? NLM_F_DUMP : 0);
    put_string(msg.get(), NTCORRAL_A_EXPERIMENT, experiment);
    put_string(msg.get(), NTCORRAL_A_VARIANT, variant);
    return msg;
}

ExperimentInfo parse_experiment(const nlmsghdr* hdr) {
    nlattr* tb[NTCORRAL_A_MAX + 1];
    parse_top(hdr, tb);
    if (!tb[NTCORRAL_A_EXPERIMENT])
        throw ReplyError("experiment without a name");

    ExperimentInfo info;
    info.name = get_string(tb, NTCORRAL_A_EXPERIMENT);
    info.seed = get_string(tb, NTCORRAL_A_SEED);
    info.description = get_string(tb, NTCORRAL_A_DESCRIPTION);

    const std::string in = " in " + info.name;
    for_each_nest(hdr, NTCORRAL_A_VARIANT_INFO, policies().variant, "variant",
                  NTCORRAL_VARIANT_A_NAME, in,
                  [&](nlattr* const* vt) { info.variants.push_back(variant_of(vt)); });
    for_each_nest(hdr, NTCORRAL_A_PARAM_INFO, policies().param, "parameter", NTCORRAL_PARAM_A_NAME,
                  in, [&](nlattr* const* pt) { info.params.push_back(param_of(pt)); });
    for_each_attr(hdr, NTCORRAL_A_METRIC_NAME,
                  [&](nlattr* a) { info.metric_names.emplace_back(nla_get_string(a)); });
    return info;
}

RunResult parse_result(const nlmsghdr* hdr) {
    nlattr* tb[NTCORRAL_A_MAX + 1];
    parse_top(hdr, tb);
    if (!tb[NTCORRAL_A_EXPERIMENT] || !tb[NTCORRAL_A_VARIANT])
        throw ReplyError("result without experiment or variant");

    RunResult r;
    get_names(tb, r);
    r.runs = get_u64(tb, NTCORRAL_A_RUNS);
    r.iterations = get_opt<uint32_t>(tb, NTCORRAL_A_ITERATIONS);
    r.samples = get_u64(tb, NTCORRAL_A_SAMPLES);
    r.violations = get_u64(tb, NTCORRAL_A_VIOLATIONS);
    r.timeouts = get_u64(tb, NTCORRAL_A_TIMEOUTS);
    r.truncated = tb[NTCORRAL_A_TRUNCATED] != nullptr;
    r.nr_cpus = get_opt<uint32_t>(tb, NTCORRAL_A_NR_CPUS);
    r.initiator_cpu = get_opt<uint32_t>(tb, NTCORRAL_A_INITIATOR_CPU);
    if (nlattr* a = tb[NTCORRAL_A_CPUS]) {
        size_t len = static_cast<size_t>(nla_len(a));
        if (len % sizeof(uint64_t))
            throw ReplyError("CPU bitmap of " + std::to_string(len) + " bytes");
        std::vector<uint64_t> words(len / sizeof(uint64_t));
        std::memcpy(words.data(), nla_data(a), len);
        r.cpus = cpus_from_bitmap(words);
    }
    r.duration_ns = get_u64(tb, NTCORRAL_A_DURATION_NS);
    r.warmup = get_opt<uint32_t>(tb, NTCORRAL_A_WARMUP);
    r.cooldown = get_opt<uint32_t>(tb, NTCORRAL_A_COOLDOWN);
    r.phase_stamps = get_opt<uint32_t>(tb, NTCORRAL_A_PHASE_STAMPS);
    r.batch = get_opt<uint32_t>(tb, NTCORRAL_A_BATCH);
    r.clock_read_ns = get_opt<uint64_t>(tb, NTCORRAL_A_CLOCK_READ_NS);
    r.sample_overhead_ns = get_opt<uint64_t>(tb, NTCORRAL_A_SAMPLE_OVERHEAD_NS);
    r.cancelled = get_opt<uint32_t>(tb, NTCORRAL_A_CANCELLED).value_or(NTCORRAL_CANCEL_NONE);

    for_each_nest(hdr, NTCORRAL_A_METRIC, policies().metric, "metric", NTCORRAL_METRIC_A_NAME, "",
                  [&](nlattr* const* mt) { r.metrics.push_back(metric_of(mt)); });
    for_each_nest(hdr, NTCORRAL_A_COUNTER, policies().counter, "counter", NTCORRAL_COUNTER_A_NAME,
                  "", [&](nlattr* const* ct) { r.counters.push_back(counter_of(ct)); });
    return r;
}

RunStarted parse_run_started(const nlmsghdr* hdr) {
    nlattr* tb[NTCORRAL_A_MAX + 1];
    RunStarted s;
    s.run_id = parse_run_top(hdr, tb,
                             "RUN answered without a run id; is the module older than the client?");
    get_names(tb, s);
    if (!s.run_id)
        throw ReplyError("run id 0");
    return s;
}

RunProgress parse_progress(const nlmsghdr* hdr) {
    nlattr* tb[NTCORRAL_A_MAX + 1];
    RunProgress p;
    p.run_id = parse_run_top(hdr, tb, "progress without a run id");
    get_names(tb, p);
    p.done = get_u64(tb, NTCORRAL_A_DONE);
    p.total = get_u64(tb, NTCORRAL_A_TOTAL);
    p.elapsed_ns = get_u64(tb, NTCORRAL_A_ELAPSED_NS);
    p.budget_ns = get_u64(tb, NTCORRAL_A_BUDGET_NS);
    return p;
}

RunEnd parse_run_end(const nlmsghdr* hdr) {
    nlattr* tb[NTCORRAL_A_MAX + 1];
    RunEnd e;
    e.run_id = parse_run_top(hdr, tb, "run result without a run id");
    if (tb[NTCORRAL_A_ERROR]) {
        RunFailure f;
        get_names(tb, f);
        f.error = static_cast<int>(nla_get_u32(tb[NTCORRAL_A_ERROR]));
        f.message = get_string(tb, NTCORRAL_A_ERROR_MESSAGE);
        if (f.error <= 0)
            throw ReplyError("run failure with errno " + std::to_string(f.error));
        e.failure = std::move(f);
        return e;
    }
    e.result = parse_result(hdr);
    return e;
}

bool family_deleted(const nlmsghdr* hdr, int family) {
    if (hdr->nlmsg_type != GENL_ID_CTRL || message_cmd(hdr) != CTRL_CMD_DELFAMILY)
        return false;
    auto* gnlh = static_cast<genlmsghdr*>(nlmsg_data(const_cast<nlmsghdr*>(hdr)));
    nlattr* id = nla_find(genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), CTRL_ATTR_FAMILY_ID);
    return id && nla_len(id) >= static_cast<int>(sizeof(uint16_t)) && nla_get_u16(id) == family;
}

} // namespace ntcorral
