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

/* Messages are "S<step>\n" and finally "R<errno>\n"; parse whatever complete lines arrived. */
static void parse_messages(char *buf, size_t *len, BoundedResult *res, bool *done) {
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', *len - (start - buf)))) {
                *nl = 0;
                if (start[0] == 'S')
                        snprintf(res->step, sizeof(res->step), "%s", start + 1);
                else if (start[0] == 'R') {
                        res->error = atoi(start + 1);
                        *done = true;
                }
                start = nl + 1;
        }
        size_t rest = *len - (start - buf);
        memmove(buf, start, rest);
        *len = rest;
}

int bounded_run(BoundedWork work, void *userdata, unsigned timeout_msec, int close_fd, BoundedResult *ret) {
        int pipefd[2];
        uint64_t start = now_usec();
        BoundedResult res = {};

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
                int r = work(&s, userdata);
                char line[32];
                int n = snprintf(line, sizeof(line), "R%d\n", r);
                write_all(pipefd[1], line, n);
                _exit(0);
        }
        close(pipefd[1]);

        char buf[1024];
        size_t len = 0;
        bool done = false, eof = false;
        uint64_t deadline = start + (uint64_t) timeout_msec * 1000;

        while (!done && !eof) {
                uint64_t now = now_usec();
                if (now >= deadline) {
                        res.timed_out = true;
                        break;
                }
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                int k = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (k == 0)
                        continue;
                ssize_t n = read(pipefd[0], buf + len, sizeof(buf) - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (n == 0) {
                        eof = true;
                        break;
                }
                len += n;
                parse_messages(buf, &len, &res, &done);
                if (len >= sizeof(buf) - 1)
                        len = 0;
        }
        close(pipefd[0]);

        if (res.timed_out) {
                /* A child blocked in the kernel ignores even SIGKILL until the write returns; do not wait. */
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, WNOHANG);
        } else {
                if (!done)
                        res.error = -ECHILD; /* died without telling: crashed */
                (void) waitpid(pid, NULL, 0);
        }

        res.usec = now_usec() - start;
        *ret = res;
        return 0;
}
