// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral bench`, interleaved repetitions of every variant
// of each experiment, their summary against the baseline and a reference
// with a confidence interval over the repetitions, the instrumentation's own
// cost, and more rounds until the targets' verdicts settle.
#include "bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include <sys/utsname.h>
#include <unistd.h>

#include "cli.hpp"
#include "cpulist.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "netlink.hpp"
#include "run.hpp"
#include "targets.hpp"

namespace ntcorral {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        if (!trim(cur).empty())
            out.push_back(trim(cur));
    return out;
}

const Metric* primary(const RunResult& r) {
    return r.metrics.empty() ? nullptr : &r.metrics.front();
}

std::optional<uint64_t> counter(const RunResult& r, const std::string& name) {
    for (const auto& c : r.counters)
        if (c.name == name)
            return c.value;
    return std::nullopt;
}

std::string mark(uint64_t n) {
    return std::to_string(n) + (n ? "  !!!" : "");
}

// An interval of ratios that has the baseline (1.00x) inside it.
bool contains_one(const std::optional<Interval>& ci) {
    return ci && ci->exists() && ci->lo <= 1.0 && ci->hi >= 1.0;
}

// A figure taken round by round: the median of the per-round values, their
// spread and the median's interval (none of them without values).
struct PerRound {
    std::optional<double> median;
    std::optional<Spread> spread;
    std::optional<Interval> ci;
};

PerRound per_round(const std::vector<double>& v) {
    if (v.empty())
        return {};
    return {ntcorral::median(v), spread(v), median_interval(v)};
}

Json opt_json(const std::optional<double>& v) {
    return v ? Json(*v) : Json(nullptr);
}

Json spread_json(const std::optional<Spread>& s) {
    return s ? Json{{"min", s->min}, {"max", s->max}} : Json(nullptr);
}

std::string pct(const std::optional<double>& v, bool sign = false) {
    if (!v)
        return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof(buf), sign ? "%+.1f%%" : "%.1f%%", *v);
    return buf;
}

// One row's runs, round by round (nullptr where a round lacks it).
using Lane = std::vector<const RunResult*>;

Lane variant_lane(const BenchExperiment& e, size_t i) {
    Lane out;
    for (const auto& rep : e.reps)
        out.push_back(i < rep.size() ? &rep[i] : nullptr);
    return out;
}

Lane reference_lane(const BenchExperiment& e) {
    Lane out;
    for (const auto& r : e.reference_reps)
        out.push_back(&r);
    return out;
}

// A row's own figures: p50, p99 and max of the primary metric, the
// instrumentation, what the phase stamps add, and every run's failures.
BenchRow row_of(const std::string& variant, const Lane& runs, const RunResult* warmup,
                const RunResult* stamped) {
    BenchRow row;
    row.variant = variant;
    std::vector<double> p50, p99, clock, overhead, share;
    auto failures = [&](const RunResult& r) {
        row.violations += r.violations;
        row.timeouts += r.timeouts;
        row.truncated += r.truncated;
    };
    for (const RunResult* r : runs) {
        if (!r)
            continue;
        if (const Metric* m = primary(*r)) {
            p50.push_back(double(m->p50));
            p99.push_back(double(m->p99));
            row.max = std::max(row.max, m->max);
        }
        if (r->clock_read_ns)
            clock.push_back(double(*r->clock_read_ns));
        if (r->sample_overhead_ns) { // per iteration: a batch shares its timestamps
            double o = double(*r->sample_overhead_ns) / double(std::max(1u, r->batch.value_or(1)));
            overhead.push_back(o);
            // Its share of the same run's p50: round by round, as a ratio.
            if (const Metric* m = primary(*r))
                if (auto q = ratio(o, double(m->p50)))
                    share.push_back(*q * 100);
        }
        failures(*r);
    }
    if (warmup)
        failures(*warmup);
    if (stamped)
        failures(*stamped);
    row.median_p50 = median(p50);
    row.p99 = median(p99);
    if (!clock.empty())
        row.clock_read_ns = median(clock);
    if (!overhead.empty())
        row.sample_overhead_ns = median(overhead);
    PerRound sh = per_round(share);
    row.overhead_pct = sh.median;
    row.overhead_ci = sh.ci;
    if (const Metric* m = stamped ? primary(*stamped) : nullptr) {
        row.stamped_p50 = double(m->p50);
        if (auto q = ratio(double(m->p50), row.median_p50))
            row.stamps_overhead_pct = (*q - 1) * 100;
    }
    return row;
}

// Lane `a` against lane `b`, round by round: each round's p50 over the same
// round's, their median, spread and interval. With `same_metric`, a round
// counts only where both primary metrics have the same name (a variant
// against its baseline); a round without a run or with a p50 of 0 in `b`
// does not count.
PerRound p50_ratio(const Lane& a, const Lane& b, bool same_metric) {
    std::vector<double> q;
    for (size_t k = 0; k < a.size() && k < b.size(); k++) {
        const Metric* m = a[k] ? primary(*a[k]) : nullptr;
        const Metric* bm = b[k] ? primary(*b[k]) : nullptr;
        if (m && bm && (!same_metric || m->name == bm->name))
            if (auto r = ratio(double(m->p50), double(bm->p50)))
                q.push_back(*r);
    }
    return per_round(q);
}

void set_ratio(BenchRow& row, const PerRound& r) {
    row.ratio = r.median;
    row.ratio_spread = r.spread;
    row.ratio_ci = r.ci;
}

