/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Accessors to the simulated kernel state kept in the tree; used by tests and
 * by the preloaded simulator alike, so both agree on where things live. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim-util.h"
#include "simtree-internal.h"
#include "simtree.h"

bool sim_is_vfio_driver(const char *name) {
        return name && strstr(name, "vfio");
}

int sim_device_dir(const char *root, const char *addr, char **ret_dir) {
        _cleanup_free_ char *link = NULL;
        char buf[PATH_MAX];
        if (!sim_is_pci_addr(addr))
                return -ENODEV;
        link = sim_path("%s/sys/bus/pci/devices/%s", root, addr);
        if (!link)
                return -ENOMEM;
        if (!realpath(link, buf))
                return errno == ENOENT ? -ENODEV : -errno;
        *ret_dir = strdup(buf);
        return *ret_dir ? 0 : -ENOMEM;
}

bool sim_device_exists(const char *root, const char *addr) {
        _cleanup_free_ char *dir = NULL;
        return sim_device_dir(root, addr, &dir) == 0;
}

int sim_device_group(const char *dev_dir, int *ret_group) {
        _cleanup_free_ char *link = sim_path("%s/iommu_group", dev_dir), *base = NULL;
        char *end;
        long g;
        int r;
        if (!link)
                return -ENOMEM;
        r = sim_readlink_base(link, &base);
        if (r < 0)
                return r;
        g = strtol(base, &end, 10);
        if (*end || g < 0)
                return -EINVAL;
        *ret_group = (int) g;
        return 0;
}

int sim_device_driver(const char *root, const char *addr, char **ret_driver) {
        _cleanup_free_ char *dir = NULL, *link = NULL;
        char *name = NULL;
        int r = sim_device_dir(root, addr, &dir);
        if (r < 0)
                return r;
        link = sim_path("%s/driver", dir);
        if (!link)
                return -ENOMEM;
        r = sim_readlink_base(link, &name);
        if (r == -ENOENT) {
                *ret_driver = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_driver = name;
        return 0;
}

int sim_device_override(const char *root, const char *addr, char **ret_override) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *v = NULL;
        int r = sim_device_dir(root, addr, &dir);
        if (r < 0)
                return r;
        path = sim_path("%s/driver_override", dir);
        if (!path)
                return -ENOMEM;
        r = sim_read_line(path, &v);
        if (r < 0)
                return r;
        *ret_override = strcmp(v, "(null)") ? TAKE_PTR(v) : NULL;
        return 0;
}

int sim_knob_set(const char *root, const char *target, const char *knob, const char *value) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;
        if (!target || !knob || strchr(target, '/') || strchr(knob, '/') || !*target || !*knob)
                return -EINVAL;
        dir = sim_path("%s/" SIM_KNOBS_DIR "/%s", root, target);
        path = sim_path("%s/" SIM_KNOBS_DIR "/%s/%s", root, target, knob);
        if (!dir || !path)
                return -ENOMEM;
        if (!value)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        r = sim_mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        return sim_write_strf(path, 0644, "%s\n", value);
}

int sim_knob_get(const char *root, const char *target, const char *knob, char **ret_value) {
        _cleanup_free_ char *path = sim_path("%s/" SIM_KNOBS_DIR "/%s/%s", root, target, knob);
        if (!path)
                return -ENOMEM;
        return sim_read_line(path, ret_value);
}

int sim_module_state(const char *root, const char *module, char **ret_state) {
        _cleanup_free_ char *sp = sim_path("%s/" SIM_MODULES_DIR "/%s", root, module),
                            *init = sim_path("%s/sys/module/%s/initstate", root, module), *state = NULL;
        int r;
        if (!sp || !init)
                return -ENOMEM;
        r = sim_read_line(sp, &state);
        if (r < 0)
                return r == -ENOENT ? -ENOENT : r;
        if (!strcmp(state, "loadable") && sim_exists(init)) {
                free(state);
                state = strdup("live");
                if (!state)
                        return -ENOMEM;
        }
        *ret_state = TAKE_PTR(state);
        return 0;
}

bool sim_driver_registered(const char *root, const char *driver) {
        _cleanup_free_ char *p = sim_path("%s/sys/bus/pci/drivers/%s", root, driver);
        return p && sim_exists(p);
}

bool sim_vfio_group_exists(const char *root, const char *group) {
        _cleanup_free_ char *p = sim_path("%s/dev/vfio/%s", root, group);
        return p && sim_exists(p);
}

