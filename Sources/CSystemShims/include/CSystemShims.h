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

/// A non-blocking, close-on-exec eventfd(2): how an event loop's thread is woken for work
/// posted from other threads. Not in Swift's Glibc module.
int relayd_wake_descriptor(void);

/// Names the calling thread (pthread_setname_np, GNU-only), for `top -H` and profiles.
void relayd_name_current_thread(const char *name);

#endif
