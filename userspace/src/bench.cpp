// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral bench`, interleaved repetitions of every variant
// of each experiment and their summary against the baseline.
#include "bench.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include <sys/utsname.h>
#include <unistd.h>

#include "cli.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "netlink.hpp"

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

// A spread of ratios that has the baseline (1.00x) inside it.
bool crosses_one(const std::optional<Spread>& s) {
    return s && s->min < 1.0 && s->max > 1.0;
}

Json opt_json(const std::optional<double>& v) {
    return v ? Json(*v) : Json(nullptr);
}

Json spread_json(const std::optional<Spread>& s) {
    return s ? Json{{"min", s->min}, {"max", s->max}} : Json(nullptr);
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

void summarize(BenchExperiment& e) {
    e.rows.clear();
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
        BenchRow row;
        row.variant = e.variants[i];
        row.baseline = base && *base == i;
        std::vector<double> p50, p99;
        for (const auto& rep : e.reps) {
            if (i >= rep.size())
                continue;
            const RunResult& r = rep[i];
            if (const Metric* m = primary(r)) {
                p50.push_back(double(m->p50));
                p99.push_back(double(m->p99));
                row.max = std::max(row.max, m->max);
            }
            row.violations += r.violations;
            row.timeouts += r.timeouts;
            row.truncated += r.truncated;
        }
        if (i < e.warmup.size()) {
            row.violations += e.warmup[i].violations;
            row.timeouts += e.warmup[i].timeouts;
            row.truncated += e.warmup[i].truncated;
        }
        row.median_p50 = median(p50);
        row.p99 = median(p99);
        e.rows.push_back(std::move(row));
    }
    if (!base)
        return;

    // Ratios to the baseline: of the medians, and repetition by repetition
    // (the same round of the interleaving) for their spread.
    const size_t b = *base;
    for (size_t i = 0; i < nv; i++) {
        BenchRow& row = e.rows[i];
        row.ratio = ratio(row.median_p50, e.rows[b].median_p50);
        std::vector<double> per_rep;
        std::vector<std::string> counters;
        for (const auto& rep : e.reps) {
            if (i >= rep.size() || b >= rep.size())
                continue;
            const Metric* m = primary(rep[i]);
            const Metric* bm = primary(rep[b]);
            if (m && bm && m->name == bm->name)
                if (auto q = ratio(double(m->p50), double(bm->p50)))
                    per_rep.push_back(*q);
            for (const auto& c : rep[i].counters)
                if (ends_with(c.name, "_per_sec") &&
                    std::find(counters.begin(), counters.end(), c.name) == counters.end())
                    counters.push_back(c.name);
        }
        row.ratio_spread = spread(per_rep);

        for (const auto& name : counters) {
            ThroughputRow t;
            t.counter = name;
            std::vector<double> mine, theirs, q;
            for (const auto& rep : e.reps) {
                if (i >= rep.size() || b >= rep.size())
                    continue;
                auto v = counter(rep[i], name);
                auto bv = counter(rep[b], name);
                if (v)
                    mine.push_back(double(*v));
                if (bv)
                    theirs.push_back(double(*bv));
                if (v && bv)
                    if (auto r = ratio(double(*v), double(*bv)))
                        q.push_back(*r);
            }
            t.median = median(mine);
            if (!theirs.empty())
                t.ratio = ratio(t.median, median(theirs));
            t.ratio_spread = spread(q);
            row.throughput.push_back(std::move(t));
        }
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
                                 const std::function<void(const RunResult&)>& on_run) {
    BenchExperiment e;
    e.experiment = exp.name;
    for (const auto& v : exp.variants) {
        e.variants.push_back(v.name);
        if (v.baseline)
            e.baseline = v.name;
    }
    if (!exp.metric_names.empty())
        e.metric = exp.metric_names.front();

    RunRequest base;
    base.iterations = opts.iterations;
    base.deadline_us = kBenchDeadlineUs;
    base.max_runtime_ms = kBenchMaxRuntimeMs;
    RunRequest req = request_for(base, exp, false);
    req.experiment = exp.name;

    auto one = [&](size_t v) {
        req.variant = e.variants[v];
        RunResult r = run(req);
        if (on_run)
            on_run(r);
        return r;
    };
    for (size_t v = 0; v < e.variants.size(); v++)
        e.warmup.push_back(one(v));
    e.reps.assign(opts.repetitions, {});
    for (const Slot& s : interleaved_order(e.variants.size(), opts.repetitions))
        e.reps[s.repetition].push_back(one(s.variant));
    summarize(e);
    return e;
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

void render_bench(std::ostream& os, const BenchExperiment& e, unsigned iterations) {
    size_t reps = e.reps.size();
    os << e.experiment << ": p50 of " << (e.metric.empty() ? "the primary metric" : e.metric)
       << ", " << reps << (reps == 1 ? " repetition" : " repetitions") << " of " << iterations
       << " iterations, interleaved after a warm-up; ";
    if (e.baseline.empty())
        os << "no baseline variant, no ratios\n";
    else
        os << "ratios to the baseline " << e.baseline << " of this bench\n";

    std::vector<std::string> counters;
    for (const auto& row : e.rows)
        for (const auto& t : row.throughput)
            if (std::find(counters.begin(), counters.end(), t.counter) == counters.end())
                counters.push_back(t.counter);

    std::vector<std::string> header = {"variant", "median", "p99", "max", "ratio", "spread"};
    for (const auto& c : counters) {
        header.push_back(c);
        header.push_back("ratio");
        header.push_back("spread");
    }
    header.push_back("violations");
    header.push_back("timeouts");
    Table t(header);
    bool footnote = false;
    uint64_t violations = 0, timeouts = 0, truncated = 0;
    for (const auto& row : e.rows) {
        std::string sp = row.baseline ? "baseline" : format_spread(row.ratio_spread);
        if (!row.baseline && crosses_one(row.ratio_spread)) {
            sp += " *";
            footnote = true;
        }
        std::vector<std::string> cells = {row.variant,
                                          format_ns(uint64_t(row.median_p50 + 0.5)),
                                          format_ns(uint64_t(row.p99 + 0.5)),
                                          format_ns(row.max),
                                          e.baseline.empty() ? "" : format_ratio(row.ratio),
                                          e.baseline.empty() ? "" : sp};
        for (const auto& c : counters) {
            auto it = std::find_if(row.throughput.begin(), row.throughput.end(),
                                   [&](const ThroughputRow& x) { return x.counter == c; });
            if (it == row.throughput.end()) {
                cells.insert(cells.end(), {"", "", ""});
                continue;
            }
            std::string tsp = row.baseline ? "baseline" : format_spread(it->ratio_spread);
            if (!row.baseline && crosses_one(it->ratio_spread)) {
                tsp += " *";
                footnote = true;
            }
            cells.push_back(std::to_string(uint64_t(it->median + 0.5)));
            cells.push_back(format_ratio(it->ratio));
            cells.push_back(tsp);
        }
        cells.push_back(mark(row.violations));
        cells.push_back(mark(row.timeouts));
        t.add(std::move(cells));
        violations += row.violations;
        timeouts += row.timeouts;
        truncated += row.truncated;
    }
    t.print(os, "  ");
    os << "  spread: the lowest..highest of the per-repetition ratios (each variant against the "
          "baseline of the same round)\n";
    if (footnote)
        os << "  * the ratio falls on both sides of 1.00x across the repetitions: no clear "
              "difference from the baseline\n";
    os << "  " << e.experiment << ": " << e.variants.size() * reps << " runs + " << e.warmup.size()
       << " warm-up, " << violations << " violations, " << timeouts << " timeouts";
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
    j["params"] = {{"iterations", opts.iterations},
                   {"repetitions", opts.repetitions},
                   {"deadline_us", kBenchDeadlineUs},
                   {"max_runtime_ms", kBenchMaxRuntimeMs},
                   {"order", "one warm-up run of each variant, discarded; then the repetitions "
                             "interleaved, every variant in turn"}};
    uint64_t violations = 0, timeouts = 0;
    Json list = Json::array();
    for (const auto& e : exps) {
        Json summary = Json::array();
        for (const auto& row : e.rows) {
            Json tp = Json::object();
            for (const auto& t : row.throughput)
                tp[t.counter] = {{"median", t.median},
                                 {"ratio", opt_json(t.ratio)},
                                 {"ratio_spread", spread_json(t.ratio_spread)}};
            summary.push_back({{"variant", row.variant},
                               {"baseline", row.baseline},
                               {"median_p50_ns", row.median_p50},
                               {"p99_ns", row.p99},
                               {"max_ns", row.max},
                               {"ratio", opt_json(row.ratio)},
                               {"ratio_spread", spread_json(row.ratio_spread)},
                               {"throughput", std::move(tp)},
                               {"violations", row.violations},
                               {"timeouts", row.timeouts},
                               {"truncated", row.truncated}});
            violations += row.violations;
            timeouts += row.timeouts;
        }
        Json reps = Json::array();
        for (const auto& rep : e.reps)
            reps.push_back(results_to_json(rep));
        list.push_back({{"experiment", e.experiment},
                        {"metric", e.metric},
                        {"baseline", e.baseline.empty() ? Json(nullptr) : Json(e.baseline)},
                        {"variants", e.variants},
                        {"summary", std::move(summary)},
                        {"warmup", results_to_json(e.warmup)},
                        {"repetitions", std::move(reps)}});
    }
    j["experiments"] = std::move(list);
    j["violations"] = violations;
    j["timeouts"] = timeouts;
    return j;
}

int bench_status(const std::vector<BenchExperiment>& exps) {
    for (const auto& e : exps)
        for (const auto& row : e.rows)
            if (row.violations || row.timeouts)
                return kExitViolations;
    return kExitOk;
}

int bench_main(const BenchOptions& opts, std::ostream& out, std::ostream& err) {
    if (opts.iterations < NTCORRAL_MIN_ITERATIONS || opts.iterations > NTCORRAL_MAX_ITERATIONS)
        throw UsageError("--iterations wants a count in [" +
                         std::to_string(NTCORRAL_MIN_ITERATIONS) + ", " +
                         std::to_string(NTCORRAL_MAX_ITERATIONS) + "]");
    if (opts.repetitions < 1)
        throw UsageError("--repetitions wants at least 1");

    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    std::vector<ExperimentInfo> list;
    {
        NlMsgPtr msg = build_list_request(conn.family());
        conn.transact(msg.get(), [&](nlmsghdr* h) { list.push_back(parse_experiment(h)); });
    }
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
    // Fail on an unwritable file before minutes of runs, not after.
    if (opts.json_file) {
        std::ofstream probe(*opts.json_file, std::ios::app);
        if (!probe)
            throw std::runtime_error("cannot write " + *opts.json_file);
    }

    BenchHost host = probe_host();
    out << "bench: " << host.kernel << ", " << host.cpu_model << ", " << host.online_cpus
        << " online CPUs"
        << (host.emulated ? " (emulated: compare ratios, not absolute times)" : "") << "\n";
    out.flush();

    BenchRunner runner = [&](const RunRequest& req) {
        NlMsgPtr msg = build_run_request(conn.family(), req);
        std::vector<RunResult> got;
        conn.transact(msg.get(), [&](nlmsghdr* h) { got.push_back(parse_result(h)); });
        if (got.size() != 1)
            throw ReplyError(std::to_string(got.size()) + " results for " + req.experiment + "/" +
                             req.variant);
        return got.front();
    };
    std::vector<BenchExperiment> done;
    for (const ExperimentInfo* exp : exps) {
        out << '\n';
        done.push_back(bench_experiment(*exp, opts, runner));
        render_bench(out, done.back(), opts.iterations);
        out.flush();
    }

    if (opts.json_file) {
        std::ofstream f(*opts.json_file, std::ios::trunc);
        f << bench_to_json(host, opts, done).dump(2) << '\n';
        if (!f.flush())
            throw std::runtime_error("cannot write " + *opts.json_file);
    }
    int status = bench_status(done);
    if (status != kExitOk) {
        std::vector<std::string> bad;
        for (const auto& e : done)
            for (const auto& row : e.rows)
                if (row.violations || row.timeouts)
                    bad.push_back(e.experiment + "/" + row.variant + " (" +
                                  std::to_string(row.violations) + " violations, " +
                                  std::to_string(row.timeouts) + " timeouts)");
        std::string which;
        for (size_t i = 0; i < bad.size(); i++)
            which += (i ? ", " : "") + bad[i];
        err << "ntcorral: the bench reported violations or timeouts !!! " << which << '\n';
    }
    return status;
}

} // namespace ntcorral
