// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: command line, name resolution and exit statuses.
#include <gtest/gtest.h>

#include <sstream>

#include "cli.hpp"
#include "contains.hpp"
#include "error.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

// Parse argv with a fresh app; returns the options.
CliOptions parse(std::vector<const char*> args) {
    args.insert(args.begin(), "ntcorral");
    CliOptions o;
    auto app = make_app(o);
    app->parse(static_cast<int>(args.size()), args.data());
    return o;
}

int run(std::vector<const char*> args, std::string* out = nullptr, std::string* err = nullptr) {
    args.insert(args.begin(), "ntcorral");
    std::ostringstream o, e;
    int rc = run_main(static_cast<int>(args.size()), args.data(), o, e);
    if (out)
        *out = o.str();
    if (err)
        *err = e.str();
    return rc;
}

ExperimentInfo shootdown() {
    ExperimentInfo e;
    e.name = "shootdown";
    e.variants = {{"ipi", "", true}, {"nmi", "", false}, {"dpc", "", false}};
    return e;
}

} // namespace

TEST(Args, run_defaults_to_all_variants_and_sends_nothing_else) {
    CliOptions o = parse({"run", "shootdown"});
    EXPECT_EQ(o.command, "run");
    EXPECT_EQ(o.experiment, "shootdown");
    EXPECT_EQ(o.variant, "all");
    EXPECT_FALSE(o.json);
    EXPECT_FALSE(o.iterations);
    EXPECT_FALSE(o.cpus);
    EXPECT_FALSE(o.hold_us);
    EXPECT_FALSE(o.deadline_us);
    EXPECT_FALSE(o.max_runtime_ms);
    EXPECT_FALSE(o.pci_device);
}

TEST(Args, run_takes_every_option) {
    CliOptions o = parse({"run", "shootdown", "--variant", "nmi", "--iterations", "50", "--cpus",
                          "0-3", "--hold-us", "0", "--deadline-us", "1000", "--max-runtime-ms",
                          "20", "--pci-device", "00:1f.3", "--json"});
    EXPECT_EQ(o.variant, "nmi");
    EXPECT_EQ(o.iterations, 50u);
    EXPECT_EQ(o.cpus, "0-3");
    EXPECT_EQ(o.hold_us, 0u);
    EXPECT_EQ(o.deadline_us, 1000u);
    EXPECT_EQ(o.max_runtime_ms, 20u);
    EXPECT_EQ(o.pci_device, "00:1f.3");
    EXPECT_TRUE(o.json);
    RunRequest req = make_run_request(o);
    ASSERT_TRUE(req.cpus);
    EXPECT_EQ(*req.cpus, std::vector<uint64_t>{0xf});
    EXPECT_EQ(req.pci_device, 0x00fbu);
    EXPECT_EQ(req.iterations, 50u);
}

TEST(Args, run_takes_the_timing_options_and_the_burst) {
    CliOptions o = parse({"run", "shootdown", "--warmup", "20", "--cooldown", "5", "--phase-stamps",
                          "0", "--burst", "64", "--batch", "10"});
    EXPECT_EQ(o.batch, 10u);
    EXPECT_EQ(make_run_request(o).batch, 10u);
    EXPECT_EQ(o.warmup, 20u);
    EXPECT_EQ(o.cooldown, 5u);
    EXPECT_EQ(o.phase_stamps, 0u);
    EXPECT_EQ(o.burst, 64u);
    RunRequest req = make_run_request(o);
    EXPECT_EQ(req.warmup, 20u);
    EXPECT_EQ(req.cooldown, 5u);
    ASSERT_TRUE(req.phase_stamps);
    EXPECT_EQ(*req.phase_stamps, 0u);
    EXPECT_EQ(req.burst, 64u);
    RunRequest none = make_run_request(parse({"run", "shootdown"}));
    EXPECT_FALSE(none.warmup);
    EXPECT_FALSE(none.cooldown);
    EXPECT_FALSE(none.phase_stamps);
    EXPECT_FALSE(none.burst);
}

