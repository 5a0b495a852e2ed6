// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: the connection against the kernel's own "nlctrl"
// family, which every kernel has; skipped where netlink sockets are denied.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>

#include "error.hpp"
#include "netlink.hpp"

using namespace ntcorral;

namespace {

std::optional<Connection> open_nlctrl() {
    try {
        return Connection::open("nlctrl");
    } catch (const NlError& e) {
        if (e.stage() == NlError::Stage::Socket)
            return std::nullopt;
        throw;
    }
}

NlMsgPtr getfamily(int family, int flags, const char* name) {
    NlMsgPtr msg = make_msg();
    genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, CTRL_CMD_GETFAMILY, 1);
    if (name)
        nla_put_string(msg.get(), CTRL_ATTR_FAMILY_NAME, name);
    return msg;
}

// The error a request ends in; a failure of the test if it ends well.
std::optional<NlError> refusal(Connection& conn, const NlMsgPtr& msg) {
    try {
        conn.transact(msg.get(), [](nlmsghdr*) {});
    } catch (const NlError& e) {
        return e;
    }
    ADD_FAILURE() << "the request was not refused";
    return std::nullopt;
}

// How many replies a request gets.
int replies_to(Connection& conn, const NlMsgPtr& msg) {
    int replies = 0;
    conn.transact(msg.get(), [&](nlmsghdr*) { replies++; });
    return replies;
}

} // namespace

#define NEED_NETLINK(conn)                                                                         \
    auto conn = open_nlctrl();                                                                     \
    if (!conn)                                                                                     \
    GTEST_SKIP() << "no generic netlink socket here"

TEST(Connection, resolves_a_present_family) {
    NEED_NETLINK(conn);
    EXPECT_EQ(conn->family(), GENL_ID_CTRL);
}

TEST(Connection, missing_family_is_reported_as_module_not_loaded) {
    NEED_NETLINK(conn);
    try {
        Connection::open("ntc-nonexistent");
        FAIL();
    } catch (const NlError& e) {
        EXPECT_TRUE(e.family_missing());
        EXPECT_NE(explain("list", e).find("kernel module is not loaded"), std::string::npos);
    }
}

TEST(Connection, do_request_gets_one_reply_then_the_ack) {
    NEED_NETLINK(conn);
    EXPECT_EQ(replies_to(*conn, getfamily(conn->family(), 0, "nlctrl")), 1);
    // The socket is still in step for a second request.
    EXPECT_EQ(replies_to(*conn, getfamily(conn->family(), 0, "nlctrl")), 1);
}

TEST(Connection, dump_collects_every_message_until_done) {
    NEED_NETLINK(conn);
    EXPECT_GE(replies_to(*conn, getfamily(conn->family(), NLM_F_DUMP, nullptr)), 1);
}

TEST(Connection, kernel_error_carries_errno) {
    NEED_NETLINK(conn);
    std::optional<NlError> e = refusal(*conn, getfamily(conn->family(), 0, "ntc-nonexistent"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->stage(), NlError::Stage::Request);
    EXPECT_EQ(e->error(), ENOENT) << e->what();
    EXPECT_FALSE(e->family_missing());
}

TEST(Connection, enoent_for_an_id_no_family_holds_reads_as_an_unload) {
    NEED_NETLINK(conn);
    // What a request to a family unregistered since it was resolved gets:
    // genl_rcv_msg() finds no family of that id, ENOENT without extack.
    // The name ("nlctrl") resolves to another id now: unloaded, back since.
    std::optional<NlError> e = refusal(*conn, getfamily(GENL_MAX_ID + 1, 0, "nlctrl"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error(), ENOENT) << e->what();
    EXPECT_TRUE(e->extack().empty());
    EXPECT_TRUE(e->family_vanished());
    EXPECT_TRUE(e->family_back());
    EXPECT_NE(explain("list", *e).find("unloaded while the request was in flight"),
              std::string::npos);
    // The connection is still usable.
    EXPECT_EQ(replies_to(*conn, getfamily(conn->family(), 0, "nlctrl")), 1);
}

TEST(Connection, enoent_from_a_family_still_registered_stays_a_rejection) {
    NEED_NETLINK(conn);
    // nlctrl's own ENOENT (no such family name), sent to nlctrl's id, which
    // still resolves to that id.
    std::optional<NlError> e = refusal(*conn, getfamily(conn->family(), 0, "ntc-nonexistent"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error(), ENOENT);
    EXPECT_FALSE(e->family_vanished());
    EXPECT_EQ(explain("list", *e), "the module rejected the request: no such file or directory");
}

TEST(Connection, policy_rejection_carries_the_extack_message) {
    NEED_NETLINK(conn);
    // Longer than GENL_NAMSIZ: nlctrl's policy rejects it with an extack.
    std::optional<NlError> e =
        refusal(*conn, getfamily(conn->family(), 0, "a-family-name-far-too-long-for-genl"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error(), EINVAL);
    EXPECT_FALSE(e->extack().empty());
    EXPECT_EQ(e->extack_attr(), CTRL_ATTR_FAMILY_NAME) << "NLMSGERR_ATTR_OFFS mapped back";
    EXPECT_EQ(explain("run", *e), "the module rejected the request: " + e->extack());
}

TEST(Connection, exception_in_handler_propagates) {
    NEED_NETLINK(conn);
    NlMsgPtr msg = getfamily(conn->family(), 0, "nlctrl");
    EXPECT_THROW(conn->transact(msg.get(), [](nlmsghdr*) { throw std::runtime_error("boom"); }),
                 std::runtime_error);
}

TEST(Subscription, joins_a_group_and_times_out_when_nothing_comes) {
    NEED_NETLINK(conn);
    Subscription sub = Subscription::open(*conn, "notify");
    int messages = 0;
    auto w = sub.wait(std::chrono::milliseconds(0), -1, [&](nlmsghdr*) { messages++; });
    EXPECT_EQ(w, Subscription::Wait::Timeout);
    EXPECT_EQ(messages, 0);
}

TEST(Subscription, a_readable_wake_fd_ends_the_wait_at_once) {
    NEED_NETLINK(conn);
    Subscription sub = Subscription::open(*conn, "notify");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], "", 1), 1);
    auto t0 = std::chrono::steady_clock::now();
    auto w = sub.wait(std::chrono::seconds(30), fds[0], [](nlmsghdr*) {});
    EXPECT_EQ(w, Subscription::Wait::Ready);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    close(fds[0]);
    close(fds[1]);
}

TEST(Subscription, a_family_without_the_group_is_an_older_module) {
    NEED_NETLINK(conn);
    try {
        Subscription::open(*conn, "ntc-no-such-group");
        FAIL();
    } catch (const NlError& e) {
        FAIL() << "the family is there: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no \"ntc-no-such-group\" multicast group: it is "
                                             "older than this client"),
                  std::string::npos)
            << e.what();
    }
}
