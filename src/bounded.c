/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "bounded.h"
#include "macro.h"

/* The child reports on its pipe, one line per event:
 *   "I<index>"        item INDEX starts;
 *   "S<code> <what>"  the item enters step CODE, described by WHAT;
 *   "R<return>"       the item is done, with the work function's return value.
 * A line is never longer than the longest step plus its framing. */
#define BOUNDED_LINE_MAX (BOUNDED_STEP_MAX + 32)
/* Room for several lines: the child writes an item's end and the next one's start back to back. */
#define BOUNDED_READ_BUFFER 1024
/* How long the current step may still take once a stop was asked for. */
#define STOP_GRACE_USEC (2 * 1000 * 1000ULL)

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
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

_printf_(2, 3) static void send_line(int fd, const char *fmt, ...) {
        char line[BOUNDED_LINE_MAX];
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n > sizeof(line) - 2)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        write_all(fd, line, (size_t)n);
}

void bounded_step(BoundedStep *s, unsigned code, const char *what) {
        send_line(s->fd, "S%u %.*s", code, BOUNDED_STEP_MAX - 1, what);
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
                        /* Asked to stop, or out of time: the item before is done, this one does not start. */
                        if (run_should_stop())
                                break;
                        send_line(pipefd[1], "I%zu", i);
                        send_line(pipefd[1], "R%d", work(&s, i, userdata));
                }
                _exit(0);
        }
        close(pipefd[1]);
        *ret = (EachChild){ .pid = pid, .fd = pipefd[0] };
        return 0;
}

/* What the parent knows about the child working through the items. */
typedef struct EachProgress {
        size_t current;      /* the item being worked on, or about to be */
        size_t next;         /* the first item without a result */
        uint64_t item_start; /* when CURRENT started, or when the one before it ended */
        bool in_item;        /* CURRENT said it started and has not ended */
        char buf[BOUNDED_READ_BUFFER];
        size_t len;
} EachProgress;

static void each_handle_line(EachProgress *p, char *line, BoundedResult *ret) {
        BoundedResult *res = &ret[p->current];

        switch (line[0]) {
        case 'I':
                p->current = strtoul(line + 1, NULL, 10);
                p->item_start = now_usec();
                p->in_item = true;
                break;
        case 'S': {
                char *what = NULL;
                res->step_code = (unsigned)strtoul(line + 1, &what, 10);
                snprintf(res->step, sizeof(res->step), "%s", what && *what == ' ' ? what + 1 : "");
                break;
        }
        case 'R':
                res->error = atoi(line + 1);
                res->usec = now_usec() - p->item_start;
                p->next = p->current + 1;
                p->in_item = false;
                /* Until the next item says it started, the time is already that item's: the one that just
                 * ended must never be reported stuck for what comes after it. */
                p->current = p->next;
                p->item_start = now_usec();
                break;
        }
}

