/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "bounded.h"
#include "lock.h"
#include "macro.h"
#include "sysroot.h"

/* How often a waiting run looks whether the lock is free. */
#define LOCK_POLL_USEC (20 * 1000)

int run_dir_open(const char *root) {
        char path[PATH_MAX];
        struct stat st;
        int fd;

        (void)mkdir(root_path(path, root, "/run"), 0755);
        (void)mkdir(root_path(path, root, RUN_DIR), 0755);
        /* Root writes here: a symlink planted by someone else would redirect those writes, and a directory
         * others can write lets them swap our files. Only one we own, not writable by others, will do. */
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                close(fd);
                return -EPERM;
        }
        return fd;
}

/* The lock file, in a directory we checked, never through a symlink, and only a regular file. */
static int lock_file_open(const char *root) {
        struct stat st;
        int dfd, fd;

        dfd = run_dir_open(root);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
        int r = fd < 0 ? (errno == ELOOP ? -EMLINK : -errno) : 0;
        close(dfd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EMLINK;
        }
        return fd;
}

int run_lock(Run *run, unsigned timeout_sec) {
        int fd;

        fd = lock_file_open(run->root);
        if (fd < 0)
                return fd;
        uint64_t deadline = now_usec() + (uint64_t)timeout_sec * 1000000;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (now_usec() >= deadline || run_should_stop()) {
                        close(fd);
                        return -EWOULDBLOCK;
                }
                usleep(LOCK_POLL_USEC);
        }
        run->lock_fd = fd;
        return 0;
}
