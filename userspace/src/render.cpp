// SPDX-License-Identifier: GPL-2.0
// ntcorral client: tables, histograms and JSON for people and scripts.
#include "render.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>

#include "cpulist.hpp"
#include "messages.hpp"

namespace ntcorral {

namespace {

std::string scaled(double v, const char* unit, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%.*f%s", decimals, v, unit);
    return buf;
}

std::string plural(uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string mark(uint64_t n) {
    return std::to_string(n) + (n ? "  !!!" : "");
}

std::string pct(double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f%%", v);
    return buf;
}

// "warm-up 20 and cool-down 5 iterations (not recorded); phase stamps off (lean)".
std::string timing_line(const RunResult& r) {
    std::vector<std::string> parts;
    if (r.warmup || r.cooldown)
        parts.push_back("warm-up " + std::to_string(r.warmup.value_or(0)) + " and cool-down " +
                        std::to_string(r.cooldown.value_or(0)) + " iterations (not recorded)");
    if (r.batch && *r.batch > 1)
        parts.push_back("batches of " + std::to_string(*r.batch) +
                        " iterations timed together (the primary metric: their mean)");
    if (r.phase_stamps)
        parts.push_back(*r.phase_stamps
                            ? "phase stamps on (every metric timed)"
                            : "phase stamps off (lean: the primary metric only, no clock read "
                              "inside its window)");
    std::string s;
    for (size_t i = 0; i < parts.size(); i++)
        s += (i ? "; " : "") + parts[i];
    return s;
}

} // namespace

std::optional<double> sample_overhead_pct(const RunResult& r) {
    if (!r.sample_overhead_ns || r.metrics.empty() || !r.metrics.front().count ||
        !r.metrics.front().p50)
        return std::nullopt;
    // A batch's two timestamps are shared by its iterations.
    double per_iteration =
        double(*r.sample_overhead_ns) / double(std::max(1u, r.batch.value_or(1)));
    return per_iteration / double(r.metrics.front().p50) * 100;
}

std::string instrumentation_line(const RunResult& r) {
    std::string s;
    if (r.clock_read_ns)
        s = "one timestamp " + format_ns(*r.clock_read_ns);
    if (r.sample_overhead_ns) {
        s += (s.empty() ? "" : "; ") + std::string("an empty timed sample ") +
             format_ns(*r.sample_overhead_ns);
        if (auto p = sample_overhead_pct(r))
            s += " = " + pct(*p) + " of the p50";
    }
    return s;
}

std::string format_ns(uint64_t ns) {
    if (ns < 1000)
        return std::to_string(ns) + "ns";
    if (ns < 1000000)
        return scaled(static_cast<double>(ns) / 1e3, "us", 2);
    if (ns < 1000000000)
        return scaled(static_cast<double>(ns) / 1e6, "ms", 2);
    return scaled(static_cast<double>(ns) / 1e9, "s", 3);
}

uint64_t bucket_lo(unsigned b) {
    return b == 0 ? 0 : uint64_t{1} << (b - 1);
}

uint64_t bucket_hi(unsigned b) {
    if (b + 1 >= NTCORRAL_HIST_BUCKETS)
        return 0;
    return uint64_t{1} << b;
}

Table::Table(std::vector<std::string> header, std::vector<bool> left)
    : left_(std::move(left)), has_header_(!header.empty()) {
    if (has_header_)
        rows_.push_back(std::move(header));
}

void Table::add(std::vector<std::string> row) {
    rows_.push_back(std::move(row));
}

void Table::print(std::ostream& os, const std::string& indent) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
        if (width.size() < row.size())
            width.resize(row.size(), 0);
        for (size_t i = 0; i < row.size(); i++)
            width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows_) {
        std::string line = indent;
        for (size_t i = 0; i < row.size(); i++) {
            bool left = i == 0 || (i < left_.size() && left_[i]);
            bool last = i + 1 == row.size();
            std::string pad(width[i] - row[i].size(), ' ');
            if (i)
                line += "  ";
            if (left)
                line += row[i] + (last ? "" : pad);
            else
                line += pad + row[i];
        }
        os << line << '\n';
    }
}

