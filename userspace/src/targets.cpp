// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the targets for `ntcorral bench`, each beside the
// value the bench measured and its confidence interval, the verdicts those
// intervals give, and the instrumentation's worst figures.
#include "targets.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace ntcorral {

namespace {

// The names a target needs from the module, stated once: its experiment,
// the variants (with `any`, at least one of them) and the counters its
// runs report; with `reference`, the experiment's reference_for() too.
// missing_names() holds them against the bench.
struct Needs {
    const char* experiment;
    std::vector<std::string> variants;
    bool any = false;
    std::vector<std::string> counters;
    bool reference = false;
};
// T1: shootdown's targeted corrals against its reference.
const Needs kT1 = {"shootdown", {"dpc", "dpc_bh", "ipi"}, true, {}, true};
// T2: ipi_barrier's sense against its baseline, expected to be bare_ipi.
const Needs kT2 = {"ipi_barrier", {"sense"}, false, {}};
const char* const kT2Baseline = "bare_ipi";
// T3: slist against exinterlocked: throughput and losses.
const Needs kT3 = {
    "interlocked_queue", {"slist", "exinterlocked"}, false, {"items_per_sec", "lost"}};

// The words of each target: its id, goal, summary and unit.
struct Words {
    const char *id, *goal, *summary, *unit;
};
const Words kT1Words = {
    "T1",
    "A targeted corral (dpc, ipi) costs at most 1.2x a bare broadcast IPI round trip at the "
    "same CPU count, and clearly less than stop_machine.",
    "targeted corral (dpc, ipi) <= 1.2x a bare broadcast IPI, clearly < stop_machine", "x"};
const Words kT2Words = {"T2",
                        "The sense two-phase barrier costs at most 1.3x the bare all-CPU IPI.",
                        "sense two-phase barrier <= 1.3x the bare all-CPU IPI", "x"};
const Words kT3Words = {"T3",
                        "slist sustains at least 1.5x the throughput of exinterlocked with 4 "
                        "producing CPUs, with zero items lost in both.",
                        "slist >= 1.5x the items/s of exinterlocked, 4 producing CPUs, 0 lost",
                        "x"};
const Words kT4Words = {"T4", "Instrumentation overhead at most 5% of the measured figure.",
                        "instrumentation overhead <= 5% of the measured figure", "%"};

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string out;
    for (size_t i = 0; i < v.size(); i++)
        out += (i ? sep : "") + v[i];
    return out;
}

std::string fmt(const char* format, double v) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), format, v);
    return buf;
}

std::string ns(double v) {
    return format_ns(uint64_t(std::max(v, 0.0) + 0.5));
}

std::string pct(double v) {
    return fmt("%.1f%%", v);
}

std::string figure(double v, const std::string& unit) {
    return unit == "%" ? pct(v) : format_ratio(v);
}

// "1.08x [1.01x..1.15x]": a figure and the 95% interval of its median;
// "1.08x [none, n=5 < 6]" with too few repetitions for one; "1.08x" without
// values for one, "n/a" without a figure.
std::string ratio_text(const std::optional<double>& r, const std::optional<Interval>& ci,
                       const std::string& unit = "x") {
    if (!r)
        return "n/a";
    return figure(*r, unit) + (ci ? " [" + format_interval(ci, unit) + "]" : "");
}

std::string value_text(const Target& t) {
    if (!t.measured)
        return "-";
    return ratio_text(t.measured, t.ci, t.unit);
}

std::string goal_text(const Check& c) {
    const char* op = c.op == Goal::AtMost    ? "at most "
                     : c.op == Goal::AtLeast ? "at least "
                                             : "below ";
    return op + figure(c.goal, c.unit);
}

// A check of `value` (with its interval) against a goal; its verdict.
Check check(const std::string& what, const std::string& experiment, Goal op, double goal,
            const std::string& unit, const std::optional<double>& value,
            const std::optional<Interval>& ci) {
    Check c;
    c.what = what;
    c.experiment = experiment;
    c.op = op;
    c.goal = goal;
    c.unit = unit;
    c.value = value;
    c.ci = ci;
    c.verdict = value ? judge(ci, op, goal) : Verdict::NotMeasured;
    return c;
}

bool too_few(const Check& c) {
    return c.verdict == Verdict::Inconclusive && (!c.ci || !c.ci->exists());
}

// An open check's why: its interval holds the goal. (Too few repetitions
// for any interval are said once per target, by open_why().)
std::string straddles(const Check& c) {
    return c.what + " " + ratio_text(c.value, c.ci, c.unit) +
           ": the interval straddles the goal (" + goal_text(c) +
           "); more repetitions would settle it";
}

