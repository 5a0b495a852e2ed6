// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: errno -> sentence and extack extraction.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <netlink/attr.h>
#include <netlink/errno.h>

#include <ntcorral.h>

#include "contains.hpp"
#include "error.hpp"
#include "messages.hpp"
#include "netlink.hpp"

using namespace ntcorral;
using namespace ntcorral::test;

namespace {

NlError request_error(int err, std::string extack = {}) {
    return NlError(NlError::Stage::Request, err, -nl_syserr2nlerr(err), std::move(extack));
}

// An NLMSG_ERROR as the kernel builds it: nlmsgerr, then (unless capped) the
// request payload, then the extack TLVs.
std::vector<char> error_message(int error, const char* extack, bool capped,
                                size_t request_payload = 12) {
    std::vector<char> buf(4096, 0);
    auto* hdr = reinterpret_cast<nlmsghdr*>(buf.data());
    hdr->nlmsg_type = NLMSG_ERROR;
    auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(hdr));
    err->error = -error;
    err->msg.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + request_payload);
    size_t len = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (capped)
        hdr->nlmsg_flags |= NLM_F_CAPPED;
    else
        len += request_payload;
    len = NLMSG_ALIGN(len);
    if (extack) {
        hdr->nlmsg_flags |= NLM_F_ACK_TLVS;
        // An offset attribute first, to prove the search skips it.
        auto* off = reinterpret_cast<nlattr*>(buf.data() + len);
        off->nla_type = NLMSGERR_ATTR_OFFS;
        off->nla_len = NLA_HDRLEN + 4;
        const uint32_t where = 28;
        std::memcpy(reinterpret_cast<char*>(off) + NLA_HDRLEN, &where, sizeof(where));
        len += NLA_ALIGN(off->nla_len);
        auto* a = reinterpret_cast<nlattr*>(buf.data() + len);
        a->nla_type = NLMSGERR_ATTR_MSG;
        a->nla_len = static_cast<uint16_t>(NLA_HDRLEN + std::strlen(extack) + 1);
        std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, extack, std::strlen(extack) + 1);
        len += NLA_ALIGN(a->nla_len);
    }
    hdr->nlmsg_len = static_cast<uint32_t>(len);
    buf.resize(len);
    return buf;
}

} // namespace

namespace {

// The sentence each error gets, command by command: one case a line.
struct ExplainCase {
    const char* name;
    const char* command;
    NlError error;
    const char* sentence;
};

// Its name, for gtest's messages.
void PrintTo(const ExplainCase& c, std::ostream* os) {
    *os << c.name;
}

std::vector<ExplainCase> explain_cases() {
    return {
        {"missing_family_says_load_the_module", "run",
         NlError(NlError::Stage::Resolve, ENOENT, -NLE_OBJ_NOTFOUND),
         "the ntcorral kernel module is not loaded (no generic netlink family "
         "\"ntcorral\"); load it with 'insmod ntcorral.ko' or 'modprobe ntcorral'"},
        {"eperm_says_run_needs_root", "run", request_error(EPERM),
         "'run' needs root (CAP_SYS_ADMIN); try again with sudo"},
        {"eacces_says_reset_needs_root", "reset", request_error(EACCES),
         "'reset' needs root (CAP_SYS_ADMIN); try again with sudo"},
        {"busy_carries_extack_and_advice", "run",
         request_error(EBUSY, "another run is in progress"),
         "the module is busy: another run is in progress; wait for the other run to finish "
         "and try again"},
        {"busy_without_extack_gives_strerror", "run", request_error(EBUSY),
         "the module is busy: device or resource busy; wait for the other run to finish "
         "and try again"},
        {"einval_rejection_uses_extack", "run", request_error(EINVAL, "CPU 7 is offline"),
         "the module rejected the request: CPU 7 is offline"},
        {"enoent_rejection_uses_extack", "run", request_error(ENOENT, "unknown variant"),
         "the module rejected the request: unknown variant"},
        {"erange_rejection_uses_strerror", "run", request_error(ERANGE),
         "the module rejected the request: numerical result out of range"},
        {"einval_rejection_uses_strerror", "run", request_error(EINVAL),
         "the module rejected the request: invalid argument"},
        {"other_errno_gives_strerror_and_extack", "run",
         request_error(ENOMEM, "no room for samples"),
         "'run' failed: cannot allocate memory: no room for samples"},
        {"other_errno_gives_strerror", "stats", request_error(EIO),
         "'stats' failed: input/output error"},
        {"enoent_from_a_vanished_family_says_the_module_was_unloaded", "run",
         request_error(ENOENT).as_unloaded(false),
         "the ntcorral module was unloaded while the request was in flight: the kernel "
         "module is not loaded now; load it again with 'insmod ntcorral.ko' or "
         "'modprobe ntcorral' and retry"},
        {"a_family_registered_again_says_run_it_again", "stats",
         request_error(ENOENT).as_unloaded(true),
         "the ntcorral module was unloaded while the request was in flight and has been "
         "loaded again since; run 'stats' again"},
        {"a_plain_enoent_stays_a_rejection", "run", request_error(ENOENT),
         "the module rejected the request: no such file or directory"},
        {"eshutdown_says_the_module_is_being_unloaded", "run",
         request_error(ESHUTDOWN, "the module is being unloaded"),
         "the ntcorral module is being unloaded and starts no run; load it again with "
         "'insmod ntcorral.ko' or 'modprobe ntcorral' once it is gone, and retry"},
        {"eshutdown_without_extack_says_the_same", "run", request_error(ESHUTDOWN),
         "the ntcorral module is being unloaded and starts no run; load it again with "
         "'insmod ntcorral.ko' or 'modprobe ntcorral' once it is gone, and retry"},
        {"a_run_that_failed_busy_reads_as_busy", "run",
         run_failure_error(EBUSY, "another run is in progress"),
         "the module is busy: another run is in progress; wait for the other run to finish "
         "and try again"},
        {"an_unload_during_a_run_says_the_run_was_in_flight", "run",
         request_error(ENOENT).as_unloaded(false, true),
         "the ntcorral module was unloaded while the run was in flight: the kernel "
         "module is not loaded now; load it again with 'insmod ntcorral.ko' or "
         "'modprobe ntcorral' and retry"},
        {"an_unload_during_a_run_and_back_says_run_it_again", "bench",
         request_error(ENOENT).as_unloaded(true, true),
         "the ntcorral module was unloaded while the run was in flight and has been "
         "loaded again since; run 'bench' again"},
    };
}

} // namespace

