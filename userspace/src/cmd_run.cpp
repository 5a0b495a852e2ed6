// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral run`, its options (a few of the client's own,
// the run parameters as the module's LIST names them) and the RUN request
// they make.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

#include <unistd.h>

#include "commands.hpp"
#include "cpulist.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "render.hpp"
#include "run.hpp"

namespace ntcorral {

namespace {

// The results of one experiment's variants in a run, and its baseline.
struct BaselineSpan {
    size_t begin, end;
    std::string variant;
};

// The run's results as JSON, each beside its experiment's baseline of this
// same run.
Json run_json(const std::vector<RunResult>& results, const std::vector<BaselineSpan>& baselines) {
    Json all = results_to_json(results);
    for (const auto& b : baselines) {
        const RunResult* base = nullptr;
        for (size_t i = b.begin; i < b.end; i++)
            if (results[i].variant == b.variant)
                base = &results[i];
        for (size_t i = b.begin; base && i < b.end; i++)
            if (&results[i] != base)
                all[i]["ratio_to_baseline"] =
                    ratios_to_json(baseline_ratios(results[i], *base), b.variant);
    }
    return all;
}

// The experiments `run` names: one, or with "all" every one the module
// offers (every variant of each).
std::vector<const ExperimentInfo*> experiments_to_run(const CliOptions& o,
                                                      const std::vector<ExperimentInfo>& list) {
    std::vector<const ExperimentInfo*> exps;
    if (o.experiment == "all") {
        if (o.variant != "all")
            throw UsageError("--variant names a variant of one experiment; with 'run all' "
                             "every variant runs");
        for (const auto& e : list)
            exps.push_back(&e);
    } else {
        exps.push_back(&find_experiment(list, o.experiment));
    }
    return exps;
}

// The options whose syntax the client owns (CLI11 parses them); every
// other run option is a parameter the module lists.
const char* const kOwnOptions[] = {"--variant", "--json", "--cpus", "--pci-device"};

const char* const kExperimentHelp =
    "Experiment to run (see 'ntcorral list'), or 'all' for every experiment.";

bool own_option(std::string_view flag) {
    return std::find(std::begin(kOwnOptions), std::end(kOwnOptions), flag) != std::end(kOwnOptions);
}

// A number's unit as LIST gives it ("us", "Hz"), for a sentence; none for
// the kind of a number ("count", "bool").
std::string unit_suffix(const std::string& unit) {
    return unit.empty() || unit == "count" || unit == "bool" ? "" : " " + unit;
}

// "hold_us takes 0 to 10000 us".
std::string what_it_takes(const ParamInfo& p) {
    return p.name + " takes " + std::to_string(p.min) + " to " + std::to_string(p.max) +
           unit_suffix(p.unit);
}

// Every parameter `list` names, once (as the first experiment that lists
// it describes it), in attribute order.
std::vector<const ParamInfo*> listed_params(const std::vector<ExperimentInfo>& list) {
    std::map<uint32_t, const ParamInfo*> by_attr;
    for (const auto& e : list)
        for (const auto& p : e.params)
            by_attr.emplace(p.attr, &p);
    std::vector<const ParamInfo*> params;
    for (const auto& entry : by_attr)
        params.push_back(entry.second);
    return params;
}

[[noreturn]] void unknown_option(const std::string& flag,
                                 const std::vector<const ParamInfo*>& params) {
    std::vector<std::string> names(std::begin(kOwnOptions), std::end(kOwnOptions));
    for (const ParamInfo* p : params)
        names.push_back(option_name(p->name));
    std::string msg = "unknown option '" + flag + "' (the options are in 'ntcorral run --help')";
    if (auto guess = did_you_mean(flag, names))
        msg += "; did you mean '" + *guess + "'?";
    throw UsageError(msg);
}

// The value of a parameter option, a number in the parameter's listed
// range (and a u32, as RUN sends it).
uint32_t param_value(const ParamOption& o, const ParamInfo& p) {
    const std::string takes = what_it_takes(p) + "; see 'ntcorral list'";
    if (!o.value)
        throw UsageError(o.flag + " needs a value: " + takes);
    const std::string& v = *o.value;
    const char* end = v.data() + v.size();
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), end, n);
    if (ec == std::errc::invalid_argument || ptr != end)
        throw UsageError(o.flag + " '" + v + "' is not a number: " + takes);
    if (ec != std::errc() || n < p.min || n > p.max || n > UINT32_MAX)
        throw UsageError(o.flag + " " + v + " is out of range: " + takes);
    return static_cast<uint32_t>(n);
}