// The why of every open check of t: a line each, or one for them all
// beyond three; the ones without an interval in one line.
void open_why(Target& t) {
    std::vector<size_t> ns;
    std::vector<const Check*> open;
    for (const auto& c : t.checks) {
        if (c.verdict != Verdict::Inconclusive)
            continue;
        if (too_few(c))
            ns.push_back(c.ci ? c.ci->n : 0);
        else
            open.push_back(&c);
    }
    if (open.size() > 3) {
        std::vector<std::string> names;
        for (size_t i = 0; i < open.size() && i < 5; i++)
            names.push_back(open[i]->what + " " +
                            ratio_text(open[i]->value, open[i]->ci, open[i]->unit));
        if (open.size() > 5)
            names.push_back("...");
        t.why.push_back(std::to_string(open.size()) + " intervals straddle the goal (" +
                        goal_text(*open[0]) + "): " + join(names) +
                        "; more repetitions would settle them");
    } else {
        for (const Check* c : open)
            t.why.push_back(straddles(*c));
    }
    if (ns.empty())
        return;
    auto [lo, hi] = std::minmax_element(ns.begin(), ns.end());
    std::string n =
        *lo == *hi ? std::to_string(*lo) : std::to_string(*lo) + "-" + std::to_string(*hi);
    t.why.push_back("no 95% interval from " + n + " repetitions (it takes " +
                    std::to_string(min_repetitions()) +
                    "): more --repetitions, or --until-conclusive");
}

const BenchExperiment* find_exp(const std::vector<BenchExperiment>& exps, const std::string& name) {
    for (const auto& e : exps)
        if (e.experiment == name)
            return &e;
    return nullptr;
}

std::optional<size_t> variant_index(const BenchExperiment& e, const std::string& variant) {
    for (size_t i = 0; i < e.variants.size(); i++)
        if (e.variants[i] == variant)
            return i;
    return std::nullopt;
}

const BenchRow* find_row(const BenchExperiment& e, const std::string& variant) {
    for (const auto& r : e.rows)
        if (r.variant == variant)
            return &r;
    return nullptr;
}

// "shootdown/dpc"; a reference row as its own experiment's, "ipi_barrier/bare_ipi",
// and with `whose` "ipi_barrier/bare_ipi (shootdown's reference)".
std::string row_label(const BenchExperiment& e, const BenchRow& row, bool whose = true) {
    if (row.reference)
        return row.experiment + "/" + row.variant +
               (whose ? " (" + e.experiment + "'s reference)" : "");
    return e.experiment + "/" + row.variant;
}

// Every run of variant i: warm-up, repetitions, the stamped round.
std::vector<const RunResult*> every_run(const BenchExperiment& e, size_t i) {
    std::vector<const RunResult*> out;
    if (i < e.warmup.size())
        out.push_back(&e.warmup[i]);
    for (const auto& rep : e.reps)
        if (i < rep.size())
            out.push_back(&rep[i]);
    if (i < e.stamped.size())
        out.push_back(&e.stamped[i]);
    return out;
}

// The CPUs the experiment's runs took part with (the most any reported).
std::optional<uint32_t> cpus_of(const BenchExperiment& e) {
    std::optional<uint32_t> n;
    for (const auto& rep : e.reps)
        for (const auto& r : rep)
            if (r.nr_cpus)
                n = std::max(n.value_or(0), *r.nr_cpus);
    return n;
}

// "corral 3.10us, work 200ns, release 1.20us": the p50 of every timed phase
// metric of the run that had its phase stamps on, else of any repetition
// that timed them; "" if none did.
std::string phases_text(const BenchExperiment& e, const BenchRow& row) {
    std::vector<const RunResult*> runs;
    if (row.reference) {
        if (e.reference_stamped)
            runs.push_back(&*e.reference_stamped);
        for (const auto& r : e.reference_reps)
            runs.push_back(&r);
    } else if (auto i = variant_index(e, row.variant)) {
        if (*i < e.stamped.size())
            runs.push_back(&e.stamped[*i]);
        for (const auto& rep : e.reps)
            if (*i < rep.size())
                runs.push_back(&rep[*i]);
    }
    for (const RunResult* r : runs) {
        std::vector<std::string> parts;
        for (size_t m = 1; m < r->metrics.size(); m++)
            if (r->metrics[m].count)
                parts.push_back(r->metrics[m].name + " " + format_ns(r->metrics[m].p50));
        if (!parts.empty())
            return join(parts);
    }
    return "";
}

