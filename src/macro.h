/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

static inline void freep(void *p) {
        free(*(void **)p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

/* gcc -fanalyzer (12) loses ownership that moves into an array grown through greedy_realloc()'s void **:
 * every string stored there and freed by the owner's *_done() is reported as a leak. Such functions are
 * wrapped, one by one, in these, each with its reason. */
#if defined(__GNUC__) && !defined(__clang__)
#define ANALYZER_OWNED_BY_ARRAY_BEGIN                                                                                  \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define ANALYZER_OWNED_BY_ARRAY_END _Pragma("GCC diagnostic pop")
#else
#define ANALYZER_OWNED_BY_ARRAY_BEGIN
#define ANALYZER_OWNED_BY_ARRAY_END
#endif

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define _cleanup_free_     _cleanup_(freep)
#define _cleanup_close_    _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership of a pointer to the caller: the cleanup handler then sees NULL. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _taken_ = (p);                                                                           \
                (p) = NULL;                                                                                            \
                _taken_;                                                                                               \
        })

/* The same for a file descriptor: the cleanup handler then sees -1. */
#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _taken_fd_ = (fd);                                                                                 \
                (fd) = -1;                                                                                             \
                _taken_fd_;                                                                                            \
        })

/* A scan of sysfs races with hotplug and with our own unbinds: these errors mean the object went away. */
static inline bool errno_is_gone(int r) {
        r = r < 0 ? -r : r;
        return r == ENOENT || r == ENODEV || r == ENXIO;
}

char *strdup_or_null(const char *s);
int strdup_printf(char **ret, const char *fmt, ...) _printf_(2, 3);
/* A formatted string on the heap, NULL when out of memory. */
char *format_alloc(const char *fmt, ...) _printf_(1, 2);
