// SPDX-License-Identifier: GPL-2.0
// ntcorral client: RAII around libnl and one generic netlink connection.
#include "netlink.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <ntcorral.h>

#include "error.hpp"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace ntcorral {

namespace {

// The extack TLV of `type` after `offset` bytes of payload, or nullptr.
nlattr* tlv_after(const nlmsghdr* hdr, size_t offset, int type) {
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
        return nullptr;
    const size_t total = hdr->nlmsg_len;
    const size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(offset);
    if (total <= start)
        return nullptr;
    auto* head =
        reinterpret_cast<nlattr*>(reinterpret_cast<char*>(const_cast<nlmsghdr*>(hdr)) + start);
    return nla_find(head, static_cast<int>(total - start), type);
}

// The extack TLV of `type` in an NLMSG_ERROR or NLMSG_DONE, or nullptr.
nlattr* extack_tlv(const nlmsghdr* hdr, int type) {
    if (hdr->nlmsg_type == NLMSG_ERROR) {
        if (hdr->nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr))
            return nullptr;
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(hdr));
        size_t offset = sizeof(nlmsgerr);
        // Without NLM_F_CAPPED the kernel echoes the whole request payload.
        if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > NLMSG_HDRLEN)
            offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
        return tlv_after(hdr, offset, type);
    }
    if (hdr->nlmsg_type == NLMSG_DONE)
        return tlv_after(hdr, sizeof(int), type);
    return nullptr;
}

// State of one transact() shared with the libnl callbacks.
struct Exchange {
    const Connection::OnMessage* on_message = nullptr;
    bool done = false;
    const nlmsghdr* request = nullptr;
    int error = 0; // positive errno
    std::string extack;
    int extack_attr = -1; // top-level request attribute the extack points at
    std::exception_ptr exception;
};

void note_offset(Exchange* ex, const nlmsghdr* hdr) {
    if (auto off = extack_offset(hdr); off && ex->request)
        ex->extack_attr = request_attr_at(ex->request, *off);
}

int on_valid(nl_msg* msg, void* arg) {
    auto* ex = static_cast<Exchange*>(arg);
    try {
        (*ex->on_message)(nlmsg_hdr(msg));
    } catch (...) {
        ex->exception = std::current_exception();
        ex->done = true;
        return NL_STOP;
    }
    return NL_OK;
}

int on_finish(nl_msg* msg, void* arg) {
    auto* ex = static_cast<Exchange*>(arg);
    const nlmsghdr* hdr = nlmsg_hdr(msg);
    if (int err = done_error(hdr)) {
        ex->error = err;
        ex->extack = extack_message(hdr);
        note_offset(ex, hdr);
    }
    ex->done = true;
    return NL_STOP;
}

int on_ack(nl_msg*, void* arg) {
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
    auto* ex = static_cast<Exchange*>(arg);
    const auto* hdr =
        reinterpret_cast<const nlmsghdr*>(reinterpret_cast<char*>(err) - NLMSG_HDRLEN);
    ex->error = err->error < 0 ? -err->error : err->error;
    ex->extack = extack_message(hdr);
    note_offset(ex, hdr);
    ex->done = true;
    return NL_STOP;
}

} // namespace

NlMsgPtr make_msg() {
    NlMsgPtr msg(nlmsg_alloc(), &nlmsg_free);
    if (!msg)
        throw std::bad_alloc();
    return msg;
}

std::string extack_message(const nlmsghdr* hdr) {
    nlattr* msg = extack_tlv(hdr, NLMSGERR_ATTR_MSG);
    if (!msg || nla_len(msg) <= 0)
        return {};
    const char* data = static_cast<const char*>(nla_data(msg));
    return std::string(data, strnlen(data, static_cast<size_t>(nla_len(msg))));
}

std::optional<uint32_t> extack_offset(const nlmsghdr* hdr) {
    nlattr* off = extack_tlv(hdr, NLMSGERR_ATTR_OFFS);
    if (!off || nla_len(off) < static_cast<int>(sizeof(uint32_t)))
        return std::nullopt;
    return nla_get_u32(off);
}