void set_ratio_to_reference(BenchRow& row, const PerRound& r) {
    row.ratio_to_reference = r.median;
    row.reference_spread = r.spread;
    row.reference_ci = r.ci;
}

// Every *_per_sec counter of `a`, against the same counter of `b`.
std::vector<ThroughputRow> throughput_of(const Lane& a, const Lane& b) {
    std::vector<std::string> counters;
    for (const RunResult* r : a)
        for (const auto& c : r ? r->counters : std::vector<Counter>{})
            if (ends_with(c.name, "_per_sec") &&
                std::find(counters.begin(), counters.end(), c.name) == counters.end())
                counters.push_back(c.name);
    std::vector<ThroughputRow> out;
    for (const auto& name : counters) {
        ThroughputRow t;
        t.counter = name;
        std::vector<double> mine, q;
        for (size_t k = 0; k < a.size(); k++) {
            auto v = a[k] ? counter(*a[k], name) : std::nullopt;
            auto bv = k < b.size() && b[k] ? counter(*b[k], name) : std::nullopt;
            if (v)
                mine.push_back(double(*v));
            if (v && bv)
                if (auto r = ratio(double(*v), double(*bv)))
                    q.push_back(*r);
        }
        t.median = median(mine);
        PerRound r = per_round(q);
        t.ratio = r.median;
        t.ratio_spread = r.spread;
        t.ratio_ci = r.ci;
        out.push_back(std::move(t));
    }
    return out;
}

std::string row_name(const BenchRow& row) {
    return row.reference ? row.experiment + "/" + row.variant : row.variant;
}

Json row_json(const BenchRow& row) {
    Json tp = Json::object();
    for (const auto& t : row.throughput)
        tp[t.counter] = {{"median", t.median},
                         {"ratio", opt_json(t.ratio)},
                         {"ratio_spread", spread_json(t.ratio_spread)},
                         {"ratio_ci", interval_json(t.ratio_ci)}};
    Json j = {{"variant", row.variant}, {"baseline", row.baseline}, {"reference", row.reference}};
    if (row.reference)
        j["experiment"] = row.experiment;
    j.update(Json{{"median_p50_ns", row.median_p50},
                  {"p99_ns", row.p99},
                  {"max_ns", row.max},
                  {"ratio", opt_json(row.ratio)},
                  {"ratio_spread", spread_json(row.ratio_spread)},
                  {"ratio_ci", interval_json(row.ratio_ci)},
                  {"throughput", std::move(tp)},
                  {"ratio_to_reference", opt_json(row.ratio_to_reference)},
                  {"ratio_to_reference_spread", spread_json(row.reference_spread)},
                  {"ratio_to_reference_ci", interval_json(row.reference_ci)},
                  {"clock_read_ns", opt_json(row.clock_read_ns)},
                  {"sample_overhead_ns", opt_json(row.sample_overhead_ns)},
                  {"overhead_pct", opt_json(row.overhead_pct)},
                  {"overhead_ci", interval_json(row.overhead_ci)},
                  {"stamped_p50_ns", opt_json(row.stamped_p50)},
                  {"stamps_overhead_pct", opt_json(row.stamps_overhead_pct)},
                  {"violations", row.violations},
                  {"timeouts", row.timeouts},
                  {"truncated", row.truncated}});
    return j;
}

Json request_json(const RunRequest& r) {
    Json j = Json::object();
    // The parameters bench sets, under LIST's names, in this order.
    static const std::pair<const char*, uint32_t> names[] = {
        {"iterations", NTCORRAL_A_ITERATIONS},
        {"deadline_us", NTCORRAL_A_DEADLINE_US},
        {"max_runtime_ms", NTCORRAL_A_MAX_RUNTIME_MS},
        {"warmup", NTCORRAL_A_WARMUP},
        {"cooldown", NTCORRAL_A_COOLDOWN},
        {"phase_stamps", NTCORRAL_A_PHASE_STAMPS},
        {"batch", NTCORRAL_A_BATCH},
        {"hold_us", NTCORRAL_A_HOLD_US},
        {"burst", NTCORRAL_A_BURST},
        {"rate_hz", NTCORRAL_A_RATE_HZ}};
    for (const auto& [name, attr] : names)
        put_if(j, name, r.param(attr));
    if (auto pci = r.param(NTCORRAL_A_PCI_DEVICE))
        j["pci_device"] = format_pci_device(*pci);
    return j;
}

Json opt_result_json(const std::optional<RunResult>& r) {
    return r ? result_to_json(*r) : Json(nullptr);
}

// "60", "0.25": seconds as given.
std::string seconds(double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", v);
    return buf;
}

// --until-conclusive's cap: as given, else the default (or --repetitions
// where that is more).
uint32_t repetition_cap(const BenchOptions& opts) {
    return opts.max_repetitions.value_or(std::max(kBenchDefaultMaxRepetitions, opts.repetitions));
}

std::string one_decimal(double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", v);
    return buf;
}

