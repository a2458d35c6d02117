/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>

#include "cmdline.h"
#include "fileio.h"
#include "macro.h"
#include "sysroot.h"

int cmdline_read(const char *root, char **ret) {
        char path[PATH_MAX];
        return read_attr(root_path(path, root, "/proc/cmdline"), ret);
}

int cmdline_get_value(const char *cmdline, const char *key, char **ret) {
        size_t klen = strlen(key);
        const char *value = NULL;
        size_t vlen = 0;

        if (!cmdline)
                return -ENOENT;
        for (const char *p = cmdline; *p;) {
                while (isspace((unsigned char)*p))
                        p++;
                const char *word = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                size_t wlen = p - word;
                if (wlen < klen || memcmp(word, key, klen) != 0 || (wlen > klen && word[klen] != '='))
                        continue;
                value = wlen == klen ? word + klen : word + klen + 1;
                vlen = wlen == klen ? 0 : wlen - klen - 1;
        }
        if (!value)
                return -ENOENT;
        char *v = strndup(value, vlen);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

static int parse_boolean(const char *v) {
        static const char *const yes[] = { "1", "yes", "y", "true", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

int cmdline_get_bool(const char *cmdline, const char *key) {
        _cleanup_free_ char *value = NULL;
        int r;

        r = cmdline_get_value(cmdline, key, &value);
        if (r < 0)
                return r;
        /* "KEY" alone means true. */
        return *value ? parse_boolean(value) : 1;
}
