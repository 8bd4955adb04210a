#ifndef RELAYD_C_SYSTEM_SHIMS_H
#define RELAYD_C_SYSTEM_SHIMS_H

#include <sys/socket.h>
#include <sys/epoll.h>

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: one call instead of accept + two fcntl.
/// Glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does not define.
int relayd_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

/// The number of CPUs in this process's affinity mask (sched_getaffinity), or 0 if unknown.
int relayd_usable_cpu_count(void);

/// Bytes in the socket's send queue not yet acknowledged by the peer (ioctl SIOCOUTQ),
/// or 0 if unknown. ioctl is variadic, which Swift cannot call.
int relayd_unsent_bytes(int fd);

#endif
