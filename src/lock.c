/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "bounded.h"
#include "lock.h"
#include "sysroot.h"

/* How often a waiting run looks whether the lock is free. */
#define LOCK_POLL_USEC (20 * 1000)

int run_lock(Run *run, unsigned timeout_sec) {
        char path[PATH_MAX];
        int fd;

        (void)mkdir(root_path(path, run->root, "/run"), 0755);
        (void)mkdir(root_path(path, run->root, "/run/vfio-bind"), 0755);
        fd = open(root_path(path, run->root, "/run/vfio-bind/lock"), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        uint64_t deadline = now_usec() + (uint64_t)timeout_sec * 1000000;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (now_usec() >= deadline) {
                        close(fd);
                        return -EWOULDBLOCK;
                }
                usleep(LOCK_POLL_USEC);
        }
        run->lock_fd = fd;
        return 0;
}