// The experiment and the parameter options among run's extras (CLI11 took
// the client's own options), in any order: "--name N", "--name=N", one
// experiment. Throws CLI11's errors, as for options it knows.
void take_run_args(const std::vector<std::string>& args, CliOptions& o) {
    std::vector<std::string> unexpected;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string& a = args[i];
        if (a.size() > 2 && a.rfind("--", 0) == 0) {
            ParamOption p;
            size_t eq = a.find('=');
            p.flag = a.substr(0, eq);
            if (eq != std::string::npos)
                p.value = a.substr(eq + 1);
            else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
                p.value = args[++i];
            for (const auto& given : o.param_options)
                if (given.flag == p.flag)
                    throw CLI::ArgumentMismatch::AtMost(p.flag, 1, 2);
            o.param_options.push_back(std::move(p));
        } else if (!a.empty() && a[0] != '-' && o.experiment.empty()) {
            o.experiment = a;
        } else {
            unexpected.push_back(a);
        }
    }
    if (!unexpected.empty()) // ExtrasError names them in reverse
        throw CLI::ExtrasError(std::vector<std::string>(unexpected.rbegin(), unexpected.rend()));
    if (o.experiment.empty())
        throw CLI::RequiredError("experiment");
}

// CLI11's help, with the experiment (read by take_run_args(), so that the
// N of "--hold-us N" before it is not taken for it) shown as a positional.
class RunHelp : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App* app, std::string name) const override {
        std::string usage = CLI::Formatter::make_usage(app, std::move(name));
        return usage.insert(usage.size() - 1, " experiment");
    }
    std::string make_positionals(const CLI::App*) const override {
        std::ostringstream out;
        out << '\n' << get_label("Positionals") << ":\n";
        CLI::detail::format_help(out, "experiment TEXT REQUIRED", kExperimentHelp,
                                 get_column_width());
        return out.str();
    }
};

// run --help's section of the parameters, from the module's LIST (a blank
// line follows it: CLI11 adds a newline before the footer under it).
std::string run_parameters_footer() {
    const std::string from = "Run parameters: the other options (--NAME N) are the parameters "
                             "the module lists, and ";
    try {
        Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
        return run_parameters_help(list_experiments(conn));
    } catch (const NlError& e) {
        if (e.family_missing())
            return from + "it is not loaded; load it ('insmod ntcorral.ko' or 'modprobe "
                          "ntcorral') and see them here or in 'ntcorral list'.\n";
        return from + "it did not answer (" + explain("list", e) + "); see 'ntcorral list'.\n";
    } catch (const std::exception& e) {
        return from + "its LIST failed (" + e.what() + "); see 'ntcorral list'.\n";
    }
}

} // namespace

void add_run_options(CLI::App& sub, CliOptions& o) {
    sub.add_flag("--json", o.json, "Print JSON instead of tables.");
    sub.add_option("--variant", o.variant, "Variant to run, or 'all' for every variant in turn.")
        ->type_name("NAME|all")
        ->capture_default_str();
    sub.add_option("--cpus", o.cpus,
                   "CPUs taking part, e.g. 0-3,6 (online, below " +
                       std::to_string(NTCORRAL_MAX_CPUS) +
                       "); the lowest is the initiator. Module default: every online CPU.")
        ->type_name("LIST");
    sub.add_option("--pci-device", o.pci_device,
                   "PCI device BB:DD.F (hex, domain 0) for experiments that touch one, or none: "
                   "no PCI access; module default 00:00.0.")
        ->type_name("BB:DD.F");
    // The experiment and the parameters: the extras, read once CLI11 is
    // done with the rest and checked against LIST by cmd_run().
    sub.allow_extras();
    sub.parse_complete_callback([&sub, &o] { take_run_args(sub.remaining(), o); });
    sub.formatter(std::make_shared<RunHelp>());
    sub.footer([] { return run_parameters_footer(); });
}

RunRequest make_run_request(const CliOptions& o) {
    RunRequest req;
    req.experiment = o.experiment;
    if (o.cpus)
        req.cpus = parse_cpu_list(*o.cpus);
    if (o.pci_device)
        req.params[NTCORRAL_A_PCI_DEVICE] = parse_pci_device(*o.pci_device);
    return req;
}

void put_param_options(const std::vector<ParamOption>& given,
                       const std::vector<ExperimentInfo>& list, const ExperimentInfo* only,
                       RunRequest& req) {
    const std::vector<const ParamInfo*> params = listed_params(list);
    for (const auto& o : given) {
        auto it = std::find_if(params.begin(), params.end(),
                               [&](const ParamInfo* p) { return option_name(p->name) == o.flag; });
        if (it == params.end())
            unknown_option(o.flag, params);
        if (only && !takes_param(*only, (*it)->attr))
            throw UsageError(only->name + " takes no " + o.flag + " (see 'ntcorral list')");
        req.params[(*it)->attr] = param_value(o, **it);
    }
}