// What the interval of n values is: which order statistics, what coverage;
// or that there is none.
std::string interval_note(size_t n) {
    const size_t k = median_rank(n);
    if (!k)
        return "none: a 95% interval of the median takes at least " +
               std::to_string(min_repetitions()) + " repetitions, here " + std::to_string(n) +
               " (more --repetitions, or --until-conclusive)";
    return "a distribution-free interval of that median, the k-th lowest..k-th highest of the n "
           "ratios; n=" +
           std::to_string(n) + ", k=" + std::to_string(k) + ": " +
           one_decimal(median_coverage(n, k) * 100) + "% coverage";
}

} // namespace

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::optional<Spread> spread(const std::vector<double>& v) {
    if (v.empty())
        return std::nullopt;
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return Spread{*lo, *hi};
}

std::vector<Slot> interleaved_order(size_t variants, unsigned repetitions) {
    std::vector<Slot> out;
    for (unsigned r = 0; r < repetitions; r++)
        for (size_t v = 0; v < variants; v++)
            out.push_back({r, v});
    return out;
}

std::optional<double> ratio(double a, double b) {
    if (b == 0)
        return std::nullopt;
    return a / b;
}

// The interval of a ratio's median: the order statistics, not a bootstrap.
// With the handful of repetitions a bench affords (6 to a few dozen) a
// percentile bootstrap of the median covers less than it claims (about 93%
// for a nominal 95% at 5 to 9 normal values, in a simulation of ours), it
// hands out an interval at 5 values where none at 95% exists, and its seed
// is one more thing a verdict would hang on. The order statistics give an
// exact coverage with no assumption on the distribution of the ratios (the
// rounds independent aside), the same interval for the same values, and say
// plainly when there are too few values for any: 5 reach 93.75% at best.
double median_coverage(size_t n, size_t k) {
    if (k < 1 || 2 * k > n + 1)
        return 0;
    // 1 - 2 P(B <= k - 1): the median is below x(k) when fewer than k values
    // are below it, above x(n-k+1) likewise. n <= a few thousand: 2^-n and
    // the binomial terms stay within a long double.
    long double term = std::pow(0.5L, static_cast<long double>(n)); // P(B = 0)
    long double below = 0;
    for (size_t i = 0; i < k; i++) {
        below += term;
        term = term * static_cast<long double>(n - i) / static_cast<long double>(i + 1);
    }
    return static_cast<double>(1 - 2 * below);
}

size_t median_rank(size_t n, double confidence) {
    size_t k = 0;
    // The coverage falls as k grows: the last k that reaches it.
    while (median_coverage(n, k + 1) >= confidence)
        k++;
    return k;
}

size_t min_repetitions(double confidence) {
    size_t n = 1;
    while (median_rank(n, confidence) == 0)
        n++;
    return n;
}

std::optional<Interval> median_interval(std::vector<double> v, double confidence) {
    if (v.empty())
        return std::nullopt;
    Interval ci;
    ci.n = v.size();
    ci.k = median_rank(ci.n, confidence);
    if (!ci.exists())
        return ci;
    std::sort(v.begin(), v.end());
    ci.level = median_coverage(ci.n, ci.k);
    ci.lo = v[ci.k - 1];
    ci.hi = v[ci.n - ci.k];
    return ci;
}

uint32_t bench_queue_items(uint32_t iterations) {
    uint64_t items = uint64_t(iterations) * kBenchBurst;
    return uint32_t(std::min<uint64_t>(items, NTCORRAL_MAX_ITERATIONS));
}

RunRequest bench_request(const ExperimentInfo& exp, const BenchOptions& opts, bool stamped) {
    RunRequest base;
    base.experiment = exp.name;
    auto& p = base.params;
    p[NTCORRAL_A_ITERATIONS] = opts.iterations;
    p[NTCORRAL_A_DEADLINE_US] = kBenchDeadlineUs;
    p[NTCORRAL_A_MAX_RUNTIME_MS] = kBenchMaxRuntimeMs;
    p[NTCORRAL_A_WARMUP] = opts.warmup;
    p[NTCORRAL_A_COOLDOWN] = opts.cooldown;
    if (takes_param(exp, NTCORRAL_A_PHASE_STAMPS)) {
        p[NTCORRAL_A_PHASE_STAMPS] = stamped ? 1 : 0;
        // The stamped round times phases: one iteration at a time.
        if (opts.batch > 1 && !stamped)
            p[NTCORRAL_A_BATCH] = opts.batch;
        p[NTCORRAL_A_HOLD_US] = 0;
        // The corral's own cost: no raw PCI read in the window either.
        p[NTCORRAL_A_PCI_DEVICE] = NTCORRAL_PCI_DEVICE_NONE;
    }
    if (takes_param(exp, NTCORRAL_A_BURST)) {
        p[NTCORRAL_A_BURST] = kBenchBurst;
        p[NTCORRAL_A_RATE_HZ] = kBenchRateHz;
        p[NTCORRAL_A_ITERATIONS] = bench_queue_items(opts.iterations);
    }
    return request_for(base, exp);
}

std::optional<BenchReference> reference_for(const std::string& experiment) {
    static const std::vector<std::pair<std::string, BenchReference>> table = {
        {"shootdown", {"ipi_barrier", "bare_ipi"}},
    };
    for (const auto& [name, ref] : table)
        if (name == experiment)
            return ref;
    return std::nullopt;
}

