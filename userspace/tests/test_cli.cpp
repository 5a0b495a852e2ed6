// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: command line, name resolution and exit statuses.
#include <gtest/gtest.h>

#include <sstream>

#include <netlink/genl/genl.h>

#include "cli.hpp"
#include "contains.hpp"
#include "error.hpp"
#include "fake_replies.hpp"
#include "messages.hpp"

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
    EXPECT_FALSE(o.cpus);
    EXPECT_FALSE(o.pci_device);
    EXPECT_TRUE(o.param_options.empty());
    RunRequest req = make_run_request(o);
    EXPECT_FALSE(req.cpus);
    EXPECT_TRUE(req.params.empty());
}

TEST(Args, run_takes_its_own_options_and_any_other_as_a_parameter) {
    CliOptions o = parse({"run", "shootdown", "--variant", "nmi", "--iterations", "50", "--cpus",
                          "0-3", "--hold-us=0", "--pci-device", "00:1f.3", "--json", "--frobs"});
    EXPECT_EQ(o.experiment, "shootdown");
    EXPECT_EQ(o.variant, "nmi");
    EXPECT_EQ(o.cpus, "0-3");
    EXPECT_EQ(o.pci_device, "00:1f.3");
    EXPECT_TRUE(o.json);
    ASSERT_EQ(o.param_options.size(), 3u);
    EXPECT_EQ(o.param_options[0].flag, "--iterations");
    EXPECT_EQ(o.param_options[0].value, "50");
    EXPECT_EQ(o.param_options[1].flag, "--hold-us");
    EXPECT_EQ(o.param_options[1].value, "0");
    EXPECT_EQ(o.param_options[2].flag, "--frobs");
    EXPECT_FALSE(o.param_options[2].value);
    RunRequest req = make_run_request(o);
    ASSERT_TRUE(req.cpus);
    EXPECT_EQ(*req.cpus, std::vector<uint64_t>{0xf});
    EXPECT_EQ(req.param(NTCORRAL_A_PCI_DEVICE), 0x00fbu);
    EXPECT_EQ(req.params.size(), 1u) << "the parameters wait for LIST";
}

TEST(Args, the_experiment_may_come_after_a_parameter_and_its_value) {
    CliOptions o = parse({"run", "--hold-us", "5", "shootdown", "--variant", "ipi"});
    EXPECT_EQ(o.experiment, "shootdown");
    EXPECT_EQ(o.variant, "ipi");
    ASSERT_EQ(o.param_options.size(), 1u);
    EXPECT_EQ(o.param_options[0].value, "5");
}

TEST(Args, a_parameter_given_twice_or_a_stray_word_is_a_parse_error) {
    EXPECT_THROW(parse({"run", "x", "--hold-us", "1", "--hold-us=2"}), CLI::ArgumentMismatch);
    EXPECT_THROW(parse({"run", "x", "y"}), CLI::ExtrasError);
    EXPECT_THROW(parse({"run", "x", "-q"}), CLI::ExtrasError);
    std::string err;
    EXPECT_EQ(run({"run", "x", "y", "z"}, nullptr, &err), 2);
    EXPECT_EQ(err, "ntcorral: the following arguments were not expected: y z; see 'ntcorral run "
                   "--help'\n");
}

TEST(Args, unknown_option_of_another_command_is_rejected) {
    EXPECT_THROW(parse({"list", "--iterations", "3"}), CLI::ParseError);
}

TEST(Args, missing_experiment_is_rejected) {
    EXPECT_THROW(parse({"run"}), CLI::RequiredError);
    EXPECT_THROW(parse({"run", "--variant", "ipi"}), CLI::RequiredError);
    EXPECT_THROW(parse({"run", "--hold-us", "5"}), CLI::RequiredError);
}