int request_attr_at(const nlmsghdr* request, uint32_t offset) {
    const size_t first = NLMSG_HDRLEN + GENL_HDRLEN;
    if (offset < first || offset + NLA_HDRLEN > request->nlmsg_len)
        return -1;
    // Walk the attributes so only a real attribute start counts.
    const char* base = reinterpret_cast<const char*>(request);
    size_t pos = first;
    while (pos + NLA_HDRLEN <= request->nlmsg_len) {
        const auto* nla = reinterpret_cast<const nlattr*>(base + pos);
        if (nla->nla_len < NLA_HDRLEN)
            return -1;
        if (pos == offset)
            return nla->nla_type & NLA_TYPE_MASK;
        pos += NLA_ALIGN(nla->nla_len);
    }
    return -1;
}

int done_error(const nlmsghdr* hdr) {
    if (hdr->nlmsg_type != NLMSG_DONE || hdr->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
        return 0;
    int err;
    std::memcpy(&err, NLMSG_DATA(hdr), sizeof(err));
    return err < 0 ? -err : 0;
}

Connection Connection::open(const std::string& family_name) {
    NlSockPtr sock(nl_socket_alloc(), &nl_socket_free);
    if (!sock)
        throw NlError(NlError::Stage::Socket, ENOMEM, -NLE_NOMEM);
    errno = 0;
    if (int rc = genl_connect(sock.get()); rc < 0)
        throw NlError(NlError::Stage::Socket, errno, rc);
    nl_socket_enable_msg_peek(sock.get());
    int one = 1;
    // Best effort: old kernels just send no extack message.
    (void)setsockopt(nl_socket_get_fd(sock.get()), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)setsockopt(nl_socket_get_fd(sock.get()), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

    int family = genl_ctrl_resolve(sock.get(), family_name.c_str());
    if (family < 0)
        throw NlError(NlError::Stage::Resolve, family == -NLE_OBJ_NOTFOUND ? ENOENT : 0, family);
    return Connection(std::move(sock), family, family_name);
}

NlError Connection::request_error(int sent_to, int error, const std::string& extack,
                                  int extack_attr) const {
    NlError e(NlError::Stage::Request, error, -nl_syserr2nlerr(error), extack, extack_attr);
    if (!unload_suspected(error, extack))
        return e;
    // The name's id now: -1 when no family of that name is registered.
    int now = -1;
    try {
        now = Connection::open(name_).family();
    } catch (const NlError& again) {
        if (!again.family_missing())
            return e; // cannot tell: report what the kernel said
    }
    if (!family_vanished(error, extack, sent_to, now))
        return e;
    return e.as_unloaded(now >= 0 && now != sent_to);
}

int Connection::resolve_group(const std::string& group) {
    int id = genl_ctrl_resolve_grp(sock_.get(), name_.c_str(), group.c_str());
    if (id >= 0)
        return id;
    if (id != -NLE_OBJ_NOTFOUND)
        throw NlError(NlError::Stage::Request, 0, id);
    // No such family, or a family without that group.
    if (genl_ctrl_resolve(sock_.get(), name_.c_str()) < 0)
        throw vanished_error(false);
    throw std::runtime_error("the loaded " + name_ + " module has no \"" + group +
                             "\" multicast group: it is older than this client (generic netlink "
                             "family version " +
                             std::to_string(NTCORRAL_FAMILY_VERSION) +
                             "); load the module built from the same tree");
}

NlError Connection::vanished_error(bool during_run) const {
    int now = -1;
    try {
        now = Connection::open(name_).family();
    } catch (const NlError&) {
        // not registered (or cannot tell): not back
    }
    NlError e(NlError::Stage::Request, ENOENT, -NLE_OBJ_NOTFOUND);
    return e.as_unloaded(now >= 0, during_run);
}

void Connection::transact(nl_msg* msg, const OnMessage& on_message) {
    NlCbPtr cb(nl_cb_alloc(NL_CB_DEFAULT), &nl_cb_put);
    if (!cb)
        throw std::bad_alloc();
    Exchange ex;
    ex.on_message = &on_message;
    ex.request = nlmsg_hdr(msg);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ex);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ex);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ex);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ex);

    errno = 0;
    if (int rc = nl_send_auto(sock_.get(), msg); rc < 0)
        throw NlError(NlError::Stage::Request, errno, rc);
    while (!ex.done) {
        int rc = nl_recvmsgs(sock_.get(), cb.get());
        if (ex.exception)
            std::rethrow_exception(ex.exception);
        if (ex.error)
            throw request_error(ex.request->nlmsg_type, ex.error, ex.extack, ex.extack_attr);
        if (rc < 0)
            throw NlError(NlError::Stage::Request, 0, rc);
    }
    if (ex.exception)
        std::rethrow_exception(ex.exception);
    if (ex.error)
        throw request_error(ex.request->nlmsg_type, ex.error, ex.extack, ex.extack_attr);
}

