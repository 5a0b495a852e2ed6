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
};

// A netlink failure: the errno (positive, 0 if unknown), libnl's code and text,
// and the kernel's extack message when it sent one.
class NlError : public std::runtime_error {
public:
    enum class Stage { Socket, Resolve, Request };

    NlError(Stage stage, int error, int nl_error, std::string extack = {}, int extack_attr = -1);

    Stage stage() const { return stage_; }
    int error() const { return error_; }
    int nl_error() const { return nl_error_; }
    const std::string& nl_text() const { return nl_text_; }
    const std::string& extack() const { return extack_; }
    // The request attribute the extack points at (NLMSGERR_ATTR_OFFS), or -1.
    int extack_attr() const { return extack_attr_; }
    // True when the generic netlink family could not be resolved.
    bool family_missing() const;

private:
    Stage stage_;
    int error_;
    int nl_error_;
    std::string nl_text_;
    std::string extack_;
    int extack_attr_;
};

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
