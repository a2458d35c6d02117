/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "holders.h"
#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "string-util.h"
#include "sysroot.h"

static int add(VfioHolders *h, int group, const char *comm, const char *pid) {
        if (!GREEDY_REALLOC(h->items, h->n + 1))
                return -ENOMEM;
        char *s = format_alloc("%s (pid %s)", comm, pid);
        if (!s)
                return -ENOMEM;
        h->items[h->n++] = (VfioHolder){ .group = group, .holder = s };
        return 0;
}

int vfio_holders_scan(const char *root, VfioHolders *ret) {
        _cleanup_closedir_ DIR *proc = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        VfioHolders h = {};
        int r;

        proc = opendir(root_path(path, root, "/proc"));
        if (!proc) {
                *ret = h;
                return 0;
        }
        while ((de = readdir(proc))) {
                _cleanup_closedir_ DIR *fds = NULL;
                _cleanup_free_ char *comm = NULL;
                struct dirent *fe;
                int last = -1;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                fds = opendir(root_path(path, root, "/proc/%s/fd", de->d_name));
                if (!fds)
                        continue; /* gone meanwhile */
                while ((fe = readdir(fds))) {
                        char target[64];
                        int group;
                        ssize_t n = readlinkat(dirfd(fds), fe->d_name, target, sizeof(target) - 1);
                        if (n <= 0)
                                continue;
                        target[n] = 0;
                        /* /proc shows the real path of an open file, whatever root we were asked about. */
                        if (sscanf(target, "/dev/vfio/%d", &group) != 1 || group == last)
                                continue;
                        if (!comm)
                                (void)read_attr(root_path(path, root, "/proc/%s/comm", de->d_name), &comm);
                        r = add(&h, group, strna(comm), de->d_name);
                        if (r < 0) {
                                vfio_holders_done(&h);
                                return r;
                        }
                        last = group;
                }
        }
        *ret = h;
        return 0;
}

void vfio_holders_done(VfioHolders *h) {
        for (size_t i = 0; i < h->n; i++)
                free(h->items[i].holder);
        free(h->items);
        *h = (VfioHolders){};
}

char *vfio_holders_of(const VfioHolders *h, int group) {
        char *list = NULL;

        for (size_t i = 0; i < h->n; i++) {
                if (h->items[i].group != group)
                        continue;
                if (strextendf_with_separator(&list, ", ", "%s", h->items[i].holder) < 0) {
                        free(list);
                        return NULL;
                }
        }
        return list;
}
