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

// A run parameter bench sets on every run it makes, with bench's meaning
// of it. Its range is the uapi header's, as validate_bench_options() checks
// it (the module checks it again on every run).
struct BenchParam {
    const char* flag;
    uint32_t BenchOptions::*field;
    const char* help;
    int min, max;
};

void add_bench_param(CLI::App& sub, BenchOptions& b, const BenchParam& p) {
    sub.add_option(p.flag, b.*p.field, p.help)
        ->type_name("N")
        ->check(CLI::Range(p.min, p.max))
        ->capture_default_str();
}

} // namespace

void add_bench_options(CLI::App& sub, CliOptions& o) {
    BenchOptions& b = o.bench;
    sub.add_option("--experiments", b.experiments,
                   "Experiments to benchmark, comma-separated; default every one.")
        ->type_name("LIST");
    add_bench_param(sub, b,
                    {"--iterations", &BenchOptions::iterations, "Iterations of every run.",
                     NTCORRAL_MIN_ITERATIONS, NTCORRAL_MAX_ITERATIONS});
    sub.add_option("--repetitions", b.repetitions,
                   "Measured runs of every variant, interleaved (a ratio's 95% interval takes at "
                   "least 6).")
        ->type_name("R")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    add_bench_param(sub, b,
                    {"--warmup", &BenchOptions::warmup,
                     "Unrecorded iterations the module runs before the measured ones of every "
                     "run, where the experiment takes them.",
                     0, NTCORRAL_MAX_WARMUP});
    add_bench_param(sub, b,
                    {"--batch", &BenchOptions::batch,
                     "Iterations timed together between two timestamps in the lean rounds, where "
                     "the experiment takes it (the stamped round times one at a time).",
                     NTCORRAL_MIN_BATCH, NTCORRAL_MAX_BATCH});
    add_bench_param(sub, b,
                    {"--cooldown", &BenchOptions::cooldown,
                     "Unrecorded iterations the module runs after them.", 0, NTCORRAL_MAX_WARMUP});
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