int sim_vfio_group_release(const char *root, int group) {
        _cleanup_free_ char *gd = sim_path("%s/sys/kernel/iommu_groups/%d/devices", root, group),
                            *node = sim_path("%s/dev/vfio/%d", root, group);
        DIR *d;
        struct dirent *de;
        bool busy = false;
        if (!gd || !node)
                return -ENOMEM;
        d = opendir(gd);
        if (d) {
                while ((de = readdir(d)) && !busy) {
                        _cleanup_free_ char *l = sim_path("%s/%s/driver", gd, de->d_name), *drv = NULL;
                        if (de->d_name[0] == '.')
                                continue;
                        if (l && sim_readlink_base(l, &drv) == 0 && sim_is_vfio_driver(drv))
                                busy = true;
                }
                closedir(d);
        }
        if (!busy && unlink(node) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* Removes symlinks in DIR that point into PREFIX (or dangle). */
static void prune_links(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                char buf[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                p = sim_path("%s/%s", dir, de->d_name);
                if (!p)
                        break;
                if (!realpath(p, buf) || (!strncmp(buf, prefix, strlen(prefix)) &&
                                          (buf[strlen(prefix)] == '/' || !buf[strlen(prefix)]))) {
                        struct stat st;
                        if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
                                unlink(p);
                }
        }
        closedir(d);
}

static int remove_one(const char *root, const char *addr, const char *dir) {
        _cleanup_free_ char *drv = NULL, *dl = NULL, *bl = NULL, *drvl = NULL, *gl = NULL, *il = NULL;
        int group = -1, r;

        bl = sim_path("%s/sys/bus/pci/devices/%s", root, addr);
        dl = sim_path("%s/driver", dir);
        if (!bl || !dl)
                return -ENOMEM;
        (void) sim_device_group(dir, &group);
        if (sim_readlink_base(dl, &drv) == 0) {
                drvl = sim_path("%s/sys/bus/pci/drivers/%s/%s", root, drv, addr);
                if (!drvl)
                        return -ENOMEM;
                (void) unlink(drvl);
                (void) unlink(dl);
        }
        if (group >= 0) {
                gl = sim_path("%s/sys/kernel/iommu_groups/%d/devices/%s", root, group, addr);
                il = sim_path("%s/sys/devices/virtual/iommu/dmar0/devices/%s", root, addr);
                if (!gl || !il)
                        return -ENOMEM;
                (void) unlink(gl);
                (void) unlink(il);
                if (sim_is_vfio_driver(drv) && (r = sim_vfio_group_release(root, group)) < 0)
                        return r;
        }
        if (unlink(bl) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int sim_device_remove(const char *root, const char *addr) {
        _cleanup_free_ char *dir = NULL, *bus = NULL;
        DIR *d;
        struct dirent *de;
        int r;

        r = sim_device_dir(root, addr, &dir);
        if (r < 0)
                return r;
        bus = sim_path("%s/sys/bus/pci/devices", root);
        if (!bus)
                return -ENOMEM;
        /* The device and everything behind it (a bridge's children). */
        d = opendir(bus);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *cdir = NULL;
                if (de->d_name[0] == '.' || sim_device_dir(root, de->d_name, &cdir) < 0)
                        continue;
                if (strncmp(cdir, dir, strlen(dir)) || (cdir[strlen(dir)] != '/' && cdir[strlen(dir)]))
                        continue;
                r = remove_one(root, de->d_name, cdir);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        /* A VF's entry in its PF. */
        {
                _cleanup_free_ char *pf = sim_path("%s/physfn", dir);
                char buf[PATH_MAX];
                if (pf && realpath(pf, buf)) {
                        DIR *pd = opendir(buf);
                        while (pd && (de = readdir(pd))) {
                                _cleanup_free_ char *l = NULL, *base = NULL;
                                if (strncmp(de->d_name, "virtfn", 6))
                                        continue;
                                l = sim_path("%s/%s", buf, de->d_name);
                                if (l && sim_readlink_base(l, &base) == 0 && !strcmp(base, addr))
                                        (void) unlink(l);
                        }
                        if (pd)
                                closedir(pd);
                }
        }
        r = sim_rm_rf(dir);
        if (r < 0)
                return r;
        static const char *const link_dirs[] = { "sys/dev/block", "sys/class/block", "sys/block" };
        for (size_t i = 0; i < sizeof(link_dirs) / sizeof(link_dirs[0]); i++) {
                _cleanup_free_ char *p = sim_path("%s/%s", root, link_dirs[i]);
                if (p)
                        prune_links(p, dir);
        }
        return 0;
}

int sim_log_read(const char *root, char **ret_text) {
        _cleanup_free_ char *p = sim_path("%s/" SIM_LOG_FILE, root);
        if (!p)
                return -ENOMEM;
        return sim_read_file(p, ret_text, NULL);
}

int sim_log_count(const char *root, const char *needle) {
        _cleanup_free_ char *text = NULL;
        int n = 0, r = sim_log_read(root, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strstr(line, needle))
                        n++;
        }
        return n;
}

int sim_log_clear(const char *root) {
        _cleanup_free_ char *p = sim_path("%s/" SIM_LOG_FILE, root);
        if (!p)
                return -ENOMEM;
        return sim_write_str(p, "", 0644);
}

int sim_tree_mkdtemp(char **ret_root) {
        const char *tmp = getenv("TMPDIR");
        /* Trees are thousands of small files: prefer memory over a busy disk. */
        if (!tmp || !*tmp)
                tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        _cleanup_free_ char *t = sim_path("%s/vfio-bind-sim.XXXXXX", tmp);
        char buf[PATH_MAX];
        if (!t)
                return -ENOMEM;
        if (!mkdtemp(t))
                return -errno;
        /* Canonical, so that paths the simulator sees via /proc/self/fd match. */
        if (!realpath(t, buf))
                return -errno;
        *ret_root = strdup(buf);
        return *ret_root ? 0 : -ENOMEM;
}

int sim_tree_remove(const char *root) {
        return sim_rm_rf(root);
}