// Why `row` costs more than `limit` times `other`, from what was measured:
// the excess in time and in clock reads, the interval, where the time goes,
// the instrumentation's weight.
void explain_excess(Target& t, const BenchExperiment& e, const BenchRow& row,
                    const BenchExperiment& other_e, const BenchRow& other, double limit,
                    const std::optional<double>& r, const std::optional<Interval>& ci) {
    const std::string a = row_label(e, row, false), b = row_label(other_e, other, false);
    std::string excess = a + " " + ratio_text(r, ci) + " of " + b + ": its p50 " +
                         ns(row.median_p50) + " is " + ns(row.median_p50 - other.median_p50) +
                         " above " + ns(other.median_p50);
    if (row.clock_read_ns && *row.clock_read_ns > 0)
        excess +=
            fmt(" (%.1f clock reads", (row.median_p50 - other.median_p50) / *row.clock_read_ns) +
            " of " + ns(*row.clock_read_ns) + ")";
    t.why.push_back(excess);
    if (ci && ci->exists())
        t.why.push_back("its 95% interval " + format_interval(ci) + " lies above " +
                        format_ratio(limit) + ": a steady difference, not noise");
    std::string pa = phases_text(e, row), pb = phases_text(other_e, other);
    if (!pa.empty() || !pb.empty())
        t.why.push_back("where the time goes, p50 with phase stamps on: " +
                        (pa.empty() ? a + " not timed" : a + ": " + pa) + "; " +
                        (pb.empty() ? b + " not timed" : b + ": " + pb));
    for (const BenchRow* x : {&other, &row})
        if (x->overhead_pct && *x->overhead_pct > kTargetOverheadPct && x->sample_overhead_ns) {
            t.why.push_back("an empty timed sample (" + ns(*x->sample_overhead_ns) + ") is " +
                            pct(*x->overhead_pct) + " of " + (x == &row ? a : b) +
                            "'s p50: the instrumentation weighs on it");
            break;
        }
}

// A figure met on its interval whose rounds fall on both sides of the goal.
void straddle_note(Target& t, const std::string& what, const std::optional<Spread>& s,
                   double limit) {
    if (s && s->min < limit && s->max > limit)
        t.notes.push_back(what + " " + format_spread(s) + " straddle " + format_ratio(limit) +
                          ": within the goal on the interval of the median, not in every round");
}

void host_notes(Target& t, const BenchHost& host, std::optional<uint32_t> cpus) {
    if (cpus && *cpus == 1)
        t.notes.push_back("1 CPU: there is no other CPU to corral or interrupt, the figures "
                          "measure the bookkeeping alone");
    if (t.verdict == Verdict::Missed && host.emulated)
        t.notes.push_back("emulated host: interrupts and clock reads are emulated too; confirm "
                          "on hardware");
}

// A target with its words, before any figure.
Target target(const Words& w) {
    Target t;
    t.id = w.id;
    t.goal = w.goal;
    t.summary = w.summary;
    t.unit = w.unit;
    return t;
}

// One missed figure settles it; else one open figure leaves it open (more
// rounds may still settle it either way); else a missing figure leaves it
// not measured. `missed` and `incomplete`: what the checks do not hold.
void settle(Target& t, bool missed, bool incomplete) {
    bool open = false;
    for (const auto& c : t.checks) {
        missed |= c.verdict == Verdict::Missed;
        open |= c.verdict == Verdict::Inconclusive;
        incomplete |= c.verdict == Verdict::NotMeasured;
    }
    t.verdict = missed       ? Verdict::Missed
                : open       ? Verdict::Inconclusive
                : incomplete ? Verdict::NotMeasured
                             : Verdict::Met;
}

// The verdict, the why of the open figures and the host's notes.
void conclude(Target& t, bool missed, bool incomplete, const BenchHost& host,
              std::optional<uint32_t> cpus) {
    settle(t, missed, incomplete);
    open_why(t);
    host_notes(t, host, cpus);
}