class ExplainSentence : public ::testing::TestWithParam<ExplainCase> {};

TEST_P(ExplainSentence, is_the_one_for_its_error) {
    const ExplainCase& c = GetParam();
    EXPECT_EQ(explain(c.command, c.error), c.sentence);
}

INSTANTIATE_TEST_SUITE_P(Explain, ExplainSentence, ::testing::ValuesIn(explain_cases()),
                         [](const ::testing::TestParamInfo<ExplainCase>& i) {
                             return std::string(i.param.name);
                         });

// What the error says of the family, beside its sentence.
TEST(Explain, missing_family_is_a_missing_family) {
    EXPECT_TRUE(NlError(NlError::Stage::Resolve, ENOENT, -NLE_OBJ_NOTFOUND).family_missing());
}

TEST(Explain, enoent_from_a_request_is_not_a_missing_family) {
    EXPECT_FALSE(request_error(ENOENT).family_missing());
}

TEST(NlErrorType, carries_errno_libnl_text_and_extack) {
    NlError e = request_error(EBUSY, "busy here");
    EXPECT_EQ(e.error(), EBUSY);
    EXPECT_EQ(e.extack(), "busy here");
    EXPECT_FALSE(e.nl_text().empty());
    EXPECT_NE(std::string(e.what()).find("busy here"), std::string::npos);
}

TEST(Extack, found_after_full_request_echo) {
    auto buf = error_message(EINVAL, "iterations out of range", false, 20);
    EXPECT_EQ(extack_message(reinterpret_cast<nlmsghdr*>(buf.data())), "iterations out of range");
}

TEST(Extack, offset_of_the_offending_attribute_is_read) {
    auto buf = error_message(EINVAL, "integer out of range", true);
    EXPECT_EQ(extack_offset(reinterpret_cast<nlmsghdr*>(buf.data())), 28u);
    buf = error_message(EINVAL, nullptr, true);
    EXPECT_FALSE(extack_offset(reinterpret_cast<nlmsghdr*>(buf.data())));
}

TEST(Explain, rejection_names_the_option_the_extack_points_at) {
    NlError e(NlError::Stage::Request, ERANGE, -NLE_RANGE, "integer out of range",
              NTCORRAL_A_ITERATIONS);
    EXPECT_EQ(explain("run", e), "the module rejected the request: integer out of range")
        << "no option named: the client had no LIST to name it from";
    // As RunSession names it, from the parameters the experiment lists.
    ParamInfo iterations;
    iterations.name = "iterations";
    iterations.attr = NTCORRAL_A_ITERATIONS;
    e.set_extack_option(option_for_attr(NTCORRAL_A_ITERATIONS, {iterations}));
    EXPECT_EQ(explain("run", e), "the module rejected the request: integer out of range "
                                 "(--iterations)");
    NlError v(NlError::Stage::Request, ENOENT, -NLE_OBJ_NOTFOUND, "no such variant",
              NTCORRAL_A_VARIANT);
    EXPECT_EQ(explain("run", v), "the module rejected the request: no such variant");
}

TEST(Extack, found_after_capped_echo) {
    auto buf = error_message(EBUSY, "a CPU still owes an answer", true, 200);
    EXPECT_EQ(extack_message(reinterpret_cast<nlmsghdr*>(buf.data())),
              "a CPU still owes an answer");
}

