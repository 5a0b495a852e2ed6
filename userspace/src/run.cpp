// SPDX-License-Identifier: GPL-2.0
// ntcorral client: one run, from RUN to its RUN_RESULT: listen on the "runs"
// group, start the run, follow its progress, cancel it on Ctrl-C, fetch its
// result with GET_RESULT when the notification does not come.
#include "run.hpp"

#include <algorithm>
#include <cerrno>
#include <ostream>

#include <sys/ioctl.h>
#include <unistd.h>

#include "error.hpp"
#include "messages.hpp"
#include "render.hpp"

namespace ntcorral {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long an unload that cancelled the run may take to unregister the
// family before the client says what it knows.
constexpr std::chrono::seconds kUnregisterWait{10};

// The progress line on a terminal; erased when the run ends, before
// anything else is printed.
class ProgressBar {
public:
    explicit ProgressBar(std::ostream* os) : os_(os) {}
    ~ProgressBar() { clear(); }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void draw(const RunProgress& p) {
        if (!os_)
            return;
        winsize ws{};
        size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
        *os_ << '\r'
             << render_progress(p.done, p.total, p.elapsed_ns, p.budget_ns, width,
                                p.experiment + "/" + p.variant)
             << "\033[K" << std::flush;
        drawn_ = true;
    }

    void clear() {
        if (drawn_)
            *os_ << "\r\033[K" << std::flush;
        drawn_ = false;
    }

private:
    std::ostream* os_;
    bool drawn_ = false;
};

std::string seconds(milliseconds ms) {
    return std::to_string((ms.count() + 999) / 1000) + " s";
}

std::string run_name(uint64_t id, const std::string& name) {
    return "run " + std::to_string(id) + " (" + name + ")";
}

// RUN: the run's id once the module started it. A rejection names the
// option the module's extack points at, as `exp`'s LIST names it.
uint64_t start_run(Connection& conn, const RunRequest& req, const ExperimentInfo* exp) {
    NlMsgPtr msg = build_run_request(conn.family(), req);
    std::optional<RunStarted> started;
    try {
        conn.transact(msg.get(), [&](nlmsghdr* h) { started = parse_run_started(h); });
    } catch (NlError& e) {
        if (exp && e.extack_attr() >= 0)
            e.set_extack_option(
                option_for_attr(static_cast<uint32_t>(e.extack_attr()), exp->params));
        throw;
    }
    if (!started)
        throw ReplyError("RUN answered without a run id");
    return started->run_id;
}

} // namespace

uint32_t run_budget_ms(const RunRequest& req, const ExperimentInfo* exp) {
    if (auto ms = req.param(NTCORRAL_A_MAX_RUNTIME_MS))
        return *ms;
    if (exp)
        for (const auto& p : exp->params)
            if (p.attr == NTCORRAL_A_MAX_RUNTIME_MS)
                return static_cast<uint32_t>(std::min<uint64_t>(p.def, UINT32_MAX));
    return NTCORRAL_MAX_RUNTIME_MS;
}

RunWatch::RunWatch(int family, uint64_t run_id, Clock::time_point start, milliseconds budget)
    : family_(family), id_(run_id), start_(start), deadline_(start + budget + kRunGrace),
      waited_("its budget (" + seconds(budget) + ") and " + seconds(kRunGrace) +
              " of grace went by without its result") {}