Subscription Subscription::open(Connection& conn, const std::string& group) {
    NlSockPtr sock(nl_socket_alloc(), &nl_socket_free);
    if (!sock)
        throw NlError(NlError::Stage::Socket, ENOMEM, -NLE_NOMEM);
    nl_socket_disable_seq_check(sock.get());
    errno = 0;
    if (int rc = genl_connect(sock.get()); rc < 0)
        throw NlError(NlError::Stage::Socket, errno, rc);
    // nlctrl's own group first, on this socket while it has joined nothing.
    // Best effort: without it an unload is noticed at the deadline instead.
    int ctrl = genl_ctrl_resolve_grp(sock.get(), "nlctrl", "notify");
    int runs = conn.resolve_group(group);
    errno = 0;
    if (int rc = nl_socket_add_membership(sock.get(), runs); rc < 0)
        throw NlError(NlError::Stage::Socket, errno, rc);
    if (ctrl >= 0)
        (void)nl_socket_add_membership(sock.get(), ctrl);
    return Subscription(std::move(sock));
}

Subscription::Wait Subscription::wait(std::chrono::milliseconds timeout, int wake_fd,
                                      const OnMessage& on_message) {
    const int fd = nl_socket_get_fd(sock_.get());
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const auto ms = std::clamp<int64_t>(timeout.count(), 0, INT_MAX);
    int n = poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(ms));
    if (n < 0 && errno == EINTR)
        return Wait::Ready; // a signal: the caller looks at why
    if (n < 0)
        throw NlError(NlError::Stage::Socket, errno, -nl_syserr2nlerr(errno));
    if (n == 0)
        return Wait::Timeout;
    if (!fds[0].revents)
        return Wait::Ready;

    // Every datagram queued, each sized first. recv() itself, not libnl's
    // nl_recv(): that one reports ENOBUFS (notifications dropped) as
    // NLE_NOMEM, like a failed allocation.
    bool overflow = false;
    for (;;) {
        ssize_t len = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
        if (len >= 0) {
            std::vector<char> buf(static_cast<size_t>(std::max<ssize_t>(len, NLMSG_HDRLEN)));
            sockaddr_nl from{};
            socklen_t from_len = sizeof(from);
            len = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
            if (len >= 0) {
                if (from.nl_pid != 0)
                    continue; // only the kernel's notifications
                int rem = static_cast<int>(len);
                for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); nlmsg_ok(h, rem);
                     h = nlmsg_next(h, &rem))
                    if (h->nlmsg_type >= NLMSG_MIN_TYPE)
                        on_message(h);
                continue;
            }
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        if (errno == EINTR)
            continue;
        if (errno == ENOBUFS) {
            overflow = true; // reported once; what was queued after it follows
            continue;
        }
        throw NlError(NlError::Stage::Socket, errno, -nl_syserr2nlerr(errno));
    }
    return overflow ? Wait::Overflow : Wait::Ready;
}

} // namespace ntcorral
