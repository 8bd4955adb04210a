#define _GNU_SOURCE
#include <sched.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif
#include <pthread.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif
#include "CSystemShims.h"

int relayd_wake_descriptor(void) {
#ifdef __linux__
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
#else
    return -1;
#endif
}

void relayd_name_current_thread(const char *name) {
#ifdef __linux__
    pthread_setname_np(pthread_self(), name);
#endif
}

int relayd_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
#ifdef __linux__
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    return accept(fd, address, length);
#endif
}

int relayd_usable_cpu_count(void) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
    return 0;
}

int relayd_unsent_bytes(int fd) {
#ifdef __linux__
    int queued = 0;
    if (ioctl(fd, SIOCOUTQ, &queued) == 0) return queued;
#endif
    return 0;
}