std::optional<RunProgress> RunWatch::feed(const nlmsghdr* h) {
    if (family_deleted(h, family_)) {
        gone_ = true;
        return std::nullopt;
    }
    // Other runs' messages (none while this one holds the module, but a
    // late one of an earlier run may still be queued) are passed over.
    if (end_ || h->nlmsg_type != family_ || message_run_id(h) != id_)
        return std::nullopt;
    switch (message_cmd(h)) {
    case NTCORRAL_CMD_RUN_PROGRESS: {
        RunProgress p = parse_progress(h);
        auto own =
            start_ +
            std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(p.budget_ns)) +
            kRunGrace;
        if (!cancelled_ && own > deadline_) {
            deadline_ = own;
            waited_ =
                "its budget (" +
                seconds(std::chrono::ceil<milliseconds>(std::chrono::nanoseconds(p.budget_ns))) +
                ") and " + seconds(kRunGrace) + " of grace went by without its result";
        }
        return p;
    }
    case NTCORRAL_CMD_RUN_RESULT:
        end_ = parse_run_end(h);
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

void RunWatch::cancelled(Clock::time_point now) {
    cancelled_ = true;
    if (now + kRunGrace < deadline_) {
        deadline_ = now + kRunGrace;
        waited_ = seconds(kRunGrace) + " went by after the cancel without its result";
    }
}

RunSession::RunSession(Connection& conn, std::ostream& err, RunSessionOptions opts)
    : conn_(conn), err_(err), opts_(opts), sub_(Subscription::open(conn, NTCORRAL_MCGRP_RUNS)) {}

RunOutcome RunSession::run(const RunRequest& req, const ExperimentInfo* exp) {
    if (int sig = guard_.signal())
        return {std::nullopt, std::make_exception_ptr(Interrupted(
                                  sig, std::string("interrupted (") + signal_label(sig) +
                                           "): no further run started"))};

    // The group was joined when the session began: the run's messages
    // cannot come before the client listens.
    const uint64_t id = start_run(conn_, req, exp);
    const std::string name = req.experiment + "/" + req.variant;

    RunWatch watch(conn_.family(), id, Clock::now(), milliseconds(run_budget_ms(req, exp)));
    ProgressBar bar(opts_.progress ? &err_ : nullptr);
    auto on_message = [&](nlmsghdr* h) {
        if (auto p = watch.feed(h))
            bar.draw(*p);
    };
    bool cancel_sent = false;
    std::optional<RunEnd> end;
    while (!watch.end()) {
        if (watch.family_gone()) {
            // The unload's RUN_RESULT comes before the family goes; this
            // one's was dropped.
            bar.clear();
            throw conn_.vanished_error(true);
        }
        if (guard_.signal() && !cancel_sent) {
            cancel_sent = true;
            bar.clear();
            cancel(id, name);
            watch.cancelled(Clock::now());
        }
        auto left = std::chrono::ceil<milliseconds>(watch.deadline() - Clock::now());
        if (left.count() <= 0) {
            bar.clear();
            end = fetch(id, name, true, watch.waited());
            break;
        }
        auto w = sub_.wait(left, guard_.wake_fd(), on_message);
        guard_.drain();
        if (w == Subscription::Wait::Overflow && !watch.end() && !watch.family_gone()) {
            end = fetch(id, name, false,
                        "notifications were dropped (the client's socket overflowed)");
            if (end)
                break;
        }
    }
    bar.clear();
    if (!end)
        end = watch.take_end();

    if (end->failure)
        throw run_failure_error(end->failure->error, end->failure->message);
    RunOutcome out{std::move(end->result), nullptr};
    const uint32_t cancelled = out.result->cancelled;
    if (int sig = guard_.signal())
        out.stop = std::make_exception_ptr(Interrupted(
            sig, std::string("interrupted (") + signal_label(sig) + "): " + run_name(id, name) +
                     (cancelled ? " was cancelled" : " ended before the cancel") +
                     "; no further run started"));
    else if (cancelled == NTCORRAL_CANCEL_UNLOAD)
        out.stop = unloaded(id, name, watch.family_gone());
    else if (cancelled != NTCORRAL_CANCEL_NONE)
        out.stop = std::make_exception_ptr(
            RunError(run_name(id, name) +
                     " was cancelled by another client ('ntcorral cancel'); no further run "
                     "started"));
    return out;
}

// GET_RESULT for run `id` once its notification did not come (`waited`
// says why). Not `final` (an overflow): nullopt while the run goes on.
std::optional<RunEnd> RunSession::fetch(uint64_t id, const std::string& name, bool final,
                                        const std::string& waited) {
    NlMsgPtr msg = build_get_result_request(conn_.family(), id);
    std::optional<RunEnd> got;
    try {
        conn_.transact(msg.get(), [&](nlmsghdr* h) { got = parse_run_end(h); });
    } catch (const NlError& e) {
        if (e.family_vanished())
            throw e.as_unloaded(e.family_back(), true);
        if (e.error() == EINPROGRESS && !final)
            return std::nullopt;
        if (e.error() == EINPROGRESS)
            throw RunError(run_name(id, name) + " has not ended: " + waited +
                           "; the module may be stuck: see dmesg, and end the run with "
                           "'ntcorral cancel'");
        if (e.error() == ENOENT)
            throw RunError("the result of " + run_name(id, name) + " is lost: " + waited +
                           ", and the module no longer has it (" +
                           (e.extack().empty() ? std::string("ENOENT") : e.extack()) +
                           "); see dmesg for what became of the run");
        throw;
    }
    if (!got || got->run_id != id)
        throw ReplyError("GET_RESULT answered for another run than " + std::to_string(id));
    return got;
}

// The first SIGINT/SIGTERM: ask the module to end the run early; its
// RUN_RESULT (CANCELLED) follows as any other.
void RunSession::cancel(uint64_t id, const std::string& name) {
    const int sig = guard_.signal();
    err_ << "ntcorral: " << signal_label(sig) << ": cancelling " << run_name(id, name) << "; "
         << (sig == SIGINT ? "Ctrl-C" : "signal") << " again to exit at once" << std::endl;
    NlMsgPtr msg = build_cancel_request(conn_.family(), id);
    try {
        conn_.transact(msg.get(), [](nlmsghdr*) {});
    } catch (const NlError& e) {
        if (e.family_vanished())
            throw e.as_unloaded(e.family_back(), true);
        // ENOENT: the run has just ended; its result is on the way.
        if (e.error() != ENOENT)
            err_ << "ntcorral: cannot cancel " << run_name(id, name) << ": " << explain("cancel", e)
                 << "; waiting for it to end" << std::endl;
    }
}

// The run's result said the module is being unloaded: once the family is
// unregistered, the error that says so (and whether it is back already).
// `gone`: the unregistration came with the result, in the same read.
std::exception_ptr RunSession::unloaded(uint64_t id, const std::string& name, bool gone) {
    const auto until = Clock::now() + kUnregisterWait;
    while (!gone && Clock::now() < until) {
        auto left = std::chrono::ceil<milliseconds>(until - Clock::now());
        if (sub_.wait(left, -1, [&](nlmsghdr* h) { gone |= family_deleted(h, conn_.family()); }) ==
            Subscription::Wait::Timeout)
            break;
    }
    if (gone)
        return std::make_exception_ptr(conn_.vanished_error(true));
    return std::make_exception_ptr(
        RunError(run_name(id, name) +
                 " was cancelled because the ntcorral module is being unloaded; load it again "
                 "with 'insmod ntcorral.ko' or 'modprobe ntcorral' once it is gone, and retry"));
}

} // namespace ntcorral
