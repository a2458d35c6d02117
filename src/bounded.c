/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "bounded.h"
#include "macro.h"

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                buf += n;
                len -= n;
        }
}

void bounded_step(BoundedStep *s, const char *what) {
        char line[160];
        int n = snprintf(line, sizeof(line), "S%.126s\n", what);
        write_all(s->fd, line, (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1);
}

typedef struct EachChild {
        pid_t pid;
        int fd;
} EachChild;

static int each_spawn(BoundedItemWork work, size_t first, size_t n, void *userdata, int close_fd, EachChild *ret) {
        int pipefd[2];

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                close(pipefd[0]);
                if (close_fd >= 0)
                        close(close_fd);
                BoundedStep s = { .fd = pipefd[1] };
                for (size_t i = first; i < n; i++) {
                        char line[48];
                        int k = snprintf(line, sizeof(line), "I%zu\n", i);
                        write_all(pipefd[1], line, k);
                        int r = work(&s, i, userdata);
                        k = snprintf(line, sizeof(line), "R%d\n", r);
                        write_all(pipefd[1], line, k);
                }
                _exit(0);
        }
        close(pipefd[1]);
        *ret = (EachChild) { .pid = pid, .fd = pipefd[0] };
        return 0;
}

int bounded_run_each(BoundedItemWork work, size_t n, void *userdata, unsigned timeout_msec, int close_fd,
                     BoundedResult *ret) {
        size_t next = 0;

        for (size_t i = 0; i < n; i++)
                ret[i] = (BoundedResult) {};

        while (next < n) {
                EachChild child = { .pid = -1, .fd = -1 };
                int r = each_spawn(work, next, n, userdata, close_fd, &child);
                if (r < 0)
                        return r;

                char buf[1024];
                size_t len = 0, current = next;
                bool started = false, finished = false;
                uint64_t item_start = now_usec();

                while (next < n) {
                        uint64_t now = now_usec(), deadline = item_start + (uint64_t) timeout_msec * 1000;
                        if (now >= deadline) {
                                ret[current].timed_out = true;
                                ret[current].usec = now - item_start;
                                break;
                        }
                        struct pollfd p = { .fd = child.fd, .events = POLLIN };
                        int k = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                        if (k < 0 && errno != EINTR)
                                break;
                        if (k <= 0)
                                continue;
                        ssize_t m = read(child.fd, buf + len, sizeof(buf) - len - 1);
                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m <= 0)
                                break; /* the child is gone */
                        len += m;

                        char *start = buf, *nl;
                        while ((nl = memchr(start, '\n', len - (start - buf)))) {
                                *nl = 0;
                                if (start[0] == 'I') {
                                        current = strtoul(start + 1, NULL, 10);
                                        started = true;
                                        item_start = now_usec();
                                } else if (start[0] == 'S' && started)
                                        snprintf(ret[current].step, sizeof(ret[current].step), "%s", start + 1);
                                else if (start[0] == 'R' && started) {
                                        ret[current].error = atoi(start + 1);
                                        ret[current].usec = now_usec() - item_start;
                                        next = current + 1;
                                        started = false;
                                }
                                start = nl + 1;
                        }
                        len -= start - buf;
                        memmove(buf, start, len);
                        if (len >= sizeof(buf) - 1)
                                len = 0;
                }
                finished = next >= n;
                close(child.fd);

                if (finished)
                        (void) waitpid(child.pid, NULL, 0);
                else {
                        /* Stuck (or crashed) on CURRENT: a child blocked in the kernel ignores even SIGKILL until
                         * the write returns, so do not wait for it; go on with the next item in a fresh child. */
                        if (!ret[current].timed_out)
                                ret[current].error = -ECHILD;
                        kill(child.pid, SIGKILL);
                        (void) waitpid(child.pid, NULL, WNOHANG);
                        next = current + 1;
                }
        }
        return 0;
}

typedef struct SingleWork {
        BoundedWork work;
        void *userdata;
} SingleWork;

static int single_item(BoundedStep *s, size_t index, void *userdata) {
        SingleWork *w = userdata;
        return w->work(s, w->userdata);
}

int bounded_run(BoundedWork work, void *userdata, unsigned timeout_msec, int close_fd, BoundedResult *ret) {
        SingleWork w = { .work = work, .userdata = userdata };
        return bounded_run_each(single_item, 1, &w, timeout_msec, close_fd, ret);
}