std::string run_parameters_help(const std::vector<ExperimentInfo>& list) {
    std::ostringstream out;
    out << "Run parameters, as the module lists them ('ntcorral list' shows which experiment "
           "takes which):\n";
    size_t shown = 0;
    for (const ParamInfo* p : listed_params(list)) {
        const std::string flag = option_name(p->name);
        if (own_option(flag))
            continue;
        std::string desc = p->description + ": " + std::to_string(p->min) + " to " +
                           std::to_string(p->max) + unit_suffix(p->unit) + ", default " +
                           std::to_string(p->def);
        if (!desc.empty())
            desc[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(desc[0])));
        std::vector<std::string> takers;
        for (const auto& e : list)
            if (takes_param(e, p->attr))
                takers.push_back(e.name);
        if (takers.size() < list.size()) {
            desc += "; ";
            for (size_t i = 0; i < takers.size(); i++)
                desc += (i ? ", " : "") + takers[i];
            desc += " only";
        }
        // CLI11's default column, as the options above.
        CLI::detail::format_help(out, flag + " N", desc + ".", 30);
        shown++;
    }
    if (!shown)
        out << "  none: the module lists no parameter beyond these\n";
    return out.str();
}

bool takes_param(const ExperimentInfo& exp, uint32_t attr) {
    return std::any_of(exp.params.begin(), exp.params.end(),
                       [&](const ParamInfo& p) { return p.attr == attr; });
}

RunRequest request_for(const RunRequest& base, const ExperimentInfo& exp) {
    RunRequest req = base;
    std::erase_if(req.params, [&](const auto& entry) { return !takes_param(exp, entry.first); });
    return req;
}

void check_taken(const RunRequest& req, const ExperimentInfo& exp,
                 const std::vector<ExperimentInfo>& list) {
    for (const auto& entry : req.params) {
        if (takes_param(exp, entry.first))
            continue;
        std::string flag;
        for (const auto& e : list)
            if (flag.empty())
                flag = option_for_attr(entry.first, e.params);
        throw UsageError(exp.name + " takes no " + flag + " (see 'ntcorral list')");
    }
}

int cmd_run(const CliOptions& o, std::ostream& out, std::ostream& err) {
    RunRequest req = make_run_request(o);
    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    auto list = list_experiments(conn);
    std::vector<const ExperimentInfo*> exps = experiments_to_run(o, list);
    const ExperimentInfo* only = o.experiment == "all" ? nullptr : exps.front();
    put_param_options(o.param_options, list, only, req);
    if (only)
        check_taken(req, *only, list); // --pci-device, the client's own

    std::vector<RunResult> results;
    std::vector<std::string> summaries;
    std::vector<BaselineSpan> baselines;
    // Variants --variant all leaves out on this kernel, said once the rest
    // ran (a request the module rejects keeps its one error line).
    std::vector<std::string> not_run;
    RunSession session(conn, err,
                       {show_progress(isatty(STDERR_FILENO), isatty(STDOUT_FILENO), o.json)});
    // Why the series ended early (Ctrl-C, an unload, another client's
    // cancel): reported once what ran is printed.
    std::exception_ptr stop;
    for (const ExperimentInfo* exp : exps) {
        if (stop)
            break;
        size_t first = results.size();
        RunRequest exp_req = request_for(req, *exp);
        if (o.variant == "all")
            for (const auto& v : exp->variants)
                if (!v.refused.empty())
                    not_run.push_back(exp->name + '/' + v.name +
                                      " is not run on this kernel: " + v.refused);
        for (const auto& v : resolve_variants(*exp, o.variant)) {
            exp_req.experiment = exp->name;
            exp_req.variant = v;
            RunOutcome done = session.run(exp_req, exp);
            stop = done.stop;
            if (!done.result)
                break;
            size_t before = results.size();
            results.push_back(std::move(*done.result));
            if (!o.json) {
                if (before)
                    out << '\n';
                render_result(out, results.back());
                out.flush();
            }
            if (stop)
                break;
        }
        if (stop && results.size() == first)
            break;
        std::vector<RunResult> mine(results.begin() + first, results.end());
        summaries.push_back(summary_line(exp->name, mine, "variant", "variants"));
        for (const auto& v : exp->variants)
            if (v.baseline)
                baselines.push_back({first, results.size(), v.name});
        if (!o.json && !baselines.empty() && baselines.back().begin == first)
            render_ratios(out, mine, baselines.back().variant);
    }
    if (o.json) {
        out << run_json(results, baselines).dump(2) << '\n';
    } else {
        out << '\n';
        for (const auto& line : summaries)
            out << line << '\n';
    }
    for (const auto& line : not_run)
        err << "ntcorral: " << line << '\n';
    int status =
        report_status(o.experiment == "all" ? "the run" : exps.front()->name, results, err);
    if (stop) {
        out.flush();
        std::rethrow_exception(stop);
    }
    return status;
}

} // namespace ntcorral