void render_histogram(std::ostream& os, const Histogram& hist, const std::string& indent) {
    int first = -1, last = -1;
    uint64_t peak = 0;
    for (unsigned b = 0; b < hist.size(); b++) {
        if (!hist[b])
            continue;
        if (first < 0)
            first = static_cast<int>(b);
        last = static_cast<int>(b);
        peak = std::max(peak, hist[b]);
    }
    if (first < 0) {
        os << indent << "(no samples)\n";
        return;
    }
    size_t count_width = std::to_string(peak).size();
    for (int b = first; b <= last; b++) {
        uint64_t n = hist[static_cast<unsigned>(b)];
        size_t bar = 0;
        if (n)
            bar = std::max<size_t>(1, static_cast<size_t>((n * 40 + peak / 2) / peak));
        uint64_t hi = bucket_hi(static_cast<unsigned>(b));
        os << indent << '[' << std::setw(8) << format_ns(bucket_lo(static_cast<unsigned>(b)))
           << ", " << std::setw(8) << (hi ? format_ns(hi) : std::string("inf")) << ")  "
           << std::setw(static_cast<int>(count_width)) << n << "  |" << std::string(bar, '#')
           << '\n';
    }
}

void render_result(std::ostream& os, const RunResult& r) {
    os << r.experiment << '/' << r.variant << '\n';
    Table t({}, {true, true});
    if (r.runs != 1 || !r.iterations)
        t.add({"runs", std::to_string(r.runs)});
    if (r.iterations)
        t.add({"samples", std::to_string(r.samples) + " of " +
                              plural(*r.iterations, "iteration", "iterations")});
    else
        t.add({"samples", std::to_string(r.samples)});
    t.add({"violations", mark(r.violations)});
    t.add({"timeouts", mark(r.timeouts)});
    if (r.cancelled != NTCORRAL_CANCEL_NONE) {
        t.add({"truncated", r.truncated ? "yes (cancelled)" : "no"});
        t.add({"cancelled", cancel_reason(r.cancelled)});
    } else {
        t.add({"truncated", r.truncated ? "yes (the run budget ended the run early)" : "no"});
    }
    if (r.cpus || r.nr_cpus || r.initiator_cpu) {
        std::string cpus = r.cpus ? format_cpu_list(*r.cpus) : std::string("?");
        std::vector<std::string> extra;
        if (r.nr_cpus)
            extra.push_back(plural(*r.nr_cpus, "CPU", "CPUs"));
        if (r.initiator_cpu)
            extra.push_back("initiator " + std::to_string(*r.initiator_cpu));
        for (size_t i = 0; i < extra.size(); i++)
            cpus += (i ? ", " : " (") + extra[i];
        if (!extra.empty())
            cpus += ")";
        t.add({"cpus", cpus});
    }
    t.add({"duration", format_ns(r.duration_ns)});
    if (r.warmup || r.cooldown || r.phase_stamps || r.batch)
        t.add({"timing", timing_line(r)});
    t.print(os, "  ");
    if (auto line = instrumentation_line(r); !line.empty())
        os << "  instrumentation: " << line << '\n';

    if (!r.metrics.empty()) {
        os << '\n';
        Table m({"metric", "count", "min", "mean", "p50", "p90", "p99", "max"});
        for (const auto& x : r.metrics)
            m.add({x.name, std::to_string(x.count), format_ns(x.min), format_ns(x.mean),
                   format_ns(x.p50), format_ns(x.p90), format_ns(x.p99), format_ns(x.max)});
        m.print(os, "  ");
    }
    if (!r.counters.empty()) {
        os << '\n';
        Table c({"counter", "value"});
        for (const auto& x : r.counters)
            c.add({x.name, std::to_string(x.value)});
        c.print(os, "  ");
    }
    if (!r.metrics.empty()) {
        os << '\n' << "  " << r.metrics.front().name << " histogram\n";
        render_histogram(os, r.metrics.front().hist, "  ");
    }
}

std::string cancel_reason(uint32_t cancelled) {
    switch (cancelled) {
    case NTCORRAL_CANCEL_REQUEST:
        return "yes, by a CANCEL request ('ntcorral cancel', or Ctrl-C): the figures are of "
               "the iterations before it";
    case NTCORRAL_CANCEL_UNLOAD:
        return "yes, because the module was being unloaded: the figures are of the iterations "
               "before it";
    default:
        return "yes (reason " + std::to_string(cancelled) + ")";
    }
}

std::string cancel_name(uint32_t cancelled) {
    switch (cancelled) {
    case NTCORRAL_CANCEL_NONE:
        return "none";
    case NTCORRAL_CANCEL_REQUEST:
        return "request";
    case NTCORRAL_CANCEL_UNLOAD:
        return "unload";
    default:
        return std::to_string(cancelled);
    }
}

bool show_progress(bool stderr_tty, bool stdout_tty, bool json) {
    return stderr_tty && stdout_tty && !json;
}