/* Read what the child wrote. Returns 1 when lines were read, 0 when the child closed its end. */
static int each_read(EachProgress *p, int fd, BoundedResult *ret) {
        ssize_t m = read(fd, p->buf + p->len, sizeof(p->buf) - p->len - 1);
        if (m < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : 0;
        if (m == 0)
                return 0;
        p->len += m;

        char *start = p->buf, *nl;
        while ((nl = memchr(start, '\n', p->len - (start - p->buf)))) {
                *nl = 0;
                each_handle_line(p, start, ret);
                start = nl + 1;
        }
        p->len -= start - p->buf;
        memmove(p->buf, start, p->len);
        if (p->len >= sizeof(p->buf) - 1)
                p->len = 0;
        return 1;
}

/* When the current item is given up: its own limit, cut by the run's budget, and after a stop request a
 * short grace to finish the step the worker is in (systemd waits only so long after SIGTERM). */
static uint64_t item_deadline(uint64_t item_start, unsigned timeout_msec) {
        static uint64_t stop_seen;
        uint64_t deadline = item_start + (uint64_t)timeout_msec * 1000, now = now_usec();
        uint64_t left = run_budget_left_usec();

        if (left != UINT64_MAX && now + left < deadline)
                deadline = now + left;
        if (run_stop_requested()) {
                if (stop_seen == 0)
                        stop_seen = now;
                if (stop_seen + STOP_GRACE_USEC < deadline)
                        deadline = stop_seen + STOP_GRACE_USEC;
        }
        return deadline;
}

/* Follow one child until it finished every item, died, or overran the current item's limit. */
static void each_follow(EachProgress *p, const EachChild *child, size_t n, unsigned timeout_msec, BoundedResult *ret) {
        while (p->next < n) {
                uint64_t now = now_usec(), deadline = item_deadline(p->item_start, timeout_msec);
                /* Past the deadline, first take what the child already said: a late wake-up of ours must not
                 * turn an item that finished in time into a stuck one. */
                struct pollfd pfd = { .fd = child->fd, .events = POLLIN };
                int k = poll(&pfd, 1, now >= deadline ? 0 : (int)((deadline - now + 999) / 1000));
                if (k < 0 && errno != EINTR)
                        return;
                if (k > 0) {
                        if (each_read(p, child->fd, ret) == 0)
                                return; /* the child is gone */
                        continue;
                }
                if (now_usec() >= deadline) {
                        ret[p->current].timed_out = true;
                        ret[p->current].usec = now_usec() - p->item_start;
                        return;
                }
        }
}

int bounded_run_each(BoundedItemWork work, size_t n, void *userdata, unsigned timeout_msec, int close_fd,
                     BoundedResult *ret) {
        EachProgress p = {};

        for (size_t i = 0; i < n; i++)
                ret[i] = (BoundedResult){};

        while (p.next < n) {
                EachChild child = { .pid = -1, .fd = -1 };
                int r = each_spawn(work, p.next, n, userdata, close_fd, &child);
                if (r < 0)
                        return r;
                p.current = p.next;
                p.item_start = now_usec();
                p.in_item = false;
                p.len = 0;

                each_follow(&p, &child, n, timeout_msec, ret);
                close(child.fd);

                if (p.next < n && !p.in_item && run_should_stop() && !ret[p.current].timed_out) {
                        /* The worker stopped between items, as asked: the rest never started. */
                        (void)waitpid(child.pid, NULL, 0);
                        break;
                }
                if (p.next >= n)
                        (void)waitpid(child.pid, NULL, 0);
                else {
                        /* Stuck (or crashed) on CURRENT: a child blocked in the kernel ignores even SIGKILL until
                         * the write returns, so do not wait for it; go on with the next item in a fresh child. */
                        if (!ret[p.current].timed_out)
                                ret[p.current].error = -ECHILD;
                        kill(child.pid, SIGKILL);
                        (void)waitpid(child.pid, NULL, WNOHANG);
                        p.next = p.current + 1;
                }
                if (p.next < n && run_should_stop())
                        break;
        }
        for (size_t i = p.next; i < n; i++)
                if (!ret[i].timed_out && ret[i].error == 0)
                        ret[i].not_started = true;
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

/* Shared with the worker children, so a stop asked of the parent alone (kill PID) also keeps the worker
 * from starting its next item; a stop sent to the whole unit reaches it in both ways. */
static volatile sig_atomic_t stop_local;
static volatile sig_atomic_t *stop_shared;
static uint64_t budget_deadline;

static void on_stop_signal(int sig) {
        (void)sig;
        stop_local = 1;
        if (stop_shared)
                *stop_shared = 1;
}

int run_stop_on_signals(void) {
        /* No SA_RESTART: a wait (poll, usleep) returns early and sees the flag. */
        struct sigaction sa = { .sa_handler = on_stop_signal };

        if (!stop_shared) {
                void *p = mmap(NULL, sizeof(*stop_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return -errno;
                stop_shared = p;
        }
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
                return -errno;
        return 0;
}

void run_budget_start(uint64_t budget_usec) {
        budget_deadline = budget_usec > 0 ? now_usec() + budget_usec : 0;
}

uint64_t run_budget_left_usec(void) {
        if (budget_deadline == 0)
                return UINT64_MAX;
        uint64_t now = now_usec();
        return now >= budget_deadline ? 0 : budget_deadline - now;
}

bool run_stop_requested(void) {
        return stop_local || (stop_shared && *stop_shared);
}

bool run_should_stop(void) {
        return run_stop_requested() || run_budget_left_usec() == 0;
}
