// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the run path's budget and its Ctrl-C guard.
#include <gtest/gtest.h>

#include <csignal>

#include <poll.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "contains.hpp"
#include "fake_replies.hpp"
#include "interrupt.hpp"
#include "run.hpp"

using namespace ntcorral;
using namespace ntcorral::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

ExperimentInfo with_runtime_default(uint64_t def) {
    ExperimentInfo e;
    e.name = "shootdown";
    e.params.push_back({"max_runtime_ms", NTCORRAL_A_MAX_RUNTIME_MS, "", "ms", 10, 30000, def});
    return e;
}

constexpr int kFamily = 0x20; // reply_header()'s

const RunWatch::Clock::time_point kStart{seconds(1000)};

NlMsgPtr delfamily(uint16_t id) {
    NlMsgPtr msg = make_msg();
    genlmsg_put(msg.get(), 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_DELFAMILY, 2);
    nla_put_u16(msg.get(), CTRL_ATTR_FAMILY_ID, id);
    return msg;
}

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

} // namespace

TEST(RunBudget, the_request_first_then_the_modules_default_then_the_cap) {
    RunRequest req;
    ExperimentInfo exp = with_runtime_default(4000);
    EXPECT_EQ(run_budget_ms(req, &exp), 4000u);
    EXPECT_EQ(run_budget_ms(req, nullptr), uint32_t{NTCORRAL_MAX_RUNTIME_MS});
    ExperimentInfo none;
    EXPECT_EQ(run_budget_ms(req, &none), uint32_t{NTCORRAL_MAX_RUNTIME_MS});
    req.params[NTCORRAL_A_MAX_RUNTIME_MS] = 250;
    EXPECT_EQ(run_budget_ms(req, &exp), 250u);
}

TEST(RunBudget, the_grace_covers_deadlines_and_late_dpcs) {
    EXPECT_GE(kRunGrace, std::chrono::seconds(60));
}

TEST(InterruptGuard, a_first_sigint_is_recorded_and_wakes_not_fatal) {
    struct sigaction before {};
    sigaction(SIGINT, nullptr, &before);
    {
        InterruptGuard guard;
        EXPECT_EQ(guard.signal(), 0);
        EXPECT_FALSE(readable(guard.wake_fd()));
        raise(SIGINT); // would end the test program without the guard
        EXPECT_EQ(guard.signal(), SIGINT);
        EXPECT_TRUE(readable(guard.wake_fd()));
        guard.drain();
        EXPECT_FALSE(readable(guard.wake_fd()));
        EXPECT_EQ(guard.signal(), SIGINT); // drained, still recorded
    }
    struct sigaction after {};
    sigaction(SIGINT, nullptr, &after);
    EXPECT_EQ(after.sa_handler, before.sa_handler) << "the guard put the old handler back";
}

TEST(InterruptGuard, sigterm_counts_too_and_a_new_guard_starts_clean) {
    {
        InterruptGuard guard;
        raise(SIGTERM);
        EXPECT_EQ(guard.signal(), SIGTERM);
    }
    InterruptGuard again;
    EXPECT_EQ(again.signal(), 0);
    EXPECT_FALSE(readable(again.wake_fd()));
}

TEST(RunWatch, takes_its_own_result_and_passes_over_other_runs) {
    RunWatch w(kFamily, 17, kStart, milliseconds(10000));
    NlMsgPtr other = run_result_notification(16, 0, 5);
    NlMsgPtr other_progress = progress_notification(18, 1, 2, 3, 4);
    EXPECT_FALSE(w.feed(nlmsg_hdr(other.get())));
    EXPECT_FALSE(w.feed(nlmsg_hdr(other_progress.get())));
    EXPECT_FALSE(w.end());

    NlMsgPtr progress = progress_notification(17, 350, 1000, 3500000000ull, 10000000000ull);
    auto p = w.feed(nlmsg_hdr(progress.get()));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->done, 350u);
    EXPECT_FALSE(w.end());

    NlMsgPtr mine = run_result_notification(17, 0, 2);
    EXPECT_FALSE(w.feed(nlmsg_hdr(mine.get())));
    ASSERT_TRUE(w.end());
    EXPECT_EQ(w.end()->run_id, 17u);
    EXPECT_EQ(w.end()->result.violations, 2u);

    // Nothing after the result counts.
    EXPECT_FALSE(w.feed(nlmsg_hdr(progress.get())));
    auto end = w.take_end();
    ASSERT_TRUE(end);
    EXPECT_EQ(end->result.violations, 2u);
}