void t1(Target& t, const BenchExperiment& e, const BenchHost& host) {
    std::vector<const BenchRow*> corrals;
    for (const auto& v : kT1.variants)
        if (const BenchRow* r = find_row(e, v))
            corrals.push_back(r);
    if (corrals.empty()) {
        t.notes.push_back(e.experiment + " has none of the variants " + join(kT1.variants));
        return;
    }
    const BenchRow* ref = e.reference_row ? &*e.reference_row : nullptr;
    const BenchRow* base = e.baseline.empty() ? nullptr : find_row(e, e.baseline);

    std::vector<std::string> to_ref, to_base;
    for (const BenchRow* r : corrals) {
        to_ref.push_back(r->variant + " " + ratio_text(r->ratio_to_reference, r->reference_ci));
        to_base.push_back(r->variant + " " + ratio_text(r->ratio, r->ratio_ci));
    }
    std::vector<std::string> detail;
    if (ref)
        detail.push_back(join(to_ref) + " of " + ref->experiment + "/" + ref->variant);
    if (base)
        detail.push_back(join(to_base) + " of " + base->variant);
    t.detail = join(detail, "; ");

    bool incomplete = false;
    if (!ref) {
        incomplete = true;
        t.notes.push_back("the bare broadcast IPI was not measured" +
                          (e.reference_note.empty() ? std::string() : ": " + e.reference_note));
    }
    if (!base) {
        incomplete = true;
        t.notes.push_back(e.experiment + " has no baseline (stop_machine) in this bench");
    }
    const BenchRow* worst = nullptr;
    for (const BenchRow* r : corrals) {
        const std::string name = e.experiment + "/" + r->variant;
        if (ref && !r->ratio_to_reference) {
            incomplete = true;
            t.notes.push_back(r->variant + " has no ratio to the reference (a p50 of 0)");
        } else if (ref) {
            if (!worst || *r->ratio_to_reference > *worst->ratio_to_reference)
                worst = r;
            t.checks.push_back(check(name + " against " + ref->experiment + "/" + ref->variant,
                                     e.experiment, Goal::AtMost, kTargetCorralToIpi, "x",
                                     r->ratio_to_reference, r->reference_ci));
            if (t.checks.back().verdict == Verdict::Missed)
                explain_excess(t, e, *r, e, *ref, kTargetCorralToIpi, r->ratio_to_reference,
                               r->reference_ci);
            else if (t.checks.back().verdict == Verdict::Met)
                straddle_note(t, r->variant + "'s per-round ratios to the bare IPI",
                              r->reference_spread, kTargetCorralToIpi);
        }
        if (!base)
            continue;
        if (!r->ratio) {
            incomplete = true;
            t.notes.push_back(r->variant + " has no ratio to " + base->variant);
            continue;
        }
        // "Clearly less": the whole interval below 1.00x.
        t.checks.push_back(check(name + " against " + base->variant, e.experiment, Goal::Below, 1.0,
                                 "x", r->ratio, r->ratio_ci));
        if (t.checks.back().verdict == Verdict::Missed)
            t.why.push_back(r->variant + " " + ratio_text(r->ratio, r->ratio_ci) + " of " +
                            base->variant +
                            ": not less, its 95% interval is not below 1.00x (p50 " +
                            ns(r->median_p50) + " against " + ns(base->median_p50) + ")");
    }
    if (worst) {
        t.measured = worst->ratio_to_reference;
        t.spread = worst->reference_spread;
        t.ci = worst->reference_ci;
        t.where = e.experiment + "/" + worst->variant;
    }
    conclude(t, false, incomplete, host, cpus_of(e));
}

void t2(Target& t, const BenchExperiment& e, const BenchHost& host) {
    const BenchRow* sense = find_row(e, kT2.variants[0]);
    const BenchRow* base = e.baseline.empty() ? nullptr : find_row(e, e.baseline);
    if (!sense || !base) {
        t.notes.push_back(!sense ? "ipi_barrier has no variant sense"
                                 : "ipi_barrier has no baseline in this bench");
        return;
    }
    if (base->variant != kT2Baseline)
        t.notes.push_back("ipi_barrier's baseline is " + base->variant + ", not " + kT2Baseline);
    t.where = "ipi_barrier/sense";
    t.detail = "sense p50 " + ns(sense->median_p50) + " against " + base->variant + " " +
               ns(base->median_p50) + ": " + ratio_text(sense->ratio, sense->ratio_ci);
    if (!sense->ratio) {
        t.notes.push_back("no ratio: " + base->variant + "'s p50 is 0");
        host_notes(t, host, cpus_of(e));
        return;
    }
    t.measured = sense->ratio;
    t.spread = sense->ratio_spread;
    t.ci = sense->ratio_ci;
    t.checks.push_back(check("ipi_barrier/sense against " + base->variant, e.experiment,
                             Goal::AtMost, kTargetSenseToIpi, "x", sense->ratio, sense->ratio_ci));
    if (t.checks.back().verdict == Verdict::Missed)
        explain_excess(t, e, *sense, e, *base, kTargetSenseToIpi, sense->ratio, sense->ratio_ci);
    else if (t.checks.back().verdict == Verdict::Met)
        straddle_note(t, "sense's per-round ratios", sense->ratio_spread, kTargetSenseToIpi);
    conclude(t, false, false, host, cpus_of(e));
}

// T3's throughput: each variant's items/s, round by round, and slist's
// against exinterlocked's (si and xi their indices) with its median and
// the median's interval.
struct T3Throughput {
    std::vector<double> slist, exi, per_round;
    std::optional<double> r;
    std::optional<Interval> ci;
};

