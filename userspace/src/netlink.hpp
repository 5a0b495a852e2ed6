// SPDX-License-Identifier: GPL-2.0
// ntcorral client: RAII around libnl and one generic netlink connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "error.hpp"

namespace ntcorral {

using NlSockPtr = std::unique_ptr<nl_sock, decltype(&nl_socket_free)>;
using NlMsgPtr = std::unique_ptr<nl_msg, decltype(&nlmsg_free)>;
using NlCbPtr = std::unique_ptr<nl_cb, decltype(&nl_cb_put)>;

// A fresh, empty message; throws std::bad_alloc.
NlMsgPtr make_msg();

// The kernel's extack message in an NLMSG_ERROR or NLMSG_DONE message
// (NLMSGERR_ATTR_MSG), or "" when there is none.
std::string extack_message(const nlmsghdr* hdr);

// The offset into the request the kernel's extack points at
// (NLMSGERR_ATTR_OFFS), if any.
std::optional<uint32_t> extack_offset(const nlmsghdr* hdr);

// The type of the top-level attribute of a generic netlink request that
// starts `offset` bytes into it, or -1.
int request_attr_at(const nlmsghdr* request, uint32_t offset);

// The errno a NLMSG_DONE carries (dump errors), 0 for none.
int done_error(const nlmsghdr* hdr);

// A generic netlink socket bound to one family. Built by open(), which
// acquires every resource before the object exists; errors throw NlError.
class Connection {
public:
    using OnMessage = std::function<void(nlmsghdr*)>;

    static Connection open(const std::string& family_name);

    int family() const { return family_; }
    const std::string& name() const { return name_; }

    // The id of the family's multicast group `group`. Throws NlError (the
    // family is gone) or std::runtime_error (the module has no such group).
    int resolve_group(const std::string& group);

    // The family, resolved when the connection opened, is gone: the NlError
    // that says so (Stage::Unloaded), with whether it has been registered
    // again since.
    NlError vanished_error(bool during_run) const;

    // Send `msg` (its header already carries family(), command and flags) and
    // hand every reply data message to on_message until the ack (do) or the
    // end of the dump. Kernel errors throw NlError with errno and extack;
    // exceptions from on_message propagate.
    void transact(nl_msg* msg, const OnMessage& on_message);

private:
    Connection(NlSockPtr sock, int family, std::string name)
        : sock_(std::move(sock)), family_(family), name_(std::move(name)) {}

    // A request's failure as NlError; when generic netlink (not the module)
    // may have answered for a family gone since open(), the name is resolved
    // again on a fresh socket to tell an unload from a rejection. `sent_to`
    // is the family id the request carried.
    NlError request_error(int sent_to, int error, const std::string& extack, int extack_attr) const;

    NlSockPtr sock_;
    int family_;
    std::string name_;
};

// A socket that only listens: to one multicast group of a connection's
// family, and to nlctrl's "notify" group, which tells when a family is
// unregistered. No sequence numbers are checked (notifications have none).
class Subscription {
public:
    using OnMessage = std::function<void(nlmsghdr*)>;
    enum class Wait {
        Ready,    // messages were handed on, or `wake_fd` became readable
        Timeout,  // nothing until the timeout
        Overflow, // the socket overflowed: notifications were dropped
    };

    // Join `group` of conn's family. Throws as Connection::resolve_group(),
    // NlError for the socket.
    static Subscription open(Connection& conn, const std::string& group);

    // Wait up to `timeout` for notifications or `wake_fd` (-1: none) to be
    // readable; hand every message read to on_message, in order. Exceptions
    // from on_message propagate.
    Wait wait(std::chrono::milliseconds timeout, int wake_fd, const OnMessage& on_message);

private:
    explicit Subscription(NlSockPtr sock) : sock_(std::move(sock)) {}

    NlSockPtr sock_;
};

} // namespace ntcorral
