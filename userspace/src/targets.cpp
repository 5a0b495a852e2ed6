// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the targets for `ntcorral bench`, each beside the
// value the bench measured, and the instrumentation's worst figures.
#include "targets.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace ntcorral {

namespace {

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

// "1.08x (1.01x..1.15x)", "1.08x" without a spread, "n/a" without a value.
std::string ratio_text(const std::optional<double>& r, const std::optional<Spread>& s) {
    if (!r)
        return "n/a";
    return format_ratio(r) + (s ? " (" + format_spread(s) + ")" : "");
}

std::string value_text(const Target& t) {
    if (!t.measured)
        return "-";
    std::string v = t.unit == "%" ? pct(*t.measured) : format_ratio(t.measured);
    if (t.spread)
        v += " (" +
             (t.unit == "%" ? pct(t.spread->min) + ".." + pct(t.spread->max)
                            : format_spread(t.spread)) +
             ")";
    return v;
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
// the excess in time and in clock reads, the rounds, where the time goes,
// the instrumentation's weight.
void explain_excess(Target& t, const BenchExperiment& e, const BenchRow& row,
                    const BenchExperiment& other_e, const BenchRow& other, double limit,
                    const std::optional<double>& r, const std::optional<Spread>& s) {
    const std::string a = row_label(e, row, false), b = row_label(other_e, other, false);
    std::string excess = a + " " + ratio_text(r, s) + " of " + b + ": its p50 " +
                         ns(row.median_p50) + " is " + ns(row.median_p50 - other.median_p50) +
                         " above " + ns(other.median_p50);
    if (row.clock_read_ns && *row.clock_read_ns > 0)
        excess +=
            fmt(" (%.1f clock reads", (row.median_p50 - other.median_p50) / *row.clock_read_ns) +
            " of " + ns(*row.clock_read_ns) + ")";
    t.why.push_back(excess);
    if (s && s->min <= limit)
        t.why.push_back("its per-round ratios " + format_spread(s) + " reach " +
                        format_ratio(limit) +
                        ": the rounds disagree, more repetitions would settle it");
    else if (s)
        t.why.push_back("every round is above " + format_ratio(limit) + " (" + format_spread(s) +
                        "): a steady difference, not noise");
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

// A figure within its goal on the median whose rounds fall on both sides.
void straddle_note(Target& t, const std::string& what, const std::optional<Spread>& s,
                   double limit) {
    if (s && s->min < limit && s->max > limit)
        t.notes.push_back(what + " " + format_spread(s) + " straddle " + format_ratio(limit) +
                          ": within the goal on the median, not in every round");
}

void host_notes(Target& t, const BenchHost& host, std::optional<uint32_t> cpus) {
    if (cpus && *cpus == 1)
        t.notes.push_back("1 CPU: there is no other CPU to corral or interrupt, the figures "
                          "measure the bookkeeping alone");
    if (t.verdict == Verdict::Missed && host.emulated)
        t.notes.push_back("emulated host: interrupts and clock reads are emulated too; confirm "
                          "on hardware");
}

// Missed beats not measured: one failed figure settles it.
void settle(Target& t, bool missed, bool incomplete) {
    t.verdict = missed ? Verdict::Missed : incomplete ? Verdict::NotMeasured : Verdict::Met;
}

Target t1(const std::vector<BenchExperiment>& exps, const BenchHost& host) {
    Target t;
    t.id = "T1";
    t.goal = "A targeted corral (dpc, ipi) costs at most 1.2x a bare broadcast IPI round trip at "
             "the same CPU count, and clearly less than stop_machine.";
    t.summary = "targeted corral (dpc, ipi) <= 1.2x a bare broadcast IPI, clearly < stop_machine";
    t.unit = "x";
    const BenchExperiment* e = find_exp(exps, "shootdown");
    if (!e) {
        t.notes.push_back("shootdown is not in this bench");
        return t;
    }
    std::vector<const BenchRow*> corrals;
    for (const char* v : {"dpc", "dpc_bh", "ipi"})
        if (const BenchRow* r = find_row(*e, v))
            corrals.push_back(r);
    if (corrals.empty()) {
        t.notes.push_back("shootdown has none of the variants dpc, dpc_bh, ipi");
        return t;
    }
    const BenchRow* ref = e->reference_row ? &*e->reference_row : nullptr;
    const BenchRow* base = e->baseline.empty() ? nullptr : find_row(*e, e->baseline);

    std::vector<std::string> to_ref, to_base;
    for (const BenchRow* r : corrals) {
        to_ref.push_back(r->variant + " " + ratio_text(r->ratio_to_reference, r->reference_spread));
        to_base.push_back(r->variant + " " + ratio_text(r->ratio, r->ratio_spread));
    }
    std::vector<std::string> detail;
    if (ref)
        detail.push_back(join(to_ref) + " of " + ref->experiment + "/" + ref->variant);
    if (base)
        detail.push_back(join(to_base) + " of " + base->variant);
    t.detail = join(detail, "; ");

    bool missed = false, incomplete = false;
    if (!ref) {
        incomplete = true;
        t.notes.push_back("the bare broadcast IPI was not measured" +
                          (e->reference_note.empty() ? std::string() : ": " + e->reference_note));
    }
    if (!base) {
        incomplete = true;
        t.notes.push_back("shootdown has no baseline (stop_machine) in this bench");
    }
    const BenchRow* worst = nullptr;
    for (const BenchRow* r : corrals) {
        if (ref && !r->ratio_to_reference) {
            incomplete = true;
            t.notes.push_back(r->variant + " has no ratio to the reference (a p50 of 0)");
        } else if (ref) {
            if (!worst || *r->ratio_to_reference > *worst->ratio_to_reference)
                worst = r;
            if (*r->ratio_to_reference > kTargetCorralToIpi) {
                missed = true;
                explain_excess(t, *e, *r, *e, *ref, kTargetCorralToIpi, r->ratio_to_reference,
                               r->reference_spread);
            } else {
                straddle_note(t, r->variant + "'s per-round ratios to the bare IPI",
                              r->reference_spread, kTargetCorralToIpi);
            }
        }
        if (!base)
            continue;
        if (!r->ratio || !r->ratio_spread) {
            incomplete = true;
            t.notes.push_back(r->variant + " has no ratio to " + base->variant);
        } else if (*r->ratio >= 1 || r->ratio_spread->max >= 1) {
            missed = true;
            t.why.push_back(r->variant + " " + ratio_text(r->ratio, r->ratio_spread) + " of " +
                            base->variant + ": not clearly less, " +
                            (*r->ratio >= 1 ? std::string("its median is not below")
                                            : "some rounds reach 1.00x") +
                            " (p50 " + ns(r->median_p50) + " against " + ns(base->median_p50) +
                            ")");
        }
    }
    if (worst) {
        t.measured = worst->ratio_to_reference;
        t.spread = worst->reference_spread;
        t.where = "shootdown/" + worst->variant;
    }
    settle(t, missed, incomplete);
    host_notes(t, host, cpus_of(*e));
    return t;
}

Target t2(const std::vector<BenchExperiment>& exps, const BenchHost& host) {
    Target t;
    t.id = "T2";
    t.goal = "The sense two-phase barrier costs at most 1.3x the bare all-CPU IPI.";
    t.summary = "sense two-phase barrier <= 1.3x the bare all-CPU IPI";
    t.unit = "x";
    const BenchExperiment* e = find_exp(exps, "ipi_barrier");
    if (!e) {
        t.notes.push_back("ipi_barrier is not in this bench");
        return t;
    }
    const BenchRow* sense = find_row(*e, "sense");
    const BenchRow* base = e->baseline.empty() ? nullptr : find_row(*e, e->baseline);
    if (!sense || !base) {
        t.notes.push_back(!sense ? "ipi_barrier has no variant sense"
                                 : "ipi_barrier has no baseline in this bench");
        return t;
    }
    if (base->variant != "bare_ipi")
        t.notes.push_back("ipi_barrier's baseline is " + base->variant + ", not bare_ipi");
    t.where = "ipi_barrier/sense";
    t.detail = "sense p50 " + ns(sense->median_p50) + " against " + base->variant + " " +
               ns(base->median_p50) + ": " + ratio_text(sense->ratio, sense->ratio_spread);
    if (!sense->ratio) {
        t.notes.push_back("no ratio: " + base->variant + "'s p50 is 0");
        host_notes(t, host, cpus_of(*e));
        return t;
    }
    t.measured = sense->ratio;
    t.spread = sense->ratio_spread;
    bool missed = *sense->ratio > kTargetSenseToIpi;
    if (missed)
        explain_excess(t, *e, *sense, *e, *base, kTargetSenseToIpi, sense->ratio,
                       sense->ratio_spread);
    else
        straddle_note(t, "sense's per-round ratios", sense->ratio_spread, kTargetSenseToIpi);
    settle(t, missed, false);
    host_notes(t, host, cpus_of(*e));
    return t;
}

Target t3(const std::vector<BenchExperiment>& exps, const BenchHost& host) {
    Target t;
    t.id = "T3";
    t.goal = "slist sustains at least 1.5x the throughput of exinterlocked with 4 producing CPUs, "
             "with zero items lost in both.";
    t.summary = "slist >= 1.5x the items/s of exinterlocked, 4 producing CPUs, 0 lost";
    t.unit = "x";
    const BenchExperiment* e = find_exp(exps, "interlocked_queue");
    if (!e) {
        t.notes.push_back("interlocked_queue is not in this bench");
        return t;
    }
    auto si = variant_index(*e, "slist");
    auto xi = variant_index(*e, "exinterlocked");
    if (!si || !xi) {
        t.notes.push_back(std::string("interlocked_queue has no variant ") +
                          (!si ? "slist" : "exinterlocked"));
        return t;
    }
    t.where = "interlocked_queue/slist";

    // Throughput: the ratio of the medians, the spread round by round.
    const std::string counter = "items_per_sec";
    auto value = [&](const RunResult& r) -> std::optional<double> {
        for (const auto& c : r.counters)
            if (c.name == counter)
                return double(c.value);
        return std::nullopt;
    };
    std::vector<double> slist, exi, per_round;
    for (const auto& rep : e->reps) {
        auto a = *si < rep.size() ? value(rep[*si]) : std::nullopt;
        auto b = *xi < rep.size() ? value(rep[*xi]) : std::nullopt;
        if (a)
            slist.push_back(*a);
        if (b)
            exi.push_back(*b);
        if (a && b)
            if (auto q = ratio(*a, *b))
                per_round.push_back(*q);
    }
    std::optional<double> r;
    if (!slist.empty() && !exi.empty())
        r = ratio(median(slist), median(exi));

    // Losses: every run of both, the warm-up included.
    struct Lost {
        uint64_t items = 0;
        size_t runs = 0, lossy = 0;
        bool reported = false;
    };
    auto lost_of = [&](size_t i) {
        Lost l;
        for (const RunResult* run : every_run(*e, i)) {
            l.runs++;
            for (const auto& c : run->counters)
                if (c.name == "lost") {
                    l.reported = true;
                    l.items += c.value;
                    l.lossy += c.value != 0;
                }
        }
        return l;
    };
    Lost ls = lost_of(*si), lx = lost_of(*xi);
    unsigned producers = cpus_of(*e).value_or(host.online_cpus);

    t.detail = "items/s (medians): slist " + fmt("%.0f", median(slist)) + ", exinterlocked " +
               fmt("%.0f", median(exi)) + ": " + ratio_text(r, spread(per_round)) +
               "; lost: slist " + std::to_string(ls.items) + ", exinterlocked " +
               std::to_string(lx.items) + " over every run; " + std::to_string(producers) +
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
        if (*r < kTargetSlistThroughput) {
            missed = true;
            t.why.push_back("slist moves " + fmt("%.0f", median(slist)) +
                            " items/s against exinterlocked's " + fmt("%.0f", median(exi)) + ": " +
                            format_ratio(r) + ", short of " + format_ratio(kTargetSlistThroughput));
            if (t.spread && t.spread->max >= kTargetSlistThroughput)
                t.why.push_back("its per-round ratios " + format_spread(t.spread) + " reach " +
                                format_ratio(kTargetSlistThroughput) +
                                ": the rounds disagree, more repetitions would settle it");
            if (producers < kTargetProducingCpus)
                t.why.push_back(
                    std::to_string(producers) +
                    (producers == 1 ? " producing CPU contends" : " producing CPUs contend") +
                    " for exinterlocked's lock, fewer than the goal's " +
                    std::to_string(kTargetProducingCpus));
            const BenchRow* rs = find_row(*e, "slist");
            const BenchRow* rx = find_row(*e, "exinterlocked");
            if (rs && rx && !e->metric.empty())
                t.why.push_back(e->metric + " p50: slist " + ns(rs->median_p50) +
                                ", exinterlocked " + ns(rx->median_p50));
        } else {
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
    settle(t, missed, incomplete);
    host_notes(t, host, std::nullopt);
    return t;
}

Target t4(const std::vector<BenchExperiment>& exps, const BenchHost& host) {
    Target t;
    t.id = "T4";
    t.goal = "Instrumentation overhead at most 5% of the measured figure.";
    t.summary = "instrumentation overhead <= 5% of the measured figure";
    t.unit = "%";
    struct Hit {
        const BenchExperiment* e;
        const BenchRow* row;
    };
    std::vector<Hit> rows, over;
    for (const auto& e : exps) {
        std::vector<const BenchRow*> all;
        for (const auto& r : e.rows)
            all.push_back(&r);
        if (e.reference_row)
            all.push_back(&*e.reference_row);
        for (const BenchRow* r : all) {
            if (!r->overhead_pct)
                continue;
            rows.push_back({&e, r});
            if (*r->overhead_pct > kTargetOverheadPct)
                over.push_back({&e, r});
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
    auto worst = *std::max_element(rows.begin(), rows.end(), [](const Hit& a, const Hit& b) {
        return *a.row->overhead_pct < *b.row->overhead_pct;
    });
    const BenchRow& w = *worst.row;
    t.measured = w.overhead_pct;
    t.where = row_label(*worst.e, w);
    t.detail = "worst row " + t.where + ": an empty timed sample " + ns(*w.sample_overhead_ns) +
               (w.clock_read_ns ? " (one timestamp " + ns(*w.clock_read_ns) + ")" : "") +
               " against its median " + ns(w.median_p50) + "; " + std::to_string(over.size()) +
               " of " + std::to_string(rows.size()) + " rows above " + pct(kTargetOverheadPct);
    bool missed = *w.overhead_pct > kTargetOverheadPct;
    if (missed) {
        std::vector<std::string> names;
        for (size_t i = 0; i < over.size() && i < 5; i++)
            names.push_back(row_label(*over[i].e, *over[i].row) + " " +
                            pct(*over[i].row->overhead_pct));
        if (over.size() > 5)
            names.push_back("...");
        t.why.push_back("above " + pct(kTargetOverheadPct) + ": " + join(names));
        t.why.push_back(
            t.where + "'s median " + ns(w.median_p50) + " is only " +
            fmt("%.1f", w.median_p50 / *w.sample_overhead_ns) + " empty timed samples long" +
            (w.clock_read_ns ? ", " + fmt("%.1f", w.median_p50 / *w.clock_read_ns) + " clock reads"
                             : std::string()));
    }
    settle(t, missed, false);
    host_notes(t, host, std::nullopt);
    return t;
}

std::optional<WorstRow> worst_of(const std::vector<BenchExperiment>& exps,
                                 std::optional<double> BenchRow::*field) {
    std::optional<WorstRow> worst;
    for (const auto& e : exps) {
        std::vector<const BenchRow*> all;
        for (const auto& r : e.rows)
            all.push_back(&r);
        if (e.reference_row)
            all.push_back(&*e.reference_row);
        for (const BenchRow* r : all)
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
    default:
        return "not measured";
    }
}

std::vector<Target> evaluate_targets(const std::vector<BenchExperiment>& exps,
                                     const BenchHost& host) {
    return {t1(exps, host), t2(exps, host), t3(exps, host), t4(exps, host)};
}

void render_targets(std::ostream& os, const std::vector<Target>& targets) {
    os << "targets: ntcorral's performance goals, not assertions; the measured value beside each\n";
    size_t width = 0;
    for (const auto& t : targets)
        width = std::max(width, value_text(t).size());
    const size_t verdict_width = std::string(verdict_name(Verdict::NotMeasured)).size();
    for (const auto& t : targets) {
        std::string verdict = verdict_name(t.verdict), value = value_text(t);
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
        out.push_back({{"id", t.id},
                       {"goal", t.goal},
                       {"summary", t.summary},
                       {"measured", t.measured ? Json(*t.measured) : Json(nullptr)},
                       {"unit", t.unit},
                       {"spread", t.spread ? Json{{"min", t.spread->min}, {"max", t.spread->max}}
                                           : Json(nullptr)},
                       {"where", t.where.empty() ? Json(nullptr) : Json(t.where)},
                       {"verdict", verdict_name(t.verdict)},
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