T3Throughput t3_throughput(const BenchExperiment& e, size_t si, size_t xi) {
    const std::string& counter = kT3.counters[0];
    auto value = [&](const RunResult& r) -> std::optional<double> {
        for (const auto& c : r.counters)
            if (c.name == counter)
                return double(c.value);
        return std::nullopt;
    };
    T3Throughput tp;
    for (const auto& rep : e.reps) {
        auto a = si < rep.size() ? value(rep[si]) : std::nullopt;
        auto b = xi < rep.size() ? value(rep[xi]) : std::nullopt;
        if (a)
            tp.slist.push_back(*a);
        if (b)
            tp.exi.push_back(*b);
        if (a && b)
            if (auto q = ratio(*a, *b))
                tp.per_round.push_back(*q);
    }
    if (!tp.per_round.empty())
        tp.r = median(tp.per_round);
    tp.ci = median_interval(tp.per_round);
    return tp;
}

// T3's losses of variant i over every run of it, the warm-up included.
struct Lost {
    uint64_t items = 0;
    size_t runs = 0, lossy = 0;
    bool reported = false;
};

Lost t3_lost(const BenchExperiment& e, size_t i) {
    Lost l;
    for (const RunResult* run : every_run(e, i)) {
        l.runs++;
        for (const auto& c : run->counters)
            if (c.name == kT3.counters[1]) {
                l.reported = true;
                l.items += c.value;
                l.lossy += c.value != 0;
            }
    }
    return l;
}

void t3(Target& t, const BenchExperiment& e, const BenchHost& host) {
    const std::string &slist_name = kT3.variants[0], &exi_name = kT3.variants[1];
    auto si = variant_index(e, slist_name);
    auto xi = variant_index(e, exi_name);
    if (!si || !xi) {
        t.notes.push_back(std::string("interlocked_queue has no variant ") +
                          (!si ? slist_name : exi_name));
        return;
    }
    t.where = "interlocked_queue/slist";

    // Throughput: round by round, slist's against exinterlocked's.
    const T3Throughput tp = t3_throughput(e, *si, *xi);
    const std::vector<double>&slist = tp.slist, &exi = tp.exi, &per_round = tp.per_round;
    const std::optional<double>& r = tp.r;
    const std::optional<Interval>& ci = tp.ci;
    const std::string& counter = kT3.counters[0];

    // Losses: every run of both, the warm-up included.
    Lost ls = t3_lost(e, *si), lx = t3_lost(e, *xi);
    unsigned producers = cpus_of(e).value_or(host.online_cpus);

    t.detail = "items/s (medians): slist " + fmt("%.0f", median(slist)) + ", exinterlocked " +
               fmt("%.0f", median(exi)) + ": " + ratio_text(r, ci) + "; lost: slist " +
               std::to_string(ls.items) + ", exinterlocked " + std::to_string(lx.items) +
               " over every run; " + std::to_string(producers) +
               (producers == 1 ? " producing CPU" : " producing CPUs");
    if (producers != kTargetProducingCpus)
        t.notes.push_back(std::to_string(producers) +
                          (producers == 1 ? " producing CPU" : " producing CPUs") +
                          ", the goal is stated for " + std::to_string(kTargetProducingCpus));

    bool missed = false, incomplete = false;
    if (!r) {
        incomplete = true;
        t.notes.push_back("no " + counter + " of both variants (or exinterlocked's is 0)");
    } else {
        t.measured = r;
        t.spread = spread(per_round);
        t.ci = ci;
        t.checks.push_back(check("interlocked_queue/slist's items/s against exinterlocked's",
                                 e.experiment, Goal::AtLeast, kTargetSlistThroughput, "x", r, ci));
        if (t.checks.back().verdict == Verdict::Missed) {
            t.why.push_back("slist moves " + fmt("%.0f", median(slist)) +
                            " items/s against exinterlocked's " + fmt("%.0f", median(exi)) + ": " +
                            ratio_text(r, ci) + ", short of " +
                            format_ratio(kTargetSlistThroughput));
            if (producers < kTargetProducingCpus)
                t.why.push_back(
                    std::to_string(producers) +
                    (producers == 1 ? " producing CPU contends" : " producing CPUs contend") +
                    " for exinterlocked's lock, fewer than the goal's " +
                    std::to_string(kTargetProducingCpus));
            const BenchRow* rs = find_row(e, slist_name);
            const BenchRow* rx = find_row(e, exi_name);
            if (rs && rx && !e.metric.empty())
                t.why.push_back(e.metric + " p50: slist " + ns(rs->median_p50) +
                                ", exinterlocked " + ns(rx->median_p50));
        } else if (t.checks.back().verdict == Verdict::Met) {
            straddle_note(t, "slist's per-round ratios", t.spread, kTargetSlistThroughput);
        }
    }
    for (const auto& [name, l] :
         {std::pair<const char*, Lost>{"slist", ls}, {"exinterlocked", lx}}) {
        if (!l.reported) {
            incomplete = true;
            t.notes.push_back(std::string(name) + "'s runs report no 'lost' counter");
        } else if (l.items) {
            missed = true;
            t.why.push_back(std::string(name) + " lost " + std::to_string(l.items) +
                            (l.items == 1 ? " item in " : " items in ") + std::to_string(l.lossy) +
                            " of " + std::to_string(l.runs) + " runs");
        }
    }
    conclude(t, missed, incomplete, host, std::nullopt);
}

