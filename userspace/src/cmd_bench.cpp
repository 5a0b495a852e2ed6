// SPDX-License-Identifier: GPL-2.0
// ntcorral client: `ntcorral bench`, its options and the bench against the
// module (the engine is bench.cpp's).
#include <fstream>
#include <ostream>
#include <stdexcept>

#include <unistd.h>

#include "bench.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "render.hpp"
#include "run.hpp"

namespace ntcorral {

namespace {

// A run parameter bench takes, as run_options() describes it.
void add_run_parameter(CLI::App& sub, BenchOptions& b, uint32_t attr) {
    const RunOption& r = run_option(attr);
    sub.add_option(r.flag, b.*r.bench_field, r.bench_help)
        ->type_name(r.type_name)
        ->check(CLI::Range(r.bench_min, r.bench_max))
        ->capture_default_str();
}

} // namespace

void add_bench_options(CLI::App& sub, CliOptions& o) {
    BenchOptions& b = o.bench;
    sub.add_option("--experiments", b.experiments,
                   "Experiments to benchmark, comma-separated; default every one.")
        ->type_name("LIST");
    add_run_parameter(sub, b, NTCORRAL_A_ITERATIONS);
    sub.add_option("--repetitions", b.repetitions,
                   "Measured runs of every variant, interleaved (a ratio's 95% interval takes at "
                   "least 6).")
        ->type_name("R")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    add_run_parameter(sub, b, NTCORRAL_A_WARMUP);
    add_run_parameter(sub, b, NTCORRAL_A_BATCH);
    add_run_parameter(sub, b, NTCORRAL_A_COOLDOWN);
    sub.add_option("--json", b.json_file,
                   "Also write every run, the summary and the host to FILE as JSON.")
        ->type_name("FILE");
    sub.add_flag("--until-conclusive", b.until_conclusive,
                 "After the repetitions, one more round at a time of each experiment an "
                 "inconclusive target verdict rests on, until none is, --budget-s has passed or "
                 "--max-repetitions is reached.");
    sub.add_option("--budget-s", b.budget_s,
                   "With --until-conclusive (and required by it): the most seconds the bench may "
                   "take from its first run; no round starts after that (the one in flight "
                   "finishes).")
        ->type_name("S");
    sub.add_option("--max-repetitions", b.max_repetitions,
                   "With --until-conclusive: the most repetitions of an experiment, from "
                   "--repetitions to " +
                       std::to_string(kBenchMaxRepetitions) + " (default " +
                       std::to_string(kBenchDefaultMaxRepetitions) + ").")
        ->type_name("N");
}

int bench_main(const BenchOptions& opts, std::ostream& out, std::ostream& err) {
    validate_bench_options(opts);

    Connection conn = Connection::open(NTCORRAL_FAMILY_NAME);
    std::vector<ExperimentInfo> list = list_experiments(conn);
    std::vector<const ExperimentInfo*> exps = bench_selection(list, opts);
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

    // A bench stops at a cancel (Ctrl-C, another client's, an unload): the
    // rounds left would not be interleaved with the ones done.
    RunSession session(conn, err,
                       {show_progress(isatty(STDERR_FILENO), isatty(STDOUT_FILENO), false)});
    BenchRunner runner = [&](const RunRequest& req) {
        const ExperimentInfo* exp = nullptr;
        for (const auto& e : list)
            if (e.name == req.experiment)
                exp = &e;
        RunOutcome done = session.run(req, exp);
        if (done.stop)
            std::rethrow_exception(done.stop);
        return std::move(*done.result);
    };
    std::vector<BenchExperiment> done =
        run_bench(exps, list, opts, host, runner, steady_seconds, out);

    if (opts.json_file) {
        std::ofstream f(*opts.json_file, std::ios::trunc);
        f << bench_to_json(host, opts, done).dump(2) << '\n';
        if (!f.flush())
            throw std::runtime_error("cannot write " + *opts.json_file);
    }
    std::string which;
    int status = bench_status(done, &which);
    if (status != kExitOk)
        err << "ntcorral: the bench reported violations or timeouts !!! " << which << '\n';
    return status;
}

int cmd_bench(const CliOptions& o, std::ostream& out, std::ostream& err) {
    return bench_main(o.bench, out, err);
}

} // namespace ntcorral