TEST(Args, run_help_gives_the_ranges_of_the_uapi_header) {
    std::string out, err;
    EXPECT_EQ(run({"run", "--help"}, &out, &err), 0);
    for (const std::string& want : std::vector<std::string>{
             "--warmup", "--cooldown", "--phase-stamps", "--burst", "--batch",
             "[0, " + std::to_string(NTCORRAL_MAX_WARMUP) + "]; module default 0.",
             "[0, 1]; module default 1.",
             "[" + std::to_string(NTCORRAL_MIN_BURST) + ", " + std::to_string(NTCORRAL_MAX_BURST) +
                 "]; module default 1."})
        EXPECT_TRUE(contains(out, want)) << want << "\n" << out;
}

TEST(Args, unknown_option_is_rejected) {
    EXPECT_THROW(parse({"run", "shootdown", "--bogus"}), CLI::ParseError);
    EXPECT_THROW(parse({"list", "--iterations", "3"}), CLI::ParseError);
}

TEST(Args, missing_experiment_is_rejected) {
    EXPECT_THROW(parse({"run"}), CLI::RequiredError);
    EXPECT_THROW(parse({"run", "--variant", "ipi"}), CLI::RequiredError);
}

TEST(Args, a_subcommand_is_required) {
    EXPECT_THROW(parse({}), CLI::ParseError);
}

TEST(Args, numbers_must_be_unsigned_32_bit) {
    EXPECT_THROW(parse({"run", "x", "--iterations", "-1"}), CLI::ParseError);
    EXPECT_THROW(parse({"run", "x", "--iterations", "abc"}), CLI::ParseError);
    EXPECT_THROW(parse({"run", "x", "--hold-us", "4294967296"}), CLI::ParseError);
    EXPECT_EQ(parse({"run", "x", "--hold-us", "4294967295"}).hold_us, 4294967295u);
}

TEST(Args, stats_and_reset_take_optional_filters) {
    CliOptions o = parse({"stats"});
    EXPECT_EQ(o.command, "stats");
    EXPECT_FALSE(o.filter_experiment);
    o = parse({"stats", "shootdown", "ipi", "--json"});
    EXPECT_EQ(o.filter_experiment, "shootdown");
    EXPECT_EQ(o.filter_variant, "ipi");
    EXPECT_TRUE(o.json);
    o = parse({"reset", "shootdown"});
    EXPECT_EQ(o.command, "reset");
    EXPECT_EQ(o.filter_experiment, "shootdown");
    EXPECT_FALSE(o.filter_variant);
    EXPECT_THROW(parse({"reset", "a", "b", "c"}), CLI::ParseError);
}

TEST(Args, result_and_cancel_take_an_optional_run_id) {
    CliOptions o = parse({"result"});
    EXPECT_EQ(o.command, "result");
    EXPECT_FALSE(o.run_id);
    EXPECT_FALSE(o.json);
    o = parse({"result", "--run-id", "18446744073709551615", "--json"});
    EXPECT_EQ(o.run_id, 18446744073709551615ull);
    EXPECT_TRUE(o.json);
    o = parse({"cancel", "--run-id", "3"});
    EXPECT_EQ(o.command, "cancel");
    EXPECT_EQ(o.run_id, 3u);
    // The module's ids start at 1; cancel prints one line, no JSON.
    EXPECT_THROW(parse({"result", "--run-id", "0"}), CLI::ParseError);
    EXPECT_THROW(parse({"cancel", "--run-id", "-1"}), CLI::ParseError);
    EXPECT_THROW(parse({"cancel", "--run-id", "18446744073709551616"}), CLI::ParseError);
    EXPECT_THROW(parse({"cancel", "--run-id", "+3"}), CLI::ParseError);
    EXPECT_THROW(parse({"cancel", "--json"}), CLI::ParseError);
    EXPECT_THROW(parse({"cancel", "shootdown"}), CLI::ParseError);
    std::string err;
    EXPECT_EQ(run({"result", "--run-id", "0"}, nullptr, &err), 2);
    EXPECT_EQ(err, "ntcorral: --run-id: a run id is a number from 1 up; see 'ntcorral result "
                   "--help'\n");
}

TEST(Args, bad_cpu_list_and_pci_device_fail_in_make_run_request) {
    EXPECT_THROW(make_run_request(parse({"run", "x", "--cpus", "3-1"})), UsageError);
    EXPECT_THROW(make_run_request(parse({"run", "x", "--pci-device", "00:20.0"})), UsageError);
}