void summarize(BenchExperiment& e) {
    e.rows.clear();
    e.reference_row.reset();
    size_t nv = e.variants.size();
    std::optional<size_t> base;
    for (size_t i = 0; i < nv; i++)
        if (e.variants[i] == e.baseline)
            base = i;
    for (const auto& rep : e.reps)
        for (const auto& r : rep)
            if (e.metric.empty() && primary(r))
                e.metric = primary(r)->name;

    for (size_t i = 0; i < nv; i++) {
        BenchRow row =
            row_of(e.variants[i], variant_lane(e, i), i < e.warmup.size() ? &e.warmup[i] : nullptr,
                   i < e.stamped.size() ? &e.stamped[i] : nullptr);
        row.baseline = base && *base == i;
        e.rows.push_back(std::move(row));
    }
    const Lane ref_lane = reference_lane(e);
    if (e.reference && !e.reference_reps.empty()) {
        BenchRow row = row_of(e.reference->variant, ref_lane,
                              e.reference_warmup ? &*e.reference_warmup : nullptr,
                              e.reference_stamped ? &*e.reference_stamped : nullptr);
        row.reference = true;
        row.experiment = e.reference->experiment;
        e.reference_row = std::move(row);
    }

    // Ratios to the baseline, round by round (the same round of the
    // interleaving): each round's run against that round's baseline, so a
    // drift between rounds cancels out. The reference's metric is another
    // experiment's: its rounds count whatever the names.
    if (base) {
        const Lane base_lane = variant_lane(e, *base);
        for (size_t i = 0; i < nv; i++) {
            BenchRow& row = e.rows[i];
            set_ratio(row, p50_ratio(variant_lane(e, i), base_lane, true));
            row.throughput = throughput_of(variant_lane(e, i), base_lane);
        }
        if (e.reference_row)
            set_ratio(*e.reference_row, p50_ratio(ref_lane, base_lane, false));
    }
    if (e.reference_row) {
        for (size_t i = 0; i < nv; i++)
            set_ratio_to_reference(e.rows[i], p50_ratio(variant_lane(e, i), ref_lane, false));
        set_ratio_to_reference(*e.reference_row, p50_ratio(ref_lane, ref_lane, false));
    }
}

BenchHost parse_cpuinfo(const std::string& cpuinfo) {
    BenchHost h;
    std::istringstream in(cpuinfo);
    bool hypervisor = false;
    for (std::string line; std::getline(in, line);) {
        size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string key = trim(line.substr(0, colon));
        std::string value = trim(line.substr(colon + 1));
        if (key == "model name" && h.cpu_model.empty())
            h.cpu_model = value;
        if (key == "flags") {
            std::istringstream flags(value);
            for (std::string f; flags >> f;)
                if (f == "hypervisor")
                    hypervisor = true;
        }
    }
    h.emulated = hypervisor || h.cpu_model.find("QEMU") != std::string::npos;
    return h;
}

BenchHost probe_host() {
    std::ifstream f("/proc/cpuinfo");
    std::stringstream text;
    text << f.rdbuf();
    BenchHost h = parse_cpuinfo(text.str());
    struct utsname u {};
    if (uname(&u) == 0)
        h.kernel = u.release;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    h.online_cpus = n > 0 ? unsigned(n) : 0;
    return h;
}

BenchExperiment bench_experiment(const ExperimentInfo& exp, const BenchOptions& opts,
                                 const BenchRunner& run,
                                 const std::function<void(const RunResult&)>& on_run,
                                 const std::vector<ExperimentInfo>& module) {
    BenchExperiment e;
    e.experiment = exp.name;
    for (const auto& v : exp.variants) {
        // Not run on this kernel (LIST says why): nothing to measure.
        if (!v.refused.empty())
            continue;
        e.variants.push_back(v.name);
        if (v.baseline)
            e.baseline = v.name;
    }
    if (!exp.metric_names.empty())
        e.metric = exp.metric_names.front();
    e.request = bench_request(exp, opts);
    const RunRequest stamped_req = bench_request(exp, opts, true);

    // The reference rides in every round as one more variant.
    std::optional<RunRequest> ref_req, ref_stamped_req;
    if (auto ref = reference_for(exp.name)) {
        auto it = std::find_if(module.begin(), module.end(), [&](const ExperimentInfo& x) {
            return x.name == ref->experiment &&
                   std::any_of(x.variants.begin(), x.variants.end(),
                               [&](const VariantInfo& v) { return v.name == ref->variant; });
        });
        if (it != module.end()) {
            e.reference = *ref;
            ref_req = bench_request(*it, opts);
            ref_stamped_req = bench_request(*it, opts, true);
            ref_req->variant = ref_stamped_req->variant = ref->variant;
            e.reference_request = ref_req;
        } else {
            e.reference_note =
                ref->experiment + "/" + ref->variant + " is not in the module's list";
        }
    }
    const size_t nv = e.variants.size();
    const size_t lanes = nv + (ref_req ? 1 : 0);

    auto one = [&](size_t v, bool stamped) {
        RunRequest req;
        if (v < nv) {
            req = stamped ? stamped_req : e.request;
            req.variant = e.variants[v];
        } else {
            req = stamped ? *ref_stamped_req : *ref_req;
        }
        RunResult r = run(req);
        if (on_run)
            on_run(r);
        return r;
    };
    // One run of every lane, into `to` and (the reference's) `ref_to`.
    auto every_lane = [&](bool stamped, std::vector<RunResult>& to,
                          std::optional<RunResult>& ref_to) {
        for (size_t v = 0; v < lanes; v++) {
            RunResult r = one(v, stamped);
            if (v < nv)
                to.push_back(std::move(r));
            else
                ref_to = std::move(r);
        }
    };
    every_lane(false, e.warmup, e.reference_warmup);
    e.reps.assign(opts.repetitions, {});
    for (const Slot& s : interleaved_order(lanes, opts.repetitions)) {
        RunResult r = one(s.variant, false);
        if (s.variant < nv)
            e.reps[s.repetition].push_back(std::move(r));
        else
            e.reference_reps.push_back(std::move(r));
    }
    if (takes_param(exp, NTCORRAL_A_PHASE_STAMPS))
        every_lane(true, e.stamped, e.reference_stamped);
    summarize(e);
    return e;
}