Target t4(const std::vector<BenchExperiment>& exps, const BenchHost& host) {
    Target t = target(kT4Words);
    struct Hit {
        const BenchExperiment* e;
        const BenchRow* row;
    };
    std::vector<Hit> rows, over, missed;
    for (const auto& e : exps) {
        for (const BenchRow* r : rows_and_reference(e)) {
            if (!r->overhead_pct)
                continue;
            rows.push_back({&e, r});
            if (*r->overhead_pct > kTargetOverheadPct)
                over.push_back({&e, r});
            // A reference row's rounds are its experiment's (e's) too.
            t.checks.push_back(check(row_label(e, *r) + "'s share", e.experiment, Goal::AtMost,
                                     kTargetOverheadPct, "%", r->overhead_pct, r->overhead_ci));
            if (t.checks.back().verdict == Verdict::Missed)
                missed.push_back({&e, r});
        }
    }
    if (auto s = worst_stamps_overhead(exps))
        t.notes.push_back("phase timestamps, when on, add " + fmt("%+.1f%%", s->pct) + " at " +
                          s->row + " (the worst row; information, not a target)");
    if (rows.empty()) {
        t.notes.insert(t.notes.begin(), exps.empty()
                                            ? "no experiment in this bench"
                                            : "no run reported the instrumentation's overhead");
        return t;
    }
    auto by_share = [](const Hit& a, const Hit& b) {
        return *a.row->overhead_pct < *b.row->overhead_pct;
    };
    const Hit worst = *std::max_element(rows.begin(), rows.end(), by_share);
    const BenchRow& w = *worst.row;
    t.measured = w.overhead_pct;
    t.ci = w.overhead_ci;
    t.where = row_label(*worst.e, w);
    t.detail = "worst row " + t.where + ": an empty timed sample " + ns(*w.sample_overhead_ns) +
               (w.clock_read_ns ? " (one timestamp " + ns(*w.clock_read_ns) + ")" : "") +
               " against its median " + ns(w.median_p50) + "; " + std::to_string(over.size()) +
               " of " + std::to_string(rows.size()) + " rows above " + pct(kTargetOverheadPct) +
               " on the median";
    if (!missed.empty()) {
        std::vector<std::string> names;
        for (size_t i = 0; i < missed.size() && i < 5; i++)
            names.push_back(
                row_label(*missed[i].e, *missed[i].row) + " " +
                ratio_text(missed[i].row->overhead_pct, missed[i].row->overhead_ci, "%"));
        if (missed.size() > 5)
            names.push_back("...");
        t.why.push_back("above " + pct(kTargetOverheadPct) +
                        " on the whole interval: " + join(names));
        const Hit m = *std::max_element(missed.begin(), missed.end(), by_share);
        const BenchRow& x = *m.row;
        const std::string name = row_label(*m.e, x);
        t.why.push_back(
            name + "'s median " + ns(x.median_p50) + " is only " +
            fmt("%.1f", x.median_p50 / *x.sample_overhead_ns) + " empty timed samples long" +
            (x.clock_read_ns ? ", " + fmt("%.1f", x.median_p50 / *x.clock_read_ns) + " clock reads"
                             : std::string()));
    }
    conclude(t, false, false, host, std::nullopt);
    return t;
}

std::optional<WorstRow> worst_of(const std::vector<BenchExperiment>& exps,
                                 std::optional<double> BenchRow::*field) {
    std::optional<WorstRow> worst;
    for (const auto& e : exps) {
        for (const BenchRow* r : rows_and_reference(e))
            if (const auto& v = r->*field; v && (!worst || *v > worst->pct))
                worst = WorstRow{row_label(e, *r), *v};
    }
    return worst;
}

} // namespace

const char* verdict_name(Verdict v) {
    switch (v) {
    case Verdict::Met:
        return "met";
    case Verdict::Missed:
        return "missed";
    case Verdict::Inconclusive:
        return "inconclusive";
    default:
        return "not measured";
    }
}

Verdict judge(const std::optional<Interval>& ci, Goal op, double goal) {
    if (!ci)
        return Verdict::NotMeasured;
    if (!ci->exists())
        return Verdict::Inconclusive;
    bool met = false, missed = false;
    switch (op) {
    case Goal::AtMost:
        met = ci->hi <= goal;
        missed = ci->lo > goal;
        break;
    case Goal::AtLeast:
        met = ci->lo >= goal;
        missed = ci->hi < goal;
        break;
    case Goal::Below:
        met = ci->hi < goal;
        missed = ci->lo >= goal;
        break;
    }
    return met ? Verdict::Met : missed ? Verdict::Missed : Verdict::Inconclusive;
}

