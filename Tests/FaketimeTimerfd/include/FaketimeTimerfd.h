// The library exports timerfd_settime and timerfd_gettime under their libc names, to be
// preloaded before libfaketime; see timerfd.c. It declares nothing for Swift.