TEST(Main, usage_errors_exit_2_with_one_line) {
    std::string out, err;
    EXPECT_EQ(run({"run", "shootdown", "--bogus"}, &out, &err), 2);
    EXPECT_EQ(err.rfind("ntcorral: ", 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_TRUE(contains(err, "--bogus"));

    EXPECT_EQ(run({"run"}, &out, &err), 2);
    EXPECT_TRUE(contains(err, "experiment"));
    EXPECT_TRUE(contains(err, "'ntcorral run --help'"));

    EXPECT_EQ(run({}, &out, &err), 2);
}

TEST(Main, unknown_command_suggests_the_closest) {
    std::string err;
    EXPECT_EQ(run({"rnu", "shootdown"}, nullptr, &err), 2);
    EXPECT_EQ(err,
              "ntcorral: unknown command 'rnu' (valid: list, run, result, cancel, stats, reset, "
              "bench); did you mean 'run'?; see 'ntcorral --help'\n");
}

TEST(Main, bad_cpu_list_exits_2_before_touching_netlink) {
    std::string err;
    EXPECT_EQ(run({"run", "shootdown", "--cpus", "1-x"}, nullptr, &err), 2);
    EXPECT_EQ(err, "ntcorral: bad CPU list '1-x': 'x' is not a CPU number; expected e.g. 0-3,6\n");
}

TEST(Main, help_and_version_exit_0) {
    std::string out, err;
    EXPECT_EQ(run({"--help"}, &out, &err), 0);
    EXPECT_TRUE(contains(out, "run"));
    EXPECT_TRUE(contains(out, "stats"));
    EXPECT_EQ(run({"run", "--help"}, &out, &err), 0);
    for (const char* part :
         {"--hold-us", "microseconds", "milliseconds", "130 interrupted by Ctrl-C"})
        EXPECT_TRUE(contains(out, part));
    EXPECT_EQ(run({"--version"}, &out, &err), 0);
    EXPECT_TRUE(contains(out, "version " + std::to_string(NTCORRAL_FAMILY_VERSION)));
}

TEST(DidYouMean, edit_distance_counts_edits) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("shootdown", "shotdown"), 1u);
}

TEST(DidYouMean, suggests_only_within_two_edits) {
    std::vector<std::string> c = {"shootdown", "dpc", "timer"};
    EXPECT_EQ(did_you_mean("shotdown", c), "shootdown");
    EXPECT_EQ(did_you_mean("dcp", c), "dpc");
    EXPECT_EQ(did_you_mean("tim", c), "timer");
    EXPECT_FALSE(did_you_mean("zzzzzz", c));
    EXPECT_FALSE(did_you_mean("ti", c)); // 3 edits from "timer", 3 from "dpc"
}

TEST(Resolve, unknown_experiment_lists_valid_names_and_guess) {
    std::vector<ExperimentInfo> list = {shootdown()};
    EXPECT_EQ(&find_experiment(list, "shootdown"), &list[0]);
    try {
        find_experiment(list, "shootdwn");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(),
                     "unknown experiment 'shootdwn' (valid: shootdown); did you mean 'shootdown'?");
    }
    try {
        find_experiment(list, "zzz");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "unknown experiment 'zzz' (valid: shootdown)");
    }
}

TEST(Resolve, all_expands_to_every_variant_in_module_order) {
    EXPECT_EQ(resolve_variants(shootdown(), "all"),
              (std::vector<std::string>{"ipi", "nmi", "dpc"}));
    EXPECT_EQ(resolve_variants(shootdown(), "nmi"), std::vector<std::string>{"nmi"});
}

TEST(Resolve, all_leaves_out_what_this_kernel_does_not_run_but_a_name_is_sent) {
    ExperimentInfo e = shootdown();
    e.variants[1].refused = "not on this kernel";
    EXPECT_EQ(resolve_variants(e, "all"), (std::vector<std::string>{"ipi", "dpc"}));
    EXPECT_EQ(resolve_variants(e, "nmi"), std::vector<std::string>{"nmi"});
}