void bench_round(BenchExperiment& e, const BenchRunner& run,
                 const std::function<void(const RunResult&)>& on_run) {
    auto one = [&](const RunRequest& req) {
        RunResult r = run(req);
        if (on_run)
            on_run(r);
        return r;
    };
    std::vector<RunResult> round;
    for (const auto& v : e.variants) {
        RunRequest req = e.request;
        req.variant = v;
        round.push_back(one(req));
    }
    // The round counts only as a whole: a run that throws (a cancel) leaves
    // the experiment as it was.
    std::optional<RunResult> ref;
    if (e.reference && e.reference_request)
        ref = one(*e.reference_request);
    e.reps.push_back(std::move(round));
    if (ref)
        e.reference_reps.push_back(std::move(*ref));
    summarize(e);
}

double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

BenchExtension
extend_until_conclusive(std::vector<BenchExperiment>& exps, const BenchOptions& opts,
                        const BenchRunner& run, const BenchClock& clock, double started,
                        const BenchUnsettled& unsettled,
                        const std::function<void(const BenchExperiment&, double)>& on_round) {
    const uint32_t cap = repetition_cap(opts);
    const double budget = opts.budget_s.value_or(0);
    BenchExtension ext;
    // The experiments `unsettled` names, in the bench's order.
    auto named = [&] {
        std::vector<size_t> out;
        std::vector<std::string> names = unsettled(exps);
        for (size_t i = 0; i < exps.size(); i++)
            if (std::find(names.begin(), names.end(), exps[i].experiment) != names.end())
                out.push_back(i);
        return out;
    };
    auto finish = [&](bool budget_reached) {
        ext.budget = budget_reached;
        ext.elapsed_s = clock() - started;
        for (auto& e : exps)
            e.stop = BenchStop::None;
        for (size_t i : named()) {
            if (exps[i].reps.size() >= cap)
                exps[i].stop = BenchStop::Cap;
            else if (budget_reached)
                exps[i].stop = BenchStop::Budget;
        }
        return ext;
    };
    for (;;) {
        std::vector<size_t> todo;
        for (size_t i : named())
            if (exps[i].reps.size() < cap)
                todo.push_back(i);
        if (todo.empty())
            return finish(false);
        for (size_t i : todo) {
            if (clock() - started >= budget)
                return finish(true);
            bench_round(exps[i], run);
            ext.rounds++;
            if (on_round)
                on_round(exps[i], clock() - started);
        }
    }
}

std::string format_ratio(const std::optional<double>& r) {
    if (!r)
        return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2fx", *r);
    return buf;
}

std::string format_spread(const std::optional<Spread>& s) {
    if (!s)
        return "n/a";
    return format_ratio(s->min) + ".." + format_ratio(s->max);
}

std::string format_interval(const std::optional<Interval>& ci, const std::string& unit) {
    if (!ci)
        return "n/a";
    if (!ci->exists())
        return "none, n=" + std::to_string(ci->n) + " < " + std::to_string(min_repetitions());
    if (unit == "%")
        return pct(ci->lo) + ".." + pct(ci->hi);
    return format_ratio(ci->lo) + ".." + format_ratio(ci->hi);
}

Json interval_json(const std::optional<Interval>& ci) {
    if (!ci)
        return nullptr;
    auto or_null = [&](double v) { return ci->exists() ? Json(v) : Json(nullptr); };
    return {{"method", "order statistics of the median"},
            {"confidence", kConfidence},
            {"n", ci->n},
            {"k", ci->exists() ? Json(ci->k) : Json(nullptr)},
            {"level", or_null(ci->level)},
            {"lo", or_null(ci->lo)},
            {"hi", or_null(ci->hi)}};
}

std::vector<const BenchRow*> rows_and_reference(const BenchExperiment& e) {
    std::vector<const BenchRow*> rows;
    for (const auto& row : e.rows)
        rows.push_back(&row);
    if (e.reference_row)
        rows.push_back(&*e.reference_row);
    return rows;
}

