// SPDX-License-Identifier: GPL-2.0
// ntcorral client: the error types and the errno -> sentence mapping.
#include "error.hpp"
#include "messages.hpp"

#include <cerrno>
#include <cstring>

#include <netlink/errno.h>
#include <ntcorral.h>

namespace ntcorral {

namespace {

std::string describe(int error, int nl_error, const std::string& extack) {
    std::string s;
    if (error > 0)
        s = std::strerror(error);
    else if (nl_error != 0)
        s = nl_geterror(nl_error);
    else
        s = "unknown error";
    if (!extack.empty())
        s += ": " + extack;
    return s;
}

std::string lowercase_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && (s.size() < 2 || !(s[1] >= 'A' && s[1] <= 'Z')))
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

} // namespace

NlError::NlError(Stage stage, int error, int nl_error, std::string extack, int extack_attr)
    : std::runtime_error(describe(error, nl_error, extack)), stage_(stage), error_(error),
      nl_error_(nl_error), nl_text_(nl_geterror(nl_error < 0 ? -nl_error : nl_error)),
      extack_(std::move(extack)), extack_attr_(extack_attr) {}

bool NlError::family_missing() const {
    int nle = nl_error_ < 0 ? -nl_error_ : nl_error_;
    return stage_ == Stage::Resolve && (nle == NLE_OBJ_NOTFOUND || error_ == ENOENT);
}

NlError NlError::as_unloaded(bool family_back, bool during_run) const {
    NlError e(Stage::Unloaded, error_, nl_error_, extack_, extack_attr_);
    e.family_back_ = family_back;
    e.during_run_ = during_run;
    return e;
}

NlError run_failure_error(int error, const std::string& message) {
    return NlError(NlError::Stage::Request, error, -nl_syserr2nlerr(error), message);
}

bool unload_suspected(int error, const std::string& extack) {
    return extack.empty() && (error == ENOENT || error == EPROTONOSUPPORT);
}

bool family_vanished(int error, const std::string& extack, int sent_to, int resolved_now) {
    if (!unload_suspected(error, extack))
        return false;
    return error == EPROTONOSUPPORT || resolved_now < 0 || resolved_now != sent_to;
}

std::string explain(std::string_view command, const NlError& e) {
    const std::string cmd(command);
    if (e.family_vanished()) {
        const std::string what = e.during_run() ? "run" : "request";
        if (e.family_back())
            return "the ntcorral module was unloaded while the " + what +
                   " was in flight and has been loaded again since; run '" + cmd + "' again";
        return "the ntcorral module was unloaded while the " + what +
               " was in flight: the kernel module is not loaded now; load it again with "
               "'insmod ntcorral.ko' or 'modprobe ntcorral' and retry";
    }
    if (e.family_missing())
        return "the ntcorral kernel module is not loaded (no generic netlink family "
               "\"" NTCORRAL_FAMILY_NAME
               "\"); load it with 'insmod ntcorral.ko' or 'modprobe ntcorral'";
    if (e.stage() == NlError::Stage::Socket)
        return "cannot open a generic netlink socket: " +
               lowercase_first(describe(e.error(), e.nl_error(), e.extack())) +
               "; check that this kernel has netlink support";

    std::string why =
        e.extack().empty() ? lowercase_first(describe(e.error(), e.nl_error(), {})) : e.extack();
    if (!e.extack_option().empty())
        why += " (" + e.extack_option() + ")";
    switch (e.error()) {
    case EPERM:
    case EACCES:
        return "'" + cmd + "' needs root (CAP_SYS_ADMIN); try again with sudo";
    case EBUSY:
        return "the module is busy: " + why + "; wait for the other run to finish and try again";
    case ESHUTDOWN:
        // The module's sentence says just this; a run it refuses is not a
        // rejection of the request.
        return "the ntcorral module is being unloaded and starts no run; load it again with "
               "'insmod ntcorral.ko' or 'modprobe ntcorral' once it is gone, and retry";
    case EINVAL:
    case ENOENT:
    case ERANGE:
        return "the module rejected the request: " + why;
    default:
        return "'" + cmd +
               "' failed: " + lowercase_first(describe(e.error(), e.nl_error(), e.extack()));
    }
}

} // namespace ntcorral
