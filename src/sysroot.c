/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "sysroot.h"

char *root_path(char buf[static PATH_MAX], const char *root, const char *fmt, ...) {
        size_t n = strlen(root);
        va_list ap;

        if (n >= PATH_MAX)
                n = PATH_MAX - 1;
        memcpy(buf, root, n);
        va_start(ap, fmt);
        vsnprintf(buf + n, PATH_MAX - n, fmt, ap);
        va_end(ap);
        return buf;
}

char *device_attr_path(char buf[static PATH_MAX], const char *root, const char *device, const char *attr) {
        return root_path(buf, root, "/sys/bus/pci/devices/%s/%s", device, attr);
}