namespace {

// The heading of an experiment's bench table: what it measured and how.
void render_bench_heading(std::ostream& os, const BenchExperiment& e, unsigned iterations) {
    const size_t reps = e.reps.size();
    os << e.experiment << ": p50 of " << (e.metric.empty() ? "the primary metric" : e.metric)
       << ", " << reps << (reps == 1 ? " repetition" : " repetitions") << " of " << iterations
       << " iterations, interleaved after a warm-up; ";
    if (e.baseline.empty())
        os << "no baseline variant, no ratios\n";
    else
        os << "ratios to the baseline " << e.baseline << " of this bench\n";

    // How every run was made, where it differs from the module's defaults.
    std::vector<std::string> how;
    const RunRequest& q = e.request;
    auto warmup = q.param(NTCORRAL_A_WARMUP), cooldown = q.param(NTCORRAL_A_COOLDOWN);
    if (warmup || cooldown)
        how.push_back(std::to_string(warmup.value_or(0)) + " warm-up and " +
                      std::to_string(cooldown.value_or(0)) +
                      " cool-down iterations in the module, not recorded");
    if (q.param(NTCORRAL_A_PHASE_STAMPS) == 0u)
        how.push_back("lean (no clock read inside the timed window)");
    if (auto batch = q.param(NTCORRAL_A_BATCH); batch && *batch > 1)
        how.push_back("in batches of " + std::to_string(*batch) +
                      " iterations timed together (bookkeeping between them included)");
    if (auto hold = q.param(NTCORRAL_A_HOLD_US))
        how.push_back("hold " + std::to_string(*hold) + "us");
    if (q.param(NTCORRAL_A_PCI_DEVICE) == uint32_t{NTCORRAL_PCI_DEVICE_NONE})
        how.push_back("no PCI read in the window");
    if (auto burst = q.param(NTCORRAL_A_BURST))
        how.push_back(
            std::to_string(q.param(NTCORRAL_A_ITERATIONS).value_or(0)) +
            " items per producer, burst " + std::to_string(*burst) + " at " +
            std::to_string(q.param(NTCORRAL_A_RATE_HZ).value_or(NTCORRAL_DEFAULT_RATE_HZ)) +
            " Hz (the producers saturate the queue: a throughput figure)");
    if (!e.stamped.empty())
        how.push_back("then one round with phase stamps on");
    for (size_t i = 0; i < how.size(); i++)
        os << (i ? ", " : "  runs: ") << how[i] << (i + 1 == how.size() ? "\n" : "");
    if (e.reference_row)
        os << "  reference: " << row_name(*e.reference_row)
           << ", run in the same rounds after the variants (A B C R A B C R ...)\n";
    else if (!e.reference_note.empty())
        os << "  reference: not measured, " << e.reference_note << '\n';
}

// The columns a bench table has beyond the fixed ones.
struct BenchColumns {
    bool overhead = false, stamps = false, ref = false;
    std::vector<std::string> counters; // a throughput's value, ratio and interval each
};

BenchColumns bench_columns(const BenchExperiment& e, const std::vector<const BenchRow*>& rows) {
    BenchColumns c;
    for (const BenchRow* row : rows) {
        c.overhead |= row->overhead_pct.has_value();
        c.stamps |= row->stamps_overhead_pct.has_value();
        for (const auto& t : row->throughput)
            if (std::find(c.counters.begin(), c.counters.end(), t.counter) == c.counters.end())
                c.counters.push_back(t.counter);
    }
    c.ref = e.reference_row.has_value();
    return c;
}

// A ratio's interval: "baseline" on the baseline's own row; " *" (and
// `footnote` set) where it holds 1.00x.
std::string interval_cell(const BenchRow& row, const std::optional<Interval>& ci, bool& footnote) {
    std::string cell = row.baseline ? "baseline" : format_interval(ci);
    if (!row.baseline && contains_one(ci)) {
        cell += " *";
        footnote = true;
    }
    return cell;
}

// One row of the bench table.
std::vector<std::string> bench_cells(const BenchExperiment& e, const BenchRow& row,
                                     const BenchColumns& c, bool& footnote) {
    std::string sp = interval_cell(row, row.ratio_ci, footnote);
    std::vector<std::string> cells = {row_name(row),
                                      format_ns(uint64_t(row.median_p50 + 0.5)),
                                      format_ns(uint64_t(row.p99 + 0.5)),
                                      format_ns(row.max),
                                      e.baseline.empty() ? "" : format_ratio(row.ratio),
                                      e.baseline.empty() ? "" : sp};
    if (c.ref) {
        cells.push_back(row.reference ? "reference" : format_ratio(row.ratio_to_reference));
        cells.push_back(row.reference ? "" : format_interval(row.reference_ci));
    }
    for (const auto& counter : c.counters) {
        auto it = std::find_if(row.throughput.begin(), row.throughput.end(),
                               [&](const ThroughputRow& x) { return x.counter == counter; });
        if (it == row.throughput.end()) {
            cells.insert(cells.end(), {"", "", ""});
            continue;
        }
        std::string tsp = interval_cell(row, it->ratio_ci, footnote);
        cells.push_back(std::to_string(uint64_t(it->median + 0.5)));
        cells.push_back(format_ratio(it->ratio));
        cells.push_back(tsp);
    }
    if (c.overhead)
        cells.push_back(row.overhead_pct ? pct(row.overhead_pct) : "");
    if (c.stamps)
        cells.push_back(row.stamps_overhead_pct ? pct(row.stamps_overhead_pct, true) : "");
    cells.push_back(mark(row.violations));
    cells.push_back(mark(row.timeouts));
    return cells;
}

} // namespace

