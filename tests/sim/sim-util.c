/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sim-util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

char *sim_path(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

/* The raw system call: write() may be the simulator's own interposer. */
ssize_t sim_raw_write(int fd, const void *buf, size_t len) {
        return syscall(SYS_write, fd, buf, len);
}

static int write_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = sim_raw_write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int sim_write_file(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        return write_all(fd, data, len);
}

int sim_write_str(const char *path, const char *s, mode_t mode) {
        return sim_write_file(path, s, strlen(s), mode);
}

int sim_write_strf(const char *path, mode_t mode, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                s = NULL;
                return -ENOMEM;
        }
        return sim_write_file(path, s, (size_t) r, mode);
}

int sim_append_str(const char *path, const char *s) {
        /* O_APPEND keeps concurrent writers from different processes line-atomic. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        return write_all(fd, s, strlen(s));
}

int sim_read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                if (len + 1 >= size) {
                        char *n;
                        size = size ? size * 2 : 4096;
                        n = realloc(buf, size);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = read(fd, buf + len, size - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int sim_read_line(const char *path, char **ret) {
        char *s;
        int r = sim_read_file(path, &s, NULL);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = '\0';
        *ret = s;
        return 0;
}

int sim_mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int sim_mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        char *slash;
        if (!p)
                return -ENOMEM;
        slash = strrchr(p, '/');
        if (!slash || slash == p)
                return 0;
        *slash = '\0';
        return sim_mkdir_p(p, mode);
}

char *sim_relative_path(const char *from_dir, const char *to) {
        size_t common = 0, i;
        unsigned ups = 0;
        char *out, *q;

        /* Longest common prefix ending at a path component boundary. */
        for (i = 0; from_dir[i] && to[i] && from_dir[i] == to[i]; i++)
                if (from_dir[i] == '/')
                        common = i + 1;
        if (!from_dir[i] && (to[i] == '/' || !to[i]))
                common = i + (to[i] == '/');
        for (const char *s = from_dir + common; *s; s++)
                if (*s != '/' && (s == from_dir + common || s[-1] == '/'))
                        ups++;
        out = malloc(ups * 3 + strlen(to + common) + 2);
        if (!out)
                return NULL;
        q = out;
        for (unsigned k = 0; k < ups; k++)
                q = stpcpy(q, "../");
        q = stpcpy(q, to + common);
        if (q > out && q[-1] == '/')
                q[-1] = '\0';
        if (!*out)
                strcpy(out, ".");
        return out;
}

int sim_symlink_rel(const char *target, const char *link) {
        _cleanup_free_ char *dir = strdup(link), *rel = NULL;
        char *slash;
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        rel = sim_relative_path(dir, target);
        if (!rel)
                return -ENOMEM;
        if (symlink(rel, link) < 0)
                return -errno;
        return 0;
}

bool sim_exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}

int sim_rm_rf(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                DIR *d = opendir(path);
                struct dirent *de;
                if (!d)
                        return -errno;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *p = NULL;
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                                continue;
                        p = sim_path("%s/%s", path, de->d_name);
                        if (!p) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        int r = sim_rm_rf(p);
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
                closedir(d);
                if (rmdir(path) < 0)
                        return -errno;
                return 0;
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int sim_readlink_base(const char *link, char **ret) {
        char buf[PATH_MAX];
        ssize_t n = readlink(link, buf, sizeof(buf) - 1);
        const char *b;
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        b = strrchr(buf, '/');
        *ret = strdup(b ? b + 1 : buf);
        return *ret ? 0 : -ENOMEM;
}

static const struct {
        const char *name;
        int value;
} errno_names[] = {
        { "EPERM", EPERM },   { "ENOENT", ENOENT }, { "EIO", EIO },       { "ENXIO", ENXIO },
        { "E2BIG", E2BIG },   { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES },
        { "EBUSY", EBUSY },   { "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
        { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "ENOTDIR", ENOTDIR }, { "ENOSYS", ENOSYS }, { "ETIMEDOUT", ETIMEDOUT },
        { "EOPNOTSUPP", EOPNOTSUPP }, { "ENOTTY", ENOTTY }, { "EINTR", EINTR },
        { "ENOEXEC", ENOEXEC }, { "EFAULT", EFAULT },
};

int sim_errno_from_string(const char *s) {
        char *end;
        long v;
        if (!s || !*s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
                if (!strcmp(s, errno_names[i].name))
                        return errno_names[i].value;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v <= 0 || v > 4095)
                return -EINVAL;
        return (int) v;
}

const char *sim_errno_name(int err) {
        static __thread char buf[16];
        if (err < 0)
                err = -err;
        for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
                if (errno_names[i].value == err)
                        return errno_names[i].name;
        snprintf(buf, sizeof(buf), "E%d", err);
        return buf;
}

bool sim_is_pci_addr(const char *s) {
        unsigned dom, bus, slot, fn;
        int n = 0;
        size_t domlen = strspn(s, "0123456789abcdef");
        if (domlen < 4 || domlen > 8)
                return false;
        if (sscanf(s, "%x:%2x:%2x.%1x%n", &dom, &bus, &slot, &fn, &n) != 4)
                return false;
        return s[n] == '\0' && (size_t) n == domlen + 8 && slot <= 0x1f && fn <= 7;
}

int sim_parse_u64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;
        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno)
                return -errno;
        switch (*end) {
        case 'K': case 'k': v <<= 10; end++; break;
        case 'M': case 'm': v <<= 20; end++; break;
        case 'G': case 'g': v <<= 30; end++; break;
        case 'T': case 't': v <<= 40; end++; break;
        default: break;
        }
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

char *sim_cescape(const void *data, size_t len) {
        const unsigned char *p = data;
        char *out = malloc(len * 4 + 1), *q = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = p[i];
                switch (c) {
                case '\n': q = stpcpy(q, "\\n"); break;
                case '\t': q = stpcpy(q, "\\t"); break;
                case '\\': q = stpcpy(q, "\\\\"); break;
                case '"': q = stpcpy(q, "\\\""); break;
                default:
                        if (c < 0x20 || c >= 0x7f)
                                q += sprintf(q, "\\x%02x", c);
                        else
                                *q++ = (char) c;
                }
        }
        *q = '\0';
        return out;
}