std::string render_progress(uint64_t done, uint64_t total, uint64_t elapsed_ns, uint64_t budget_ns,
                            size_t width, const std::string& label) {
    auto secs = [](uint64_t ns) { return scaled(double(ns) / 1e9, "s", 1); };
    const uint64_t capped = std::min(done, total); // past the end: full
    std::string tail;
    if (total) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%3u%%", unsigned(capped * 100 / total));
        tail = std::string(buf) + "  " + std::to_string(done) + "/" + std::to_string(total);
    } else {
        tail = std::to_string(done);
    }
    tail += "  " + secs(elapsed_ns);
    if (budget_ns)
        tail += " of " + secs(budget_ns);

    const size_t room = width ? width - 1 : 0;
    constexpr size_t kMinBar = 10, kMaxBar = 40;
    auto bar = [&](size_t inner) {
        size_t fill = total ? size_t(capped * inner / total) : 0;
        return "[" + std::string(fill, '#') + std::string(inner - fill, '.') + "]";
    };
    // label [bar]  tail; then [bar]  tail; then tail, cut to fit.
    for (const std::string& head : {label, std::string()}) {
        size_t fixed = (head.empty() ? 0 : head.size() + 1) + 2 + 2 + tail.size();
        if (room >= fixed + kMinBar)
            return (head.empty() ? "" : head + " ") + bar(std::min(kMaxBar, room - fixed)) + "  " +
                   tail;
    }
    return tail.substr(0, room);
}

void render_experiments(std::ostream& os, const std::vector<ExperimentInfo>& list) {
    bool first = true;
    for (const auto& e : list) {
        if (!first)
            os << '\n';
        first = false;
        os << e.name;
        if (!e.seed.empty())
            os << "  (seed " << e.seed << ')';
        os << '\n';
        if (!e.description.empty())
            os << "  " << e.description << '\n';
        if (!e.variants.empty()) {
            os << "  variants:\n";
            Table v({}, {true, true, true});
            for (const auto& x : e.variants)
                v.add({x.name, variant_role(x), x.description});
            v.print(os, "    ");
            for (const auto& x : e.variants)
                if (!x.refused.empty())
                    os << "    " << x.name << " is not run on this kernel: " << x.refused << '\n';
            std::string waiters;
            for (const auto& x : e.variants)
                if (x.waits_in_irq && x.refused.empty())
                    waiters += (waiters.empty() ? "" : ", ") + x.name;
            if (!waiters.empty())
                os << "    " << waiters
                   << ": CPUs wait for CPUs inside an interrupt, interrupts off; one caught holding"
                      " a lock and one spinning for it hold each other until the deadline\n";
        }
        if (!e.params.empty()) {
            os << "  parameters:\n";
            Table p({"name", "option", "unit", "min", "max", "default", "description"},
                    {true, true, true, false, false, false, true});
            for (const auto& x : e.params) {
                bool pci = x.attr == NTCORRAL_A_PCI_DEVICE;
                auto val = [&](uint64_t v) {
                    return pci ? format_pci_device(static_cast<uint32_t>(v)) : std::to_string(v);
                };
                p.add({x.name, option_name(x.name), x.unit.empty() ? "-" : x.unit, val(x.min),
                       val(x.max), val(x.def), x.description});
            }
            p.print(os, "    ");
        }
        if (!e.metric_names.empty()) {
            os << "  metrics:";
            for (size_t i = 0; i < e.metric_names.size(); i++)
                os << (i ? ", " : " ") << e.metric_names[i];
            os << '\n';
        }
    }
}

Json histogram_to_json(const Histogram& hist) {
    Json out = Json::array();
    for (unsigned b = 0; b < hist.size(); b++) {
        if (!hist[b])
            continue;
        uint64_t hi = bucket_hi(b);
        out.push_back({{"lo_ns", bucket_lo(b)},
                       {"hi_ns", hi ? Json(hi) : Json(nullptr)},
                       {"count", hist[b]}});
    }
    return out;
}

// A metric's count and figures in ns: count, min, mean, p50, p90, p99, max.
Json metric_figures(const Metric& m) {
    return {{"count", m.count}, {"min", m.min}, {"mean", m.mean}, {"p50", m.p50},
            {"p90", m.p90},     {"p99", m.p99}, {"max", m.max}};
}