void render_bench(std::ostream& os, const BenchExperiment& e, unsigned iterations) {
    render_bench_heading(os, e, iterations);
    const size_t reps = e.reps.size();
    const std::vector<const BenchRow*> rows = rows_and_reference(e);
    const BenchColumns c = bench_columns(e, rows);

    std::vector<std::string> header = {"variant", "median", "p99", "max", "ratio", "95% CI"};
    if (c.ref) {
        header.push_back("to ref");
        header.push_back("95% CI");
    }
    for (const auto& counter : c.counters) {
        header.push_back(counter);
        header.push_back("ratio");
        header.push_back("95% CI");
    }
    if (c.overhead)
        header.push_back("overhead");
    if (c.stamps)
        header.push_back("stamps");
    header.push_back("violations");
    header.push_back("timeouts");
    Table t(header);
    bool footnote = false;
    uint64_t violations = 0, timeouts = 0, truncated = 0;
    for (const BenchRow* row : rows) {
        t.add(bench_cells(e, *row, c, footnote));
        violations += row->violations;
        timeouts += row->timeouts;
        truncated += row->truncated;
    }
    t.print(os, "  ");
    if (!e.baseline.empty() || c.ref) {
        os << "  ratio: the median of the per-repetition ratios, each run against the baseline's "
              "run of the same round\n";
        os << "  95% CI: " << interval_note(reps) << '\n';
    }
    if (footnote)
        os << "  * the interval contains 1.00x: no clear difference from the baseline\n";
    if (c.ref)
        os << "  to ref: the same against the reference's run of the same round\n";
    if (c.overhead)
        os << "  overhead: an empty timed sample (two timestamps and a recorded sample, measured "
              "by the module before each run) as a share of the median\n";
    if (c.stamps)
        os << "  stamps: what the phase timestamps add to the median when they are on (one "
              "round)\n";
    size_t runs = e.variants.size() * reps + e.reference_reps.size() + e.stamped.size() +
                  (e.reference_stamped ? 1 : 0);
    size_t warmups = e.warmup.size() + (e.reference_warmup ? 1 : 0);
    os << "  " << e.experiment << ": " << runs << " runs + " << warmups << " warm-up, "
       << violations << " violations, " << timeouts << " timeouts";
    if (truncated)
        os << ", " << truncated << " truncated (the run budget ended them early)";
    os << ((violations || timeouts) ? "  !!!\n" : "\n");
}

Json bench_host_to_json(const BenchHost& h) {
    return {{"kernel", h.kernel},
            {"cpu_model", h.cpu_model},
            {"online_cpus", h.online_cpus},
            {"emulated", h.emulated}};
}

Json bench_to_json(const BenchHost& host, const BenchOptions& opts,
                   const std::vector<BenchExperiment>& exps) {
    Json j;
    j["host"] = bench_host_to_json(host);
    j["params"] = {
        {"iterations", opts.iterations},
        {"repetitions", opts.repetitions},
        {"until_conclusive", opts.until_conclusive},
        {"budget_s", opts.budget_s ? Json(*opts.budget_s) : Json(nullptr)},
        {"max_repetitions", opts.until_conclusive ? Json(repetition_cap(opts)) : Json(nullptr)},
        {"confidence", kConfidence},
        {"interval", "order statistics of the median of the per-repetition values"},
        {"warmup", opts.warmup},
        {"cooldown", opts.cooldown},
        {"deadline_us", kBenchDeadlineUs},
        {"max_runtime_ms", kBenchMaxRuntimeMs},
        {"order", "one warm-up run of each variant, discarded; then the repetitions "
                  "interleaved, every variant in turn and the reference last; then, "
                  "where the experiment takes phase_stamps, one round with them on; "
                  "with --until-conclusive, more rounds after it"}};
    uint64_t violations = 0, timeouts = 0;
    Json list = Json::array();
    for (const auto& e : exps) {
        Json summary = Json::array();
        for (const auto& row : e.rows) {
            summary.push_back(row_json(row));
            violations += row.violations;
            timeouts += row.timeouts;
        }
        Json reps = Json::array();
        for (const auto& rep : e.reps)
            reps.push_back(results_to_json(rep));
        Json reference = nullptr;
        if (e.reference && e.reference_row) {
            reference = {{"experiment", e.reference->experiment},
                         {"variant", e.reference->variant},
                         {"summary", row_json(*e.reference_row)},
                         {"warmup", opt_result_json(e.reference_warmup)},
                         {"repetitions", results_to_json(e.reference_reps)},
                         {"stamped", opt_result_json(e.reference_stamped)}};
            violations += e.reference_row->violations;
            timeouts += e.reference_row->timeouts;
        }
        const char* stop = e.stop == BenchStop::Budget ? "budget"
                           : e.stop == BenchStop::Cap  ? "cap"
                                                       : nullptr;
        list.push_back({{"experiment", e.experiment},
                        {"metric", e.metric},
                        {"repetitions_run", e.reps.size()},
                        {"stopped_by", stop ? Json(stop) : Json(nullptr)},
                        {"baseline", e.baseline.empty() ? Json(nullptr) : Json(e.baseline)},
                        {"variants", e.variants},
                        {"run_params", request_json(e.request)},
                        {"summary", std::move(summary)},
                        {"warmup", results_to_json(e.warmup)},
                        {"repetitions", std::move(reps)},
                        {"stamped", results_to_json(e.stamped)},
                        {"reference", std::move(reference)},
                        {"reference_note",
                         e.reference_note.empty() ? Json(nullptr) : Json(e.reference_note)}});
    }
    j["experiments"] = std::move(list);
    j["violations"] = violations;
    j["timeouts"] = timeouts;
    j["targets"] = targets_to_json(evaluate_targets(exps, host, opts));
    j["instrumentation"] = instrumentation_to_json(exps);
    return j;
}

