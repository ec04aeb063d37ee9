// Preloaded before libfaketime in the clock-skew tests (TestSupport's FakeClock).
//
// libfaketime 0.9.10 (Debian 12) rewrites the deadline of every absolute timerfd as if it were
// on the faked wall clock, even a CLOCK_MONOTONIC or CLOCK_BOOTTIME one that
// FAKETIME_DONT_FAKE_MONOTONIC leaves alone: shifted by the fake offset, the deadline becomes
// negative, the kernel refuses it with EINVAL, and Dispatch's timers never fire. Under it a
// Swift program's Task.sleep never returns, so a node's tick and stream-head loops stop.
// These two pass timerfds straight to the kernel. The tests fake only the wall clock, which
// no timerfd of the node uses, so nothing needs rewriting.
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "FaketimeTimerfd.h"

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
    return (int)syscall(SYS_timerfd_settime, fd, flags, new_value, old_value);
}

int timerfd_gettime(int fd, struct itimerspec *curr_value) {
    return (int)syscall(SYS_timerfd_gettime, fd, curr_value);
}
