// SPDX-License-Identifier: GPL-2.0
// ntcorral client: Ctrl-C and SIGTERM while runs go on: the first asks the
// client to cancel its run, a second ends the client at once.
#pragma once

#include <csignal>

namespace ntcorral {

// While it lives, SIGINT and SIGTERM do not end the process: the first is
// recorded (signal()) and makes wake_fd() readable, so that a wait in
// poll() sees it at once; a second, of either, ends the process at once by
// that signal (its default action, put back by the handler). One guard at a
// time; the handlers it replaced come back when it goes.
class InterruptGuard {
public:
    // Throws std::system_error.
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    // The first signal received, 0 for none.
    int signal() const;
    // Readable once a signal came; drain() empties it.
    int wake_fd() const { return pipe_[0]; }
    void drain();

private:
    int pipe_[2] = {-1, -1};
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

// "SIGINT", "SIGTERM", else "signal N".
const char* signal_label(int sig);

} // namespace ntcorral