int bench_status(const std::vector<BenchExperiment>& exps, std::string* which) {
    std::vector<std::string> bad;
    auto add = [&](const std::string& name, const BenchRow& row) {
        if (row.violations || row.timeouts)
            bad.push_back(name + " (" + std::to_string(row.violations) + " violations, " +
                          std::to_string(row.timeouts) + " timeouts)");
    };
    for (const auto& e : exps) {
        for (const auto& row : e.rows)
            add(e.experiment + "/" + row.variant, row);
        if (e.reference_row)
            add(e.experiment + "'s reference " + row_name(*e.reference_row), *e.reference_row);
    }
    if (which) {
        which->clear();
        for (size_t i = 0; i < bad.size(); i++)
            *which += (i ? ", " : "") + bad[i];
    }
    return bad.empty() ? kExitOk : kExitViolations;
}

void validate_bench_options(const BenchOptions& opts) {
    if (opts.iterations < NTCORRAL_MIN_ITERATIONS || opts.iterations > NTCORRAL_MAX_ITERATIONS)
        throw UsageError("--iterations wants a count in [" +
                         std::to_string(NTCORRAL_MIN_ITERATIONS) + ", " +
                         std::to_string(NTCORRAL_MAX_ITERATIONS) + "]");
    if (opts.repetitions < 1 || opts.repetitions > kBenchMaxRepetitions)
        throw UsageError("--repetitions wants a count in [1, " +
                         std::to_string(kBenchMaxRepetitions) + "]");
    if (opts.warmup > NTCORRAL_MAX_WARMUP || opts.cooldown > NTCORRAL_MAX_WARMUP)
        throw UsageError("--warmup and --cooldown want a count in [0, " +
                         std::to_string(NTCORRAL_MAX_WARMUP) + "]");
    if (!opts.until_conclusive) {
        if (opts.budget_s)
            throw UsageError("--budget-s is the time budget of --until-conclusive: give both, "
                             "or neither");
        if (opts.max_repetitions)
            throw UsageError("--max-repetitions caps --until-conclusive: give both, or neither");
        return;
    }
    if (!opts.budget_s)
        throw UsageError("--until-conclusive wants --budget-s S, the most seconds the bench may "
                         "take before it stops adding repetitions");
    if (!std::isfinite(*opts.budget_s) || *opts.budget_s <= 0)
        throw UsageError("--budget-s wants a number of seconds above 0, not " +
                         seconds(*opts.budget_s));
    const uint32_t cap = repetition_cap(opts);
    if (cap < opts.repetitions || cap > kBenchMaxRepetitions)
        throw UsageError("--max-repetitions wants a count in [" + std::to_string(opts.repetitions) +
                         ", " + std::to_string(kBenchMaxRepetitions) +
                         "] (at least --repetitions), not " + std::to_string(cap));
}

std::vector<BenchExperiment> run_bench(const std::vector<const ExperimentInfo*>& exps,
                                       const std::vector<ExperimentInfo>& module,
                                       const BenchOptions& opts, const BenchHost& host,
                                       const BenchRunner& run, const BenchClock& clock,
                                       std::ostream& out) {
    const double started = clock();
    std::vector<BenchExperiment> done;
    for (const ExperimentInfo* exp : exps) {
        done.push_back(bench_experiment(*exp, opts, run, {}, module));
        // With more rounds to come a table now would be out of date.
        if (opts.until_conclusive) {
            out << "bench: " << exp->name << ", " << done.back().reps.size() << " repetitions, "
                << one_decimal(clock() - started) << " s\n";
        } else {
            out << '\n';
            render_bench(out, done.back(), opts.iterations);
        }
        out.flush();
    }
    if (opts.until_conclusive) {
        const std::string budget = seconds(*opts.budget_s);
        BenchExtension ext = extend_until_conclusive(
            done, opts, run, clock, started,
            [&](const std::vector<BenchExperiment>& x) {
                return unsettled_experiments(evaluate_targets(x, host, opts));
            },
            [&](const BenchExperiment& e, double t) {
                out << "until-conclusive: " << e.experiment << ", repetition " << e.reps.size()
                    << ", " << one_decimal(t) << " s of the " << budget << " s budget\n";
                out.flush();
            });
        const bool capped = std::any_of(done.begin(), done.end(), [](const BenchExperiment& e) {
            return e.stop == BenchStop::Cap;
        });
        out << "until-conclusive: "
            << (ext.budget ? "the budget of " + budget + " s reached"
                : capped
                    ? "the cap of " + std::to_string(repetition_cap(opts)) + " repetitions reached"
                    : std::string("every verdict conclusive"))
            << ", " << ext.rounds << (ext.rounds == 1 ? " more round, " : " more rounds, ")
            << one_decimal(ext.elapsed_s) << " s in all\n";
        for (const auto& e : done) {
            out << '\n';
            render_bench(out, e, opts.iterations);
        }
    }
    out << '\n';
    render_targets(out, evaluate_targets(done, host, opts));
    return done;
}

std::vector<const ExperimentInfo*> bench_selection(const std::vector<ExperimentInfo>& list,
                                                   const BenchOptions& opts) {
    std::vector<const ExperimentInfo*> exps;
    if (opts.experiments) {
        for (const auto& name : split(*opts.experiments, ','))
            exps.push_back(&find_experiment(list, name));
        if (exps.empty())
            throw UsageError("--experiments names no experiment");
    } else {
        for (const auto& e : list)
            exps.push_back(&e);
    }
    return exps;
}

} // namespace ntcorral