TEST(Args, a_subcommand_is_required) {
    EXPECT_THROW(parse({}), CLI::ParseError);
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
    EXPECT_EQ(run({"run", "shootdown", "-b"}, &out, &err), 2);
    EXPECT_EQ(err.rfind("ntcorral: ", 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_TRUE(contains(err, "-b"));

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
         {"Usage: ntcorral run [OPTIONS] experiment", "experiment TEXT REQUIRED", "--variant",
          "--cpus LIST", "--pci-device BB:DD.F", "Run parameters", "130 interrupted by Ctrl-C"})
        EXPECT_TRUE(contains(out, part)) << part << "\n" << out;
    EXPECT_EQ(err, "");
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

// The experiments of the fake LIST: shootdown (iterations, hold_us,
// pci_device) and frobnicator (iterations, frobs: attribute 99).
std::vector<ExperimentInfo> fake_list() {
    NlMsgPtr shootdown = list_reply(), frobnicator = frobs_list_reply();
    return {parse_experiment(nlmsg_hdr(shootdown.get())),
            parse_experiment(nlmsg_hdr(frobnicator.get()))};
}

// The request `args` (after "run") make against the fake LIST, as cmd_run
// makes it; throws its UsageError.
RunRequest request(std::vector<const char*> args) {
    args.insert(args.begin(), "run");
    CliOptions o = parse(args);
    std::vector<ExperimentInfo> list = fake_list();
    RunRequest req = make_run_request(o);
    const ExperimentInfo* only =
        o.experiment == "all" ? nullptr : &find_experiment(list, o.experiment);
    put_param_options(o.param_options, list, only, req);
    if (only)
        check_taken(req, *only, list);
    return req;
}

// The UsageError sentence of request(args), or "" for none.
std::string usage_error(std::vector<const char*> args) {
    try {
        request(std::move(args));
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(RunParams, an_option_the_client_never_heard_of_reaches_the_request) {
    RunRequest req = request({"frobnicator", "--frobs", "3", "--iterations=7"});
    EXPECT_EQ(req.param(99), 3u);
    EXPECT_EQ(req.param(NTCORRAL_A_ITERATIONS), 7u);
    NlMsgPtr msg = build_run_request(0x20, req);
    nlattr* frobs = nlmsg_find_attr(nlmsg_hdr(msg.get()), GENL_HDRLEN, 99);
    ASSERT_TRUE(frobs) << "sent as attribute 99";
    EXPECT_EQ(nla_len(frobs), 4);
    EXPECT_EQ(nla_get_u32(frobs), 3u);
    std::string help = run_parameters_help(fake_list());
    EXPECT_TRUE(contains(help, "  --frobs N                   Frobs per iteration: 1 to 8, default "
                               "2; frobnicator only.\n"))
        << help;
}

TEST(RunParams, the_range_is_the_listed_one_inclusive) {
    EXPECT_EQ(request({"shootdown", "--hold-us", "0"}).param(NTCORRAL_A_HOLD_US), 0u);
    EXPECT_EQ(request({"shootdown", "--hold-us", "10000"}).param(NTCORRAL_A_HOLD_US), 10000u);
    EXPECT_EQ(request({"frobnicator", "--frobs", "8"}).param(99), 8u);
}

TEST(RunParams, unknown_option_names_the_closest_listed_one) {
    EXPECT_EQ(usage_error({"shootdown", "--hodl-us", "1"}),
              "unknown option '--hodl-us' (the options are in 'ntcorral run --help'); did you "
              "mean '--hold-us'?");
    EXPECT_EQ(usage_error({"shootdown", "--frbos", "1"}),
              "unknown option '--frbos' (the options are in 'ntcorral run --help'); did you mean "
              "'--frobs'?")
        << "another experiment's parameter is a guess too";
    EXPECT_EQ(usage_error({"shootdown", "--varient=ipi"}),
              "unknown option '--varient' (the options are in 'ntcorral run --help'); did you "
              "mean '--variant'?");
    EXPECT_EQ(usage_error({"shootdown", "--zzzzzz", "1"}),
              "unknown option '--zzzzzz' (the options are in 'ntcorral run --help')");
}

TEST(RunParams, a_missing_or_non_numeric_value_gives_the_listed_range) {
    EXPECT_EQ(usage_error({"shootdown", "--hold-us"}),
              "--hold-us needs a value: hold_us takes 0 to 10000 us; see 'ntcorral list'");
    EXPECT_EQ(usage_error({"shootdown", "--hold-us", "--json"}),
              "--hold-us needs a value: hold_us takes 0 to 10000 us; see 'ntcorral list'");
    EXPECT_EQ(usage_error({"shootdown", "--hold-us", "abc"}),
              "--hold-us 'abc' is not a number: hold_us takes 0 to 10000 us; see 'ntcorral list'");
    EXPECT_EQ(usage_error({"frobnicator", "--frobs="}),
              "--frobs '' is not a number: frobs takes 1 to 8; see 'ntcorral list'");
    for (const char* v : {"-1", "+3", "1.5", "0x10", "5us"})
        EXPECT_TRUE(contains(usage_error({"shootdown", "--hold-us", v}), "is not a number")) << v;
}

TEST(RunParams, a_value_out_of_the_listed_range_is_a_usage_error) {
    EXPECT_EQ(usage_error({"shootdown", "--hold-us", "99999999"}),
              "--hold-us 99999999 is out of range: hold_us takes 0 to 10000 us; see 'ntcorral "
              "list'");
    EXPECT_EQ(usage_error({"shootdown", "--iterations", "0"}),
              "--iterations 0 is out of range: iterations takes 1 to 100000; see 'ntcorral list'");
    EXPECT_TRUE(contains(usage_error({"shootdown", "--hold-us", "18446744073709551616"}),
                         "is out of range"))
        << "past 64 bits";
}

TEST(RunParams, an_option_the_experiment_does_not_take_is_refused_for_one_experiment) {
    EXPECT_EQ(usage_error({"frobnicator", "--hold-us", "3"}),
              "frobnicator takes no --hold-us (see 'ntcorral list')");
    EXPECT_EQ(usage_error({"shootdown", "--frobs", "3"}),
              "shootdown takes no --frobs (see 'ntcorral list')");
    EXPECT_EQ(usage_error({"frobnicator", "--pci-device", "none"}),
              "frobnicator takes no --pci-device (see 'ntcorral list')");
    // Not taken is the answer, whatever the value: out of its range too.
    EXPECT_EQ(usage_error({"frobnicator", "--hold-us", "99999999"}),
              "frobnicator takes no --hold-us (see 'ntcorral list')");
}

TEST(RunParams, run_all_passes_each_experiment_only_what_it_takes) {
    RunRequest req = request({"all", "--frobs", "3", "--hold-us", "4", "--iterations", "9"});
    std::vector<ExperimentInfo> list = fake_list();
    RunRequest shootdown = request_for(req, list[0]);
    EXPECT_EQ(shootdown.param(NTCORRAL_A_HOLD_US), 4u);
    EXPECT_FALSE(shootdown.param(99));
    EXPECT_EQ(shootdown.param(NTCORRAL_A_ITERATIONS), 9u);
    RunRequest frob = request_for(req, list[1]);
    EXPECT_EQ(frob.param(99), 3u);
    EXPECT_FALSE(frob.param(NTCORRAL_A_HOLD_US));
    EXPECT_EQ(frob.param(NTCORRAL_A_ITERATIONS), 9u);
}

TEST(RunParams, help_lists_each_parameter_once_with_unit_range_default_and_takers) {
    std::string help = run_parameters_help(fake_list());
    EXPECT_EQ(help, "Run parameters, as the module lists them ('ntcorral list' shows which "
                    "experiment takes which):\n"
                    "  --iterations N              Iterations to run: 1 to 100000, default 100.\n"
                    "  --hold-us N                 Work held: 0 to 10000 us, default 5; shootdown "
                    "only.\n"
                    "  --frobs N                   Frobs per iteration: 1 to 8, default 2; "
                    "frobnicator only.\n")
        << "--pci-device is the client's own option, described above it";
    EXPECT_TRUE(contains(run_parameters_help({}), "none"));
}

TEST(RunParams, without_the_module_run_says_it_is_not_loaded_not_unknown_option) {
    try {
        Connection::open(NTCORRAL_FAMILY_NAME);
        GTEST_SKIP() << "the module is loaded here";
    } catch (const NlError& e) {
        if (!e.family_missing())
            GTEST_SKIP() << "no generic netlink here";
    }
    std::string out, err;
    EXPECT_EQ(run({"run", "shootdown", "--bogus", "3"}, &out, &err), 1);
    EXPECT_TRUE(contains(err, "kernel module is not loaded")) << err;
    EXPECT_FALSE(contains(err, "unknown option")) << err;
    EXPECT_EQ(run({"run", "--help"}, &out, &err), 0);
    EXPECT_TRUE(contains(out, "Run parameters: the other options (--NAME N) are the parameters the "
                              "module lists, and it is not loaded; load it ('insmod ntcorral.ko' "
                              "or 'modprobe ntcorral') and see them here or in 'ntcorral "
                              "list'.\n\nExit status:"))
        << out;
}
