/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "holders.h"
#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "string-util.h"
#include "sysroot.h"

/* A process names itself: its comm may hold terminal escapes, which must not reach a terminal or the
 * journal as they are. */
static char *escape_comm(const char *comm) {
        size_t n = strlen(comm);
        char *out = malloc(n * 4 + 1), *p = out;

        if (!out)
                return NULL;
        for (const unsigned char *c = (const unsigned char *)comm; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == '\\')
                        p += sprintf(p, "\\x%02x", *c);
                else
                        *p++ = (char)*c;
        *p = 0;
        return out;
}

static int add(VfioHolders *h, const char *node, const char *comm, const char *pid) {
        _cleanup_free_ char *safe = escape_comm(comm);

        if (!safe || !GREEDY_REALLOC(h->items, h->n + 1))
                return -ENOMEM;
        char *s = format_alloc("%s (pid %s)", safe, pid), *nd = strdup(node);
        if (!s || !nd) {
                free(s);
                free(nd);
                return -ENOMEM;
        }
        h->items[h->n++] = (VfioHolder){ .node = nd, .holder = s };
        return 0;
}

/* /dev/vfio/GROUP or /dev/vfio/devices/vfioN; not the container /dev/vfio/vfio, which every VM opens. */
static bool is_vfio_device_node(const char *target) {
        const char *p = NULL;

        if (strncmp(target, "/dev/vfio/devices/vfio", 22) == 0)
                p = target + 22;
        else if (strncmp(target, "/dev/vfio/", 10) == 0)
                p = target + 10;
        if (!p || !*p)
                return false;
        return strspn(p, "0123456789") == strlen(p);
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
                char last[VFIO_NODE_MAX] = "";
                struct dirent *fe;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                fds = opendir(root_path(path, root, "/proc/%s/fd", de->d_name));
                if (!fds)
                        continue; /* gone meanwhile */
                while ((fe = readdir(fds))) {
                        char target[VFIO_NODE_MAX];
                        ssize_t n = readlinkat(dirfd(fds), fe->d_name, target, sizeof(target) - 1);
                        if (n <= 0)
                                continue;
                        target[n] = 0;
                        /* /proc shows the real path of an open file, whatever root we were asked about. */
                        if (!is_vfio_device_node(target) || streq(target, last))
                                continue;
                        if (!comm)
                                (void)read_attr(root_path(path, root, "/proc/%s/comm", de->d_name), &comm);
                        r = add(&h, target, strna(comm), de->d_name);
                        if (r < 0) {
                                vfio_holders_done(&h);
                                return r;
                        }
                        snprintf(last, sizeof(last), "%s", target);
                }
        }
        *ret = h;
        return 0;
}

void vfio_holders_done(VfioHolders *h) {
        for (size_t i = 0; i < h->n; i++) {
                free(h->items[i].node);
                free(h->items[i].holder);
        }
        free(h->items);
        *h = (VfioHolders){};
}

size_t vfio_device_nodes(const char *root, const char *name, int group, char nodes[2][VFIO_NODE_MAX]) {
        _cleanup_closedir_ DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;
        size_t n = 0;

        if (group >= 0)
                snprintf(nodes[n++], VFIO_NODE_MAX, "/dev/vfio/%d", group);
        d = opendir(root_path(path, root, "/sys/bus/pci/devices/%s/vfio-dev", name));
        while (d && (de = readdir(d)))
                if (strncmp(de->d_name, "vfio", 4) == 0 && de->d_name[4] &&
                    strspn(de->d_name + 4, "0123456789") == strlen(de->d_name + 4) && strlen(de->d_name) < 16) {
                        snprintf(nodes[n++], VFIO_NODE_MAX, "/dev/vfio/devices/%.15s", de->d_name);
                        break;
                }
        return n;
}

char *vfio_holders_of(const VfioHolders *h, char nodes[][VFIO_NODE_MAX], size_t n_nodes) {
        _cleanup_free_ char *list = NULL;

        for (size_t k = 0; k < n_nodes; k++) {
                _cleanup_free_ char *who = NULL;
                for (size_t i = 0; i < h->n; i++)
                        if (streq(h->items[i].node, nodes[k]) &&
                            strextendf_with_separator(&who, ", ", "%s", h->items[i].holder) < 0)
                                return NULL;
                if (who && strextendf_with_separator(&list, "; ", "%s is open by %s", nodes[k], who) < 0)
                        return NULL;
        }
        return TAKE_PTR(list);
}

void vfio_node_stat(const char *root, const char *path, VfioNode *ret) {
        char full[PATH_MAX];
        struct stat st;

        *ret = (VfioNode){};
        snprintf(ret->path, sizeof(ret->path), "%s", path);
        if (stat(root_path(full, root, "%s", path), &st) < 0)
                return;
        *ret = (VfioNode){ .exists = true, .mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid };
        snprintf(ret->path, sizeof(ret->path), "%s", path);
}

void vfio_interfaces_read(const char *root, const char *name, int group, VfioNode *ret_group, VfioNode *ret_cdev) {
        char nodes[2][VFIO_NODE_MAX];
        size_t n = vfio_device_nodes(root, name, group, nodes);

        *ret_group = (VfioNode){};
        *ret_cdev = (VfioNode){};
        for (size_t k = 0; k < n; k++)
                vfio_node_stat(root, nodes[k], strncmp(nodes[k], "/dev/vfio/devices/", 18) == 0 ? ret_cdev : ret_group);
}
