/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int read_attr(const char *path, char **ret) {
        _cleanup_close_ int fd = -1;
        /* One spare byte tells a value that fills the buffer from one that was cut. */
        char buf[ATTR_MAX + 1];
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        if ((size_t)n > ATTR_MAX)
                return -EFBIG;

        if (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = 0;
        if (memchr(buf, 0, n))
                return -EBADMSG;

        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int read_attr_hex(const char *path, unsigned long *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_attr(path, &s);
        if (r < 0)
                return r;

        errno = 0;
        unsigned long v = strtoul(s, &end, 16);
        if (errno != 0 || end == s || *end != 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int write_attr(const char *path, const char *value) {
        size_t len = strlen(value);
        int fd;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        ssize_t n = write(fd, value, len);
        int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;

        /* sysfs reports some errors only at close(); never drop them. */
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

int read_link_basename(const char *path, char **ret) {
        char buf[PATH_MAX];
        ssize_t n;

        n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;

        const char *base = strrchr(buf, '/');
        base = base ? base + 1 : buf;
        if (!*base)
                return -EBADMSG;

        char *s = strdup(base);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int read_full_fd(int fd, size_t max_size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                if (allocated - size < 4096) {
                        size_t want = allocated ? allocated * 2 : 16384;
                        if (want > max_size)
                                return -EFBIG;
                        char *p = realloc(buf, want + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = want;
                }
                ssize_t n = read(fd, buf + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, READ_FULL_FILE_MAX, ret, ret_size);
}

/* stat(), not access(): the kernel runs a device node's access() through the device cgroup, so in a unit
 * with DevicePolicy=closed a /dev/vfio node that exists would look missing. stat() asks nothing of it. */
int path_exists(const char *path) {
        struct stat st;
        return stat(path, &st) >= 0;
}

int read_file_lines(const char *path, LineFunc fn, void *userdata) {
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = fn(line, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

int write_all_fd(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                buf += n;
                len -= n;
        }
        return 0;
}
