// SPDX-License-Identifier: GPL-2.0
// ntcorral client: one run, from RUN to its RUN_RESULT: listen on the "runs"
// group, start the run, follow its progress, cancel it on Ctrl-C, fetch its
// result with GET_RESULT when the notification does not come.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <iosfwd>
#include <optional>
#include <string>

#include "interrupt.hpp"
#include "model.hpp"
#include "netlink.hpp"

namespace ntcorral {

// How long past its budget a run's result may come (deadlines that end
// iterations late, a late DPC the run waits for) before the client asks
// the module for it with GET_RESULT.
inline constexpr std::chrono::seconds kRunGrace{60};

// The budget a run of `req` has: its max_runtime_ms, else the default
// `exp`'s parameters list (LIST), else the cap of uapi/ntcorral.h.
uint32_t run_budget_ms(const RunRequest& req, const ExperimentInfo* exp);

// How one run ended for the client.
struct RunOutcome {
    // The run's result; none when the client was interrupted before it
    // started the run.
    std::optional<RunResult> result;
    // Set when no further run may start: the client was interrupted
    // (Interrupted), the module was unloaded (NlError), or another client
    // cancelled the run (RunError). The caller prints what it has, then
    // throws it.
    std::exception_ptr stop;
};

// What the client has heard of one run: fed the messages of the
// subscription, it keeps this run's result, passes over other runs'
// messages, notices the family's unregistration, and keeps the deadline
// by which the result is due. No I/O.
class RunWatch {
public:
    using Clock = std::chrono::steady_clock;

    RunWatch(int family, uint64_t run_id, Clock::time_point start,
             std::chrono::milliseconds budget);

    // One message; this run's progress is returned, to be drawn. Throws
    // ReplyError for a malformed message of this run.
    std::optional<RunProgress> feed(const nlmsghdr* hdr);
    // After the first message of the result, nothing else counts.
    const std::optional<RunEnd>& end() const { return end_; }
    std::optional<RunEnd> take_end() { return std::move(end_); }
    bool family_gone() const { return gone_; }

    // Budget plus grace from the start, moved later should the module's
    // own budget (in its progress) be longer; after a cancel, grace from
    // it at most. waited() says, for an error, what went by.
    Clock::time_point deadline() const { return deadline_; }
    const std::string& waited() const { return waited_; }
    void cancelled(Clock::time_point now);

private:
    int family_;
    uint64_t id_;
    Clock::time_point start_;
    Clock::time_point deadline_;
    std::string waited_;
    bool cancelled_ = false;
    bool gone_ = false;
    std::optional<RunEnd> end_;
};

struct RunSessionOptions {
    bool progress = false; // draw a progress bar on the error stream
};

// The runs of one subcommand. While it lives, the client listens on the
// "runs" group and SIGINT/SIGTERM cancel the run in progress (a second
// ends the client at once).
class RunSession {
public:
    // Throws NlError, std::runtime_error (a module without the group).
    RunSession(Connection& conn, std::ostream& err, RunSessionOptions opts = {});

    // Start `req` (of experiment `exp`, if known) and wait for its result.
    // An error before the start, and the failure of a run after it, throw
    // NlError as RUN answered before version 2; a result that cannot be
    // had throws RunError; the family gone throws NlError (family_vanished).
    RunOutcome run(const RunRequest& req, const ExperimentInfo* exp);

private:
    std::optional<RunEnd> fetch(uint64_t id, const std::string& name, bool final,
                                const std::string& waited);
    void cancel(uint64_t id, const std::string& name);
    std::exception_ptr unloaded(uint64_t id, const std::string& name, bool gone);

    Connection& conn_;
    std::ostream& err_;
    RunSessionOptions opts_;
    Subscription sub_;
    InterruptGuard guard_;
};

} // namespace ntcorral
