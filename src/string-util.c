/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "string-util.h"

char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

int strdup_printf(char **ret, const char *fmt, ...) {
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

char *format_alloc(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

int strextendf_with_separator(char **s, const char *separator, const char *fmt, ...) {
        _cleanup_free_ char *item = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&item, fmt, ap);
        va_end(ap);
        if (n < 0) {
                item = NULL;
                return -ENOMEM;
        }

        size_t old = *s ? strlen(*s) : 0;
        size_t sep = old > 0 && separator ? strlen(separator) : 0;
        char *joined = realloc(*s, old + sep + (size_t)n + 1);
        if (!joined)
                return -ENOMEM;
        if (sep > 0)
                memcpy(joined + old, separator, sep);
        memcpy(joined + old + sep, item, (size_t)n + 1);
        *s = joined;
        return 0;
}