TEST(Extack, absent_without_ack_tlvs) {
    auto buf = error_message(EINVAL, nullptr, false);
    EXPECT_EQ(extack_message(reinterpret_cast<nlmsghdr*>(buf.data())), "");
}

TEST(Extack, read_from_dump_done_with_its_errno) {
    std::vector<char> buf(256, 0);
    auto* hdr = reinterpret_cast<nlmsghdr*>(buf.data());
    hdr->nlmsg_type = NLMSG_DONE;
    hdr->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
    int err = -ENOENT;
    std::memcpy(NLMSG_DATA(hdr), &err, sizeof(err));
    auto* a = reinterpret_cast<nlattr*>(buf.data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)));
    const char text[] = "no such experiment";
    a->nla_type = NLMSGERR_ATTR_MSG;
    a->nla_len = NLA_HDRLEN + sizeof(text);
    std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, text, sizeof(text));
    hdr->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)) + NLA_ALIGN(a->nla_len);
    EXPECT_EQ(done_error(hdr), ENOENT);
    EXPECT_EQ(extack_message(hdr), "no such experiment");

    err = 0;
    std::memcpy(NLMSG_DATA(hdr), &err, sizeof(err));
    EXPECT_EQ(done_error(hdr), 0);
}

TEST(Unload, only_errnos_without_the_modules_sentence_are_suspected) {
    // genl_rcv_msg(): no family of that id; netlink_dump_start(): module going.
    EXPECT_TRUE(unload_suspected(ENOENT, ""));
    EXPECT_TRUE(unload_suspected(EPROTONOSUPPORT, ""));
    // The module's own ENOENT always carries its sentence.
    EXPECT_FALSE(unload_suspected(ENOENT, "unknown experiment; the list command shows the "
                                          "valid ones"));
    EXPECT_FALSE(unload_suspected(EINVAL, ""));
    EXPECT_FALSE(unload_suspected(EPERM, ""));
}

TEST(Unload, enoent_is_an_unload_only_when_the_family_is_gone_or_has_a_new_id) {
    EXPECT_TRUE(family_vanished(ENOENT, "", 30, -1));
    EXPECT_TRUE(family_vanished(ENOENT, "", 30, 31));
    // Still registered under the id the request used: a plain rejection.
    EXPECT_FALSE(family_vanished(ENOENT, "", 30, 30));
    EXPECT_FALSE(family_vanished(ENOENT, "no such variant", 30, -1));
    // Only a module being unloaded makes a dump EPROTONOSUPPORT.
    EXPECT_TRUE(family_vanished(EPROTONOSUPPORT, "", 30, 30));
    EXPECT_FALSE(family_vanished(EBUSY, "", 30, -1));
}

TEST(Explain, a_vanished_family_is_an_enoent_not_a_missing_family) {
    NlError e = request_error(ENOENT).as_unloaded(false);
    EXPECT_TRUE(e.family_vanished());
    EXPECT_FALSE(e.family_missing());
    EXPECT_EQ(e.error(), ENOENT);
    const std::string s = explain("run", e);
    // What stress_test.sh looks for after an rmmod during a run.
    EXPECT_TRUE(contains(s, "module is not loaded"));
    EXPECT_EQ(s.find("rejected"), std::string::npos);
}

TEST(Explain, a_family_registered_again_is_back) {
    EXPECT_TRUE(request_error(ENOENT).as_unloaded(true).family_back());
}

TEST(Explain, a_plain_enoent_is_not_a_vanished_family) {
    EXPECT_FALSE(request_error(ENOENT).family_vanished());
}

TEST(Explain, a_run_that_failed_after_it_started_reads_as_runs_errno_did) {
    for (auto [err, msg] : std::vector<std::pair<int, const char*>>{
             {EBUSY, "a CPU still owes the answer to an earlier corral"},
             {EINVAL, "a CPU of the set went offline before the run started"},
             {ENOMEM, "no memory for the run's samples"},
             {ESHUTDOWN, "the module is being unloaded"},
             {EIO, ""}}) {
        NlError after = run_failure_error(err, msg);
        NlError before = request_error(err, msg);
        EXPECT_EQ(after.error(), err);
        EXPECT_EQ(after.extack(), msg);
        EXPECT_FALSE(after.family_vanished());
        EXPECT_EQ(explain("run", after), explain("run", before)) << err;
    }
}

TEST(Explain, an_unload_during_a_run_is_during_a_run) {
    EXPECT_TRUE(request_error(ENOENT).as_unloaded(false, true).during_run());
}

TEST(Interrupted, exits_128_plus_the_signal) {
    EXPECT_EQ(Interrupted(SIGINT, "x").status(), 130);
    EXPECT_EQ(Interrupted(SIGTERM, "x").status(), 143);
}