Json result_to_json(const RunResult& r) {
    Json j;
    j["experiment"] = r.experiment;
    j["variant"] = r.variant;
    j["runs"] = r.runs;
    put_if(j, "iterations", r.iterations);
    j["samples"] = r.samples;
    j["violations"] = r.violations;
    j["timeouts"] = r.timeouts;
    j["truncated"] = r.truncated;
    if (r.cancelled != NTCORRAL_CANCEL_NONE)
        j["cancelled"] = cancel_name(r.cancelled);
    put_if(j, "nr_cpus", r.nr_cpus);
    put_if(j, "initiator_cpu", r.initiator_cpu);
    put_if(j, "cpus", r.cpus);
    j["duration_ns"] = r.duration_ns;
    put_timing(j, r);
    put_if(j, "clock_read_ns", r.clock_read_ns);
    put_if(j, "sample_overhead_ns", r.sample_overhead_ns);
    put_if(j, "sample_overhead_pct", sample_overhead_pct(r));
    if (!r.metrics.empty()) {
        const Metric& p = r.metrics.front();
        Json latency = {{"metric", p.name}};
        latency.update(metric_figures(p));
        j["latency_ns"] = std::move(latency);
        j["histogram"] = histogram_to_json(p.hist);
    } else {
        j["histogram"] = Json::array();
    }
    Json metrics = Json::object();
    for (const auto& m : r.metrics) {
        metrics[m.name] = metric_figures(m);
        metrics[m.name]["histogram"] = histogram_to_json(m.hist);
    }
    j["metrics"] = std::move(metrics);
    Json counters = Json::object();
    for (const auto& c : r.counters)
        counters[c.name] = c.value;
    j["counters"] = std::move(counters);
    return j;
}

Json results_to_json(const std::vector<RunResult>& results) {
    Json out = Json::array();
    for (const auto& r : results)
        out.push_back(result_to_json(r));
    return out;
}

Json experiments_to_json(const std::vector<ExperimentInfo>& list) {
    Json out = Json::array();
    for (const auto& e : list) {
        Json variants = Json::array();
        for (const auto& v : e.variants)
            variants.push_back({{"name", v.name},
                                {"description", v.description},
                                {"baseline", v.baseline},
                                {"wrong", v.wrong},
                                {"defect", v.defect},
                                {"refused", v.refused.empty() ? Json() : Json(v.refused)},
                                {"waits_in_irq", v.waits_in_irq}});
        Json params = Json::array();
        for (const auto& p : e.params)
            params.push_back({{"name", p.name},
                              {"attr", p.attr},
                              {"option", option_name(p.name)},
                              {"description", p.description},
                              {"unit", p.unit},
                              {"min", p.min},
                              {"max", p.max},
                              {"default", p.def}});
        out.push_back({{"name", e.name},
                       {"seed", e.seed},
                       {"description", e.description},
                       {"variants", std::move(variants)},
                       {"params", std::move(params)},
                       {"metrics", e.metric_names}});
    }
    return out;
}

std::vector<BaselineRatio> baseline_ratios(const RunResult& r, const RunResult& baseline) {
    std::vector<BaselineRatio> out;
    if (!r.metrics.empty() && !baseline.metrics.empty() &&
        r.metrics[0].name == baseline.metrics[0].name && baseline.metrics[0].p50 > 0)
        out.push_back({"p50 " + r.metrics[0].name,
                       double(r.metrics[0].p50) / double(baseline.metrics[0].p50)});
    const std::string suffix = "_per_sec";
    for (const auto& c : r.counters) {
        if (c.name.size() <= suffix.size() ||
            c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        for (const auto& b : baseline.counters)
            if (b.name == c.name && b.value > 0)
                out.push_back({c.name, double(c.value) / double(b.value)});
    }
    return out;
}

void render_ratios(std::ostream& os, const std::vector<RunResult>& results,
                   const std::string& baseline_variant) {
    const RunResult* base = nullptr;
    for (const auto& r : results)
        if (r.variant == baseline_variant)
            base = &r;
    if (!base || results.size() < 2)
        return;
    os << "\n"
       << base->experiment << ": ratios to the baseline " << baseline_variant
       << ", measured in this run\n";
    for (const auto& r : results) {
        if (&r == base)
            continue;
        os << "  " << std::left << std::setw(18) << r.variant << std::right;
        const char* sep = "";
        for (const auto& q : baseline_ratios(r, *base)) {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "%.2fx", q.ratio);
            os << sep << q.what << " " << buf;
            sep = ", ";
        }
        os << '\n';
    }
}

Json ratios_to_json(const std::vector<BaselineRatio>& ratios, const std::string& baseline_variant) {
    Json j = Json::object();
    j["baseline"] = baseline_variant;
    for (const auto& q : ratios)
        j[q.what] = q.ratio;
    return j;
}

} // namespace ntcorral