std::string verdict_text(const Target& t) {
    std::string v = verdict_name(t.verdict);
    if (t.verdict == Verdict::NotMeasured && !t.missing.empty())
        return v + ": " + join(t.missing, "; ");
    return t.reason.empty() ? v : v + " (" + t.reason + ")";
}

namespace {

// Why an inconclusive target is left so, beyond its intervals holding the
// goal: --until-conclusive's budget or cap, or too few repetitions for any
// interval.
void inconclusive_reason(Target& t, const std::vector<BenchExperiment>& exps,
                         const BenchOptions& opts) {
    if (t.verdict != Verdict::Inconclusive)
        return;
    std::vector<size_t> budget_reps;
    bool cap = false, few = false;
    for (const auto& c : t.checks) {
        if (c.verdict != Verdict::Inconclusive)
            continue;
        few |= too_few(c);
        const BenchExperiment* e = find_exp(exps, c.experiment);
        if (e && e->stop == BenchStop::Budget)
            budget_reps.push_back(e->reps.size());
        cap |= e && e->stop == BenchStop::Cap;
    }
    if (!budget_reps.empty() && opts.budget_s) {
        auto [lo, hi] = std::minmax_element(budget_reps.begin(), budget_reps.end());
        t.reason =
            "budget of " + fmt("%g", *opts.budget_s) + " s reached after " +
            (*lo == *hi ? std::to_string(*lo) : std::to_string(*lo) + "-" + std::to_string(*hi)) +
            " repetitions";
    } else if (cap) {
        t.reason = "cap of " +
                   std::to_string(opts.max_repetitions.value_or(
                       std::max(kBenchDefaultMaxRepetitions, opts.repetitions))) +
                   " repetitions reached";
    } else if (few) {
        size_t n = 0;
        for (const auto& c : t.checks)
            if (too_few(c) && c.ci)
                n = std::max(n, c.ci->n);
        t.reason = "too few repetitions: " + std::to_string(n) + ", a 95% interval takes " +
                   std::to_string(min_repetitions());
    }
}

// What of `needs` the module did not give the bench: "the module has no
// variant sense in ipi_barrier" (LIST), "the module has no counter
// items_per_sec in interlocked_queue" (no run reports it). Nothing when the
// experiment is not in the bench, or a counter when it has no runs.
std::vector<std::string> missing_names(const std::vector<BenchExperiment>& exps,
                                       const Needs& needs) {
    std::vector<std::string> out;
    const BenchExperiment* e = find_exp(exps, needs.experiment);
    if (!e)
        return out;
    std::vector<std::string> absent;
    for (const auto& v : needs.variants)
        if (!variant_index(*e, v))
            absent.push_back(v);
    if (needs.any && absent.size() == needs.variants.size() && absent.size() > 1)
        out.push_back("the module has none of the variants " + join(absent) + " in " +
                      e->experiment);
    else if (!needs.any || absent.size() == needs.variants.size())
        for (const auto& v : absent)
            out.push_back("the module has no variant " + v + " in " + e->experiment);
    // A reference is left out only when the module's list lacks it.
    if (needs.reference && !e->reference && !e->reference_note.empty())
        if (auto ref = reference_for(e->experiment))
            out.push_back("the module has no variant " + ref->variant + " in " + ref->experiment);

    std::vector<const RunResult*> runs;
    for (size_t i = 0; i < e->variants.size(); i++)
        for (const RunResult* r : every_run(*e, i))
            runs.push_back(r);
    for (const auto& c : needs.counters) {
        bool reported = std::any_of(runs.begin(), runs.end(), [&](const RunResult* r) {
            return std::any_of(r->counters.begin(), r->counters.end(),
                               [&](const Counter& k) { return k.name == c; });
        });
        if (!runs.empty() && !reported)
            out.push_back("the module has no counter " + c + " in " + e->experiment);
    }
    return out;
}

// A target of one experiment, by fn, with the names the module lacks; not
// measured, with a note, when the bench lacks the experiment.
Target of_exp(const Words& words, const Needs& needs, const std::vector<BenchExperiment>& exps,
              const BenchHost& host,
              void (*fn)(Target&, const BenchExperiment&, const BenchHost&)) {
    Target t = target(words);
    if (const BenchExperiment* e = find_exp(exps, needs.experiment))
        fn(t, *e, host);
    else
        t.notes.push_back(std::string(needs.experiment) + " is not in this bench");
    t.missing = missing_names(exps, needs);
    return t;
}

} // namespace