TEST(RunWatch, another_familys_message_of_the_same_number_is_not_the_result) {
    RunWatch w(kFamily + 1, 17, kStart, milliseconds(10000));
    NlMsgPtr mine = run_result_notification(17);
    w.feed(nlmsg_hdr(mine.get()));
    EXPECT_FALSE(w.end());
}

TEST(RunWatch, a_failure_after_the_start_is_the_end_too) {
    RunWatch w(kFamily, 7, kStart, milliseconds(10000));
    NlMsgPtr failed = run_failure_notification(7, EBUSY, "a CPU still owes an answer");
    w.feed(nlmsg_hdr(failed.get()));
    ASSERT_TRUE(w.end());
    ASSERT_TRUE(w.end()->failure);
    EXPECT_EQ(w.end()->failure->error, EBUSY);
}

TEST(RunWatch, the_familys_unregistration_is_noticed) {
    RunWatch w(kFamily, 17, kStart, milliseconds(10000));
    NlMsgPtr someone_else = delfamily(kFamily + 3);
    w.feed(nlmsg_hdr(someone_else.get()));
    EXPECT_FALSE(w.family_gone());
    NlMsgPtr ours = delfamily(kFamily);
    w.feed(nlmsg_hdr(ours.get()));
    EXPECT_TRUE(w.family_gone());
    EXPECT_FALSE(w.end());
}

TEST(RunWatch, the_deadline_is_budget_plus_grace_or_the_modules_longer_budget) {
    RunWatch w(kFamily, 17, kStart, milliseconds(10000));
    EXPECT_EQ(w.deadline(), kStart + seconds(10) + kRunGrace);
    EXPECT_TRUE(contains(w.waited(), "its budget (10 s) and 60 s of grace"));
    NlMsgPtr shorter = progress_notification(17, 1, 10, 1000, 5000000000ull);
    w.feed(nlmsg_hdr(shorter.get()));
    EXPECT_EQ(w.deadline(), kStart + seconds(10) + kRunGrace);
    NlMsgPtr longer = progress_notification(17, 1, 10, 1000, 30000000000ull);
    w.feed(nlmsg_hdr(longer.get()));
    EXPECT_EQ(w.deadline(), kStart + seconds(30) + kRunGrace);
    EXPECT_TRUE(contains(w.waited(), "its budget (30 s)"));
}

TEST(RunWatch, after_a_cancel_the_result_is_due_within_the_grace) {
    RunWatch w(kFamily, 17, kStart, milliseconds(30000));
    w.cancelled(kStart + seconds(1));
    EXPECT_EQ(w.deadline(), kStart + seconds(1) + kRunGrace);
    EXPECT_TRUE(contains(w.waited(), "after the cancel"));
    // The module's budget no longer moves it.
    NlMsgPtr longer = progress_notification(17, 1, 10, 1000, 30000000000ull);
    w.feed(nlmsg_hdr(longer.get()));
    EXPECT_EQ(w.deadline(), kStart + seconds(1) + kRunGrace);
}

TEST(InterruptGuardDeathTest, a_second_signal_ends_the_process_by_that_signal) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            InterruptGuard guard;
            raise(SIGINT); // recorded
            raise(SIGINT); // the default action: the shell reports 130
            _exit(0);
        },
        testing::KilledBySignal(SIGINT), "");
    EXPECT_EXIT(
        {
            InterruptGuard guard;
            raise(SIGINT);
            raise(SIGTERM); // either signal, the second time
            _exit(0);
        },
        testing::KilledBySignal(SIGTERM), "");
}
