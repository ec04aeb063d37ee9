// GNU extensions TestSupport's ChildProcess needs, which Swift's Glibc module does not import.
#ifndef PCCC_C_TEST_SUPPORT_H
#define PCCC_C_TEST_SUPPORT_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC).
int pccc_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `lowest` on.
int pccc_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
