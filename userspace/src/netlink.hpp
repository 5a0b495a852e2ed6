// SPDX-License-Identifier: GPL-2.0
// ntcorral client: RAII around libnl and one generic netlink connection.
#pragma once

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

} // namespace ntcorral
