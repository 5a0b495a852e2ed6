// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the error types and the errno -> sentence mapping.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ntcorral {

// Exit statuses of the client.
enum ExitStatus : int {
    kExitOk = 0,
    kExitError = 1,
    kExitUsage = 2,
    kExitViolations = 3,
    // 128 + the signal: Ctrl-C (SIGINT) 130, SIGTERM 143, as a shell reports a
    // command the signal ended; here the client cancelled its run first.
    kExitSignalBase = 128,
};

// A netlink failure: the errno (positive, 0 if unknown), libnl's code and text,
// and the kernel's extack message when it sent one.
class NlError : public std::runtime_error {
public:
    // Unloaded: the family resolved when the connection opened was gone (or
    // going) when a request reached the kernel: generic netlink's own answer,
    // never the module's (see unload_suspected()).
    enum class Stage { Socket, Resolve, Request, Unloaded };

    NlError(Stage stage, int error, int nl_error, std::string extack = {}, int extack_attr = -1);

    Stage stage() const { return stage_; }
    int error() const { return error_; }
    int nl_error() const { return nl_error_; }
    const std::string& nl_text() const { return nl_text_; }
    const std::string& extack() const { return extack_; }
    // The request attribute the extack points at (NLMSGERR_ATTR_OFFS), or -1.
    int extack_attr() const { return extack_attr_; }
    // The option that set the attribute the extack points at ("--hold-us"),
    // named by whoever knows the parameters (RunSession, from LIST).
    const std::string& extack_option() const { return extack_option_; }
    void set_extack_option(std::string option) { extack_option_ = std::move(option); }
    // True when the generic netlink family could not be resolved.
    bool family_missing() const;
    // True when the family was resolved but unregistered before a request
    // reached it (the module was unloaded while the request was in flight).
    bool family_vanished() const { return stage_ == Stage::Unloaded; }
    // With family_vanished(): the family was registered again (under a new id)
    // by the time the client looked.
    bool family_back() const { return family_back_; }
    // With family_vanished(): it went while a run the client started was in
    // flight (not a request).
    bool during_run() const { return during_run_; }
    // The same failure, read as the family having vanished.
    NlError as_unloaded(bool family_back, bool during_run = false) const;

private:
    Stage stage_;
    int error_;
    int nl_error_;
    std::string nl_text_;
    std::string extack_;
    int extack_attr_;
    std::string extack_option_;
    bool family_back_ = false;
    bool during_run_ = false;
};

// The failure of a run that failed after it started (a RUN_RESULT with
// NTCORRAL_A_ERROR), as the NlError RUN would have answered with: the same
// sentence, the same exit status.
NlError run_failure_error(int error, const std::string& message);

// SIGINT or SIGTERM during a run: the client cancelled it (exit 128 + signal).
class Interrupted : public std::runtime_error {
public:
    Interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_(signal) {}
    int signal() const { return signal_; }
    int status() const { return kExitSignalBase + signal_; }

private:
    int signal_;
};

// A run that ended without its result: cancelled by another client, lost,
// or never ending (exit 1); what() is the sentence.
class RunError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Whether a failed request may be generic netlink's answer for a family that
// is gone or going rather than the module's: the module gives every errno it
// returns with an extack message, generic netlink gives these without one.
// ENOENT: genl_rcv_msg() finds no family of the message's id (it was
// unregistered after the client resolved it). EPROTONOSUPPORT:
// netlink_dump_start() cannot take a reference on a module being unloaded.
bool unload_suspected(int error, const std::string& extack);

// The verdict on a suspected unload once the family name has been resolved
// again: `sent_to` is the id the request carried, `resolved_now` the name's
// id now, or a negative value when no family of that name is registered. An
// ENOENT for a family still registered under the id it was sent to is a
// plain rejection; EPROTONOSUPPORT is an unload in any case.
bool family_vanished(int error, const std::string& extack, int sent_to, int resolved_now);

// A mistake on the command line, already phrased as one sentence (exit 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A reply the client cannot make sense of (exit 1).
class ReplyError : public std::runtime_error {
public:
    explicit ReplyError(const std::string& what)
        : std::runtime_error("the module sent a malformed reply (" + what +
                             "); rebuild the client and the module from the same uapi header") {}
};

// The one sentence printed (after "ntcorral: ") for a netlink failure of the
// subcommand `command`.
std::string explain(std::string_view command, const NlError& e);

} // namespace ntcorral
