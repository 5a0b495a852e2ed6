// SPDX-License-Identifier: GPL-2.0
// ntcorral client: Ctrl-C and SIGTERM while runs go on: the first asks the
// client to cancel its run, a second ends the client at once.
#include "interrupt.hpp"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace ntcorral {

namespace {

// What the handler touches: only these, and only async-signal-safe calls.
volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_wake = -1; // the pipe's write end

extern "C" void on_signal(int sig) {
    if (g_signal) {
        // The second: the default action, once this handler returns (the
        // signal is blocked while it runs).
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, nullptr);
        raise(sig);
        return;
    }
    g_signal = sig;
    int saved = errno;
    if (g_wake >= 0)
        (void)!write(g_wake, "", 1);
    errno = saved;
}

} // namespace

InterruptGuard::InterruptGuard() {
    if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) < 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    g_signal = 0;
    g_wake = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; // poll() still returns EINTR; other calls go on
    if (sigaction(SIGINT, &sa, &old_int_) < 0 || sigaction(SIGTERM, &sa, &old_term_) < 0) {
        int err = errno;
        sigaction(SIGINT, &old_int_, nullptr);
        g_wake = -1;
        close(pipe_[0]);
        close(pipe_[1]);
        throw std::system_error(err, std::generic_category(), "sigaction");
    }
}

InterruptGuard::~InterruptGuard() {
    // The handlers first: after them nothing writes to the pipe.
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    g_wake = -1;
    g_signal = 0;
    close(pipe_[0]);
    close(pipe_[1]);
}

int InterruptGuard::signal() const {
    return g_signal;
}

void InterruptGuard::drain() {
    char buf[16];
    while (read(pipe_[0], buf, sizeof(buf)) > 0) {
    }
}

const char* signal_label(int sig) {
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "a signal";
    }
}

} // namespace ntcorral