std::vector<TargetNeeds> target_needs() {
    std::vector<std::string> t2 = kT2.variants;
    t2.push_back(kT2Baseline);
    return {{kT1Words.id, kT1.experiment, kT1.variants, kT1.counters},
            {kT2Words.id, kT2.experiment, t2, kT2.counters},
            {kT3Words.id, kT3.experiment, kT3.variants, kT3.counters}};
}

std::vector<Target> evaluate_targets(const std::vector<BenchExperiment>& exps,
                                     const BenchHost& host, const BenchOptions& opts) {
    std::vector<Target> out = {of_exp(kT1Words, kT1, exps, host, t1),
                               of_exp(kT2Words, kT2, exps, host, t2),
                               of_exp(kT3Words, kT3, exps, host, t3), t4(exps, host)};
    for (auto& t : out)
        inconclusive_reason(t, exps, opts);
    return out;
}

std::vector<std::string> unsettled_experiments(const std::vector<Target>& targets) {
    std::vector<std::string> out;
    for (const auto& t : targets) {
        if (t.verdict != Verdict::Inconclusive)
            continue;
        for (const auto& c : t.checks)
            if (c.verdict == Verdict::Inconclusive &&
                std::find(out.begin(), out.end(), c.experiment) == out.end())
                out.push_back(c.experiment);
    }
    return out;
}

void render_targets(std::ostream& os, const std::vector<Target>& targets) {
    os << "targets: ntcorral's performance goals, not assertions; the measured value beside each, "
          "[its 95% interval]: met or missed only when the whole interval is\n";
    size_t width = 0, verdict_width = 0;
    for (const auto& t : targets) {
        width = std::max(width, value_text(t).size());
        verdict_width = std::max(verdict_width, verdict_text(t).size());
    }
    for (const auto& t : targets) {
        std::string verdict = verdict_text(t), value = value_text(t);
        os << "  " << t.id << "  " << verdict << std::string(verdict_width - verdict.size(), ' ')
           << "  " << value << std::string(width - value.size(), ' ') << "  " << t.summary << '\n';
        if (!t.detail.empty())
            os << "      measured: " << t.detail << '\n';
        for (const auto& w : t.why)
            os << "      why: " << w << '\n';
        for (const auto& n : t.notes)
            os << "      note: " << n << '\n';
    }
}

Json targets_to_json(const std::vector<Target>& targets) {
    Json out = Json::array();
    for (const auto& t : targets) {
        std::vector<std::string> all = t.why;
        all.insert(all.end(), t.notes.begin(), t.notes.end());
        Json checks = Json::array();
        for (const auto& c : t.checks)
            checks.push_back({{"what", c.what},
                              {"experiment", c.experiment},
                              {"goal", c.goal},
                              {"op", c.op == Goal::AtMost    ? "<="
                                     : c.op == Goal::AtLeast ? ">="
                                                             : "<"},
                              {"unit", c.unit},
                              {"value", c.value ? Json(*c.value) : Json(nullptr)},
                              {"interval", interval_json(c.ci)},
                              {"verdict", verdict_name(c.verdict)}});
        out.push_back({{"id", t.id},
                       {"goal", t.goal},
                       {"summary", t.summary},
                       {"measured", t.measured ? Json(*t.measured) : Json(nullptr)},
                       {"unit", t.unit},
                       {"spread", t.spread ? Json{{"min", t.spread->min}, {"max", t.spread->max}}
                                           : Json(nullptr)},
                       {"interval", interval_json(t.ci)},
                       {"where", t.where.empty() ? Json(nullptr) : Json(t.where)},
                       {"verdict", verdict_name(t.verdict)},
                       {"verdict_text", verdict_text(t)},
                       {"checks", std::move(checks)},
                       {"detail", t.detail},
                       {"note", join(all, "; ")},
                       {"why", t.why},
                       {"notes", t.notes}});
    }
    return out;
}

std::optional<WorstRow> worst_overhead(const std::vector<BenchExperiment>& exps) {
    return worst_of(exps, &BenchRow::overhead_pct);
}

std::optional<WorstRow> worst_stamps_overhead(const std::vector<BenchExperiment>& exps) {
    return worst_of(exps, &BenchRow::stamps_overhead_pct);
}

Json instrumentation_to_json(const std::vector<BenchExperiment>& exps) {
    auto o = worst_overhead(exps);
    auto s = worst_stamps_overhead(exps);
    return {{"worst_overhead_pct", o ? Json(o->pct) : Json(nullptr)},
            {"worst_overhead_row", o ? Json(o->row) : Json(nullptr)},
            {"worst_stamps_overhead_pct", s ? Json(s->pct) : Json(nullptr)},
            {"worst_stamps_overhead_row", s ? Json(s->row) : Json(nullptr)}};
}

} // namespace ntcorral