TEST(Resolve, unknown_variant_lists_valid_names_and_guess) {
    try {
        resolve_variants(shootdown(), "npi");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "unknown variant 'npi' of shootdown (valid: all, ipi, nmi, dpc); "
                               "did you mean 'ipi'?");
    }
    EXPECT_THROW(resolve_variants(shootdown(), "all", false), UsageError);
}

TEST(Status, violations_or_timeouts_give_3_and_name_the_result) {
    RunResult ok;
    ok.experiment = "shootdown";
    ok.variant = "ipi";
    RunResult bad = ok;
    bad.variant = "nmi";
    bad.violations = 2;
    RunResult slow = ok;
    slow.variant = "dpc";
    slow.timeouts = 1;
    std::string which;
    EXPECT_EQ(results_status({ok}, &which), 0);
    EXPECT_EQ(which, "");
    EXPECT_EQ(results_status({ok, bad, slow}, &which), 3);
    EXPECT_EQ(which, "shootdown/nmi (2 violations), shootdown/dpc (1 timeout)");
    EXPECT_EQ(summary_line("shootdown", {ok, bad, slow}, "variant", "variants"),
              "shootdown: 3 variants, 2 violations, 1 timeouts");
    EXPECT_EQ(summary_line("shootdown", {ok}, "variant", "variants"),
              "shootdown: 1 variant, 0 violations, 0 timeouts");
}

namespace {
ExperimentInfo exp_with_params(std::initializer_list<uint32_t> attrs) {
    ExperimentInfo e;
    e.name = "shootdown";
    for (uint32_t a : attrs) {
        ParamInfo p;
        p.attr = a;
        e.params.push_back(p);
    }
    return e;
}
} // namespace

TEST(RequestFor, keeps_the_options_the_experiment_lists) {
    RunRequest base;
    base.hold_us = 7;
    base.pci_device = 0x0008;
    RunRequest r =
        request_for(base, exp_with_params({NTCORRAL_A_HOLD_US, NTCORRAL_A_PCI_DEVICE}), true);
    EXPECT_EQ(r.hold_us, 7u);
    EXPECT_EQ(r.pci_device, 0x0008u);
}

TEST(RequestFor, an_option_the_experiment_lacks_is_a_usage_error_for_one_experiment) {
    RunRequest base;
    base.rate_hz = 500;
    try {
        request_for(base, exp_with_params({NTCORRAL_A_HOLD_US}), true);
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("shootdown takes no --rate-hz"), std::string::npos)
            << e.what();
    }
}

TEST(RequestFor, the_timing_options_and_the_burst_only_where_listed) {
    RunRequest base;
    base.warmup = 20;
    base.cooldown = 5;
    base.phase_stamps = 0;
    RunRequest r = request_for(
        base, exp_with_params({NTCORRAL_A_WARMUP, NTCORRAL_A_COOLDOWN, NTCORRAL_A_PHASE_STAMPS}),
        true);
    EXPECT_EQ(r.warmup, 20u);
    EXPECT_EQ(r.cooldown, 5u);
    EXPECT_EQ(r.phase_stamps, 0u);

    auto refused = [](RunRequest req, const char* option) {
        try {
            request_for(req, exp_with_params({NTCORRAL_A_HOLD_US}), true);
            ADD_FAILURE() << option << " accepted";
        } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()),
                      std::string("shootdown takes no ") + option + " (see 'ntcorral list')");
        }
    };
    RunRequest one;
    one.warmup = 1;
    refused(one, "--warmup");
    one = {};
    one.cooldown = 1;
    refused(one, "--cooldown");
    one = {};
    one.phase_stamps = 1;
    refused(one, "--phase-stamps");
    one = {};
    one.burst = 64;
    refused(one, "--burst");

    base.burst = 64;
    r = request_for(base, exp_with_params({NTCORRAL_A_BURST}), false);
    EXPECT_FALSE(r.warmup);
    EXPECT_FALSE(r.cooldown);
    EXPECT_FALSE(r.phase_stamps);
    EXPECT_EQ(r.burst, 64u);
}

TEST(RequestFor, run_all_drops_what_an_experiment_lacks) {
    RunRequest base;
    base.rate_hz = 500;
    base.iterations = 3;
    RunRequest r = request_for(base, exp_with_params({}), false);
    EXPECT_FALSE(r.rate_hz);
    EXPECT_EQ(r.iterations, 3u);
}
