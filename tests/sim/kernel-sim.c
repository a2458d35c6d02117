/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A preloaded kernel simulator. With VFIO_SIM_ROOT=ROOT in the environment,
 * every write() to a file under ROOT/sys is acted on at write time the way
 * drivers/base and drivers/pci do it in Linux 6.1, instead of being stored.
 * libkmod's context, module state and module insertion are redirected to the
 * simulated host. All state lives in the tree (see simtree-internal.h), so
 * several processes, the tool and the test, share one simulated kernel. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim-util.h"
#include "simtree-internal.h"
#include "simtree.h"

#define PAGE_SIZE 4096
#define EXPORT __attribute__((visibility("default")))

/* Our own file writes must not re-enter the simulator. sim-util uses the raw
 * system call, but libc or libkmod may call write() on our behalf. */
static __thread int in_sim;

static ssize_t (*real_write)(int, const void *, size_t);

/* The canonical ROOT, or NULL when the simulator is off. */
static const char *sim_root(char *buf) {
        const char *env = getenv("VFIO_SIM_ROOT");
        if (!env || !*env || !realpath(env, buf))
                return NULL;
        return buf;
}

/* ---- small readers ---------------------------------------------------- */

static int read_number_attr(const char *dir, const char *name, int base, unsigned *ret) {
        _cleanup_free_ char *p = sim_path("%s/%s", dir, name), *v = NULL;
        int r;
        if (!p)
                return -ENOMEM;
        r = sim_read_line(p, &v);
        if (r < 0)
                return r;
        *ret = (unsigned) strtoul(v, NULL, base);
        return 0;
}

static int read_hex_attr(const char *dir, const char *name, unsigned *ret) {
        return read_number_attr(dir, name, 16, ret);
}

static int read_uint_attr(const char *dir, const char *name, unsigned *ret) {
        return read_number_attr(dir, name, 10, ret);
}

static char *dev_driver(const char *dir) {
        _cleanup_free_ char *l = sim_path("%s/driver", dir);
        char *name = NULL;
        if (l && sim_readlink_base(l, &name) < 0)
                return NULL;
        return name;
}

/* The knob value as an errno (0 when unset or when it names another driver).
 * A value is "ERRNO" or "DRIVER:ERRNO". */
static int knob_errno(const char *root, const char *target, const char *knob, const char *driver) {
        _cleanup_free_ char *v = NULL;
        char *colon;
        if (sim_knob_get(root, target, knob, &v) < 0)
                return 0;
        colon = strrchr(v, ':');
        if (colon) {
                *colon = '\0';
                if (!driver || strcmp(v, driver))
                        return 0;
                return sim_errno_from_string(colon + 1) > 0 ? sim_errno_from_string(colon + 1) : 0;
        }
        return sim_errno_from_string(v) > 0 ? sim_errno_from_string(v) : 0;
}

/* sysfs_streq(): equal but for one trailing newline. Copies the written
 * buffer to a string first; the kernel stops at a NUL too. */
static char *arg_string(const void *buf, size_t len) {
        char *s = strndup(buf, len);
        size_t n;
        if (!s)
                return NULL;
        n = strlen(s);
        if (n > 0 && s[n - 1] == '\n')
                s[n - 1] = '\0';
        return s;
}

/* ---- matching and probing (pci_match_device, vfio_pci_probe) --------- */

static bool table_has(const char *path, unsigned a, unsigned b, bool classes) {
        _cleanup_free_ char *t = NULL;
        if (sim_read_file(path, &t, NULL) < 0)
                return false;
        for (char *line = t, *next; line && *line; line = next) {
                unsigned x, y;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%x %x", &x, &y) != 2)
                        continue;
                if (classes ? ((a & y) == (x & y)) : (x == a && (y == b || y == 0xffff)))
                        return true;
        }
        return false;
}

static bool driver_matches(const char *root, const char *drv, const char *dir) {
        _cleanup_free_ char *ov = NULL, *ovp = sim_path("%s/driver_override", dir),
                            *ids = sim_path("%s/" SIM_DRIVERS_DIR "/%s/ids", root, drv),
                            *dyn = sim_path("%s/" SIM_DRIVERS_DIR "/%s/dynids", root, drv),
                            *cls = sim_path("%s/" SIM_DRIVERS_DIR "/%s/classes", root, drv);
        unsigned vendor = 0, device = 0, class = 0;
        bool has_ov;
        if (!ovp || !ids || !dyn || !cls)
                return false;
        if (sim_read_line(ovp, &ov) < 0)
                return false;
        has_ov = strcmp(ov, "(null)") != 0;
        /* When driver_override is set, only the driver of that name binds. */
        if (has_ov && strcmp(ov, drv))
                return false;
        (void) read_hex_attr(dir, "vendor", &vendor);
        (void) read_hex_attr(dir, "device", &device);
        (void) read_hex_attr(dir, "class", &class);
        if (table_has(dyn, vendor, device, false) || table_has(ids, vendor, device, false) ||
            table_has(cls, class, 0, true))
                return true;
        /* driver_override always matches, with a dummy id. */
        return has_ov;
}

static bool vfio_denylisted(unsigned vendor, unsigned device) {
        /* drivers/vfio/pci/vfio_pci.c: QAT PFs/VFs, and DSA/IAX (kernel.md). */
        static const unsigned intel[] = { 0x19e2, 0x19e3, 0x37c8, 0x37c9, 0x0435, 0x0443, 0x0b25, 0x0cfe };
        if (vendor != 0x8086)
                return false;
        for (size_t i = 0; i < sizeof(intel) / sizeof(intel[0]); i++)
                if (device == intel[i])
                        return true;
        return false;
}

static int mkfile(const char *dir, const char *name, mode_t mode, const char *content) {
        _cleanup_free_ char *p = sim_path("%s/%s", dir, name);
        int r;
        if (!p)
                return -ENOMEM;
        r = sim_write_str(p, content, mode);
        return r < 0 ? r : (chmod(p, mode) < 0 ? -errno : 0);
}

/* Since 6.0, vfio-pci evicts firmware framebuffers inside a VGA device's BARs
 * (aperture_remove_conflicting_pci_devices). */
static void evict_framebuffers(const char *root, const char *dir) {
        _cleanup_free_ char *fbs = NULL, *res = NULL, *fbp = sim_path("%s/" SIM_FB_FILE, root),
                            *resp = sim_path("%s/resource", dir);
        if (!fbp || !resp || sim_read_file(fbp, &fbs, NULL) < 0 || sim_read_file(resp, &res, NULL) < 0)
                return;
        for (char *line = fbs, *next; line && *line; line = next) {
                int index;
                unsigned long long s, e;
                char iomem_name[64];
                bool inside = false;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%d %llx %llx %63s", &index, &s, &e, iomem_name) != 4)
                        continue;
                for (char *rl = res; rl && *rl;) {
                        unsigned long long bs, be, fl;
                        if (sscanf(rl, "%llx %llx %llx", &bs, &be, &fl) == 3 && fl && !(fl & 0x100) && s >= bs &&
                            e <= be)
                                inside = true;
                        rl = strchr(rl, '\n');
                        if (rl)
                                rl++;
                }
                if (!inside)
                        continue;
                /* Drop the iomem entry, the /proc/fb line and the fbdev. */
                _cleanup_free_ char *iop = sim_path("%s/proc/iomem", root), *io = NULL, *pfp = sim_path("%s/proc/fb", root),
                                    *pf = NULL, *needle = sim_path("%08llx-%08llx : %s\n", s, e, iomem_name),
                                    *fbline = sim_path("%d ", index), *cl = sim_path("%s/sys/class/graphics/fb%d", root, index);
                if (!iop || !pfp || !needle || !fbline || !cl)
                        return;
                if (sim_read_file(iop, &io, NULL) == 0) {
                        char *hit = strstr(io, needle);
                        if (hit) {
                                char *bol = hit;
                                while (bol > io && bol[-1] == ' ')
                                        bol--;
                                memmove(bol, hit + strlen(needle), strlen(hit + strlen(needle)) + 1);
                                (void) sim_write_str(iop, io, 0444);
                        }
                }
                if (index >= 0 && sim_read_file(pfp, &pf, NULL) == 0) {
                        for (char *l = pf; l && *l;) {
                                char *nl = strchr(l, '\n');
                                if (!strncmp(l, fbline, strlen(fbline))) {
                                        memmove(l, nl ? nl + 1 : l + strlen(l), strlen(nl ? nl + 1 : l + strlen(l)) + 1);
                                        break;
                                }
                                l = nl ? nl + 1 : NULL;
                        }
                        (void) sim_write_str(pfp, pf, 0444);
                        char buf[PATH_MAX];
                        if (realpath(cl, buf))
                                (void) sim_rm_rf(buf);
                        (void) unlink(cl);
                }
        }
}

static int vfio_dev_nodes(const char *root, int group) {
        _cleanup_free_ char *d = sim_path("%s/dev/vfio", root), *c = sim_path("%s/dev/vfio/vfio", root),
                            *g = sim_path("%s/dev/vfio/%d", root, group);
        int r;
        if (!d || !c || !g)
                return -ENOMEM;
        if ((r = sim_mkdir_p(d, 0755)) < 0)
                return r;
        if (!sim_exists(c) && (r = sim_write_str(c, "", 0666)) < 0)
                return r;
        if (group >= 0 && !sim_exists(g) && (r = sim_write_str(g, "", 0600)) < 0)
                return r;
        return 0;
}

/* vfio_device_add(): the device's cdev, /dev/vfio/devices/vfioN with ADDR/vfio-dev/vfioN, N the lowest
 * free index (independent of the group number, as in the kernel). */
static int vfio_cdev_add(const char *root, const char *dir) {
        _cleanup_free_ char *devs = sim_path("%s/dev/vfio/devices", root), *vd = sim_path("%s/vfio-dev", dir);
        int r;
        if (!devs || !vd)
                return -ENOMEM;
        if ((r = sim_mkdir_p(devs, 0755)) < 0)
                return r;
        for (unsigned n = 0; n < 4096; n++) {
                _cleanup_free_ char *node = sim_path("%s/vfio%u", devs, n), *sys = sim_path("%s/vfio%u", vd, n);
                if (!node || !sys)
                        return -ENOMEM;
                if (sim_exists(node))
                        continue;
                if ((r = sim_write_str(node, "", 0600)) < 0)
                        return r;
                return sim_mkdir_p(sys, 0755);
        }
        return -ENOSPC;
}

static void vfio_cdev_remove(const char *root, const char *dir) {
        _cleanup_free_ char *vd = sim_path("%s/vfio-dev", dir);
        DIR *d;
        struct dirent *de;
        if (!vd || !(d = opendir(vd)))
                return;
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, "vfio", 4))
                        continue;
                _cleanup_free_ char *node = sim_path("%s/dev/vfio/devices/%s", root, de->d_name);
                if (node)
                        (void) unlink(node);
        }
        closedir(d);
        (void) sim_rm_rf(vd);
}

/* Which VFIO user interfaces this kernel has: knob kernel vfio_nodes = group (no CONFIG_VFIO_DEVICE_CDEV),
 * cdev (no CONFIG_VFIO_GROUP), none (no devtmpfs on /dev), both (default). */
static bool kernel_has_node(const char *root, const char *kind) {
        _cleanup_free_ char *v = NULL;
        if (sim_knob_get(root, "kernel", "vfio_nodes", &v) < 0 || !v || !*v || !strcmp(v, "both"))
                return true;
        return !strcmp(v, kind);
}

/* add_taint(): knob kernel taint_on_bind = MASK (decimal) is ORed into proc/sys/kernel/tainted at each VFIO
 * bind, as a kernel would that taints when driver_override binds a driver not declaring support for it. */
static void taint_on_bind(const char *root) {
        _cleanup_free_ char *v = NULL, *path = sim_path("%s/proc/sys/kernel/tainted", root), *cur = NULL;
        unsigned long long mask, now = 0;
        if (!path || sim_knob_get(root, "kernel", "taint_on_bind", &v) < 0 || !v)
                return;
        mask = strtoull(v, NULL, 10);
        if (sim_read_file(path, &cur, NULL) == 0)
                now = strtoull(cur, NULL, 10);
        (void) sim_write_strf(path, 0444, "%llu\n", now | mask);
}

/* really_probe(): the driver's probe, then the links. */
static int probe(const char *root, const char *drv, const char *addr, const char *dir) {
        unsigned vendor = 0, device = 0, class = 0, numvfs = 0;
        int group = -1, err;

        (void) read_hex_attr(dir, "vendor", &vendor);
        (void) read_hex_attr(dir, "device", &device);
        (void) read_hex_attr(dir, "class", &class);
        (void) sim_device_group(dir, &group);

        err = knob_errno(root, addr, "probe_errno", drv);
        if (err)
                return -err;
        if (sim_is_vfio_driver(drv)) {
                if (group < 0)
                        return -EINVAL; /* no IOMMU group: vfio_group_find_or_alloc */
                if ((class >> 8) == 0x0604 || (class >> 8) == 0x0607)
                        return -EINVAL; /* not a normal header */
                if (vfio_denylisted(vendor, device))
                        return -EINVAL; /* "exists in vfio-pci device denylist" */
                if (read_uint_attr(dir, "sriov_numvfs", &numvfs) == 0 && numvfs > 0)
                        return -EBUSY;
        }

        _cleanup_free_ char *drvdir = sim_path("%s/sys/bus/pci/drivers/%s", root, drv),
                            *link = sim_path("%s/driver", dir),
                            *back = sim_path("%s/sys/bus/pci/drivers/%s/%s", root, drv, addr);
        int r;
        if (!drvdir || !link || !back)
                return -ENOMEM;
        if ((r = sim_symlink_rel(drvdir, link)) < 0)
                return r;
        if ((r = sim_symlink_rel(dir, back)) < 0 && r != -EEXIST)
                return r;
        (void) mkfile(dir, "enable", 0644, "1\n");
        if (sim_is_vfio_driver(drv)) {
                if ((r = vfio_dev_nodes(root, kernel_has_node(root, "group") ? group : -1)) < 0)
                        return r;
                if (kernel_has_node(root, "cdev") && (r = vfio_cdev_add(root, dir)) < 0)
                        return r;
                taint_on_bind(root);
                if ((class >> 8) == 0x0300)
                        evict_framebuffers(root, dir);
        }
        return 0;
}

static int detach(const char *root, const char *drv, const char *addr, const char *dir) {
        _cleanup_free_ char *link = sim_path("%s/driver", dir), *back = sim_path("%s/sys/bus/pci/drivers/%s/%s", root, drv, addr);
        int group = -1;
        if (!link || !back)
                return -ENOMEM;
        (void) unlink(back);
        if (unlink(link) < 0 && errno != ENOENT)
                return -errno;
        (void) mkfile(dir, "enable", 0644, "0\n");
        if (sim_is_vfio_driver(drv))
                vfio_cdev_remove(root, dir);
        if (sim_is_vfio_driver(drv) && sim_device_group(dir, &group) == 0)
                return sim_vfio_group_release(root, group);
        return 0;
}

/* driver_attach(): bind every unbound device the driver matches; probe
 * failures are only logged by the kernel. */
static void driver_attach(const char *root, const char *drv) {
        _cleanup_free_ char *bus = sim_path("%s/sys/bus/pci/devices", root);
        struct dirent **list = NULL;
        int n;
        if (!bus)
                return;
        n = scandir(bus, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *dir = NULL, *cur = NULL;
                if (list[i]->d_name[0] != '.' && sim_device_dir(root, list[i]->d_name, &dir) == 0 &&
                    !(cur = dev_driver(dir)) && driver_matches(root, drv, dir))
                        (void) probe(root, drv, list[i]->d_name, dir);
                free(list[i]);
        }
        free(list);
}

/* ---- store handlers ---------------------------------------------------- */

static bool vanishes(const char *root, const char *addr, const char *kind) {
        _cleanup_free_ char *v = NULL;
        if (sim_knob_get(root, addr, "vanish_on", &v) < 0)
                return false;
        if (strcmp(v, kind) && strcmp(v, "any"))
                return false;
        (void) sim_device_remove(root, addr);
        return true;
}

static int store_bind(const char *root, const char *drv, const void *buf, size_t len) {
        _cleanup_free_ char *addr = arg_string(buf, len), *dir = NULL, *cur = NULL;
        if (!addr)
                return -ENOMEM;
        if (sim_device_dir(root, addr, &dir) < 0)
                return -ENODEV;
        if (vanishes(root, addr, "bind"))
                return -ENODEV;
        if (!driver_matches(root, drv, dir))
                return -ENODEV;
        if ((cur = dev_driver(dir)))
                return -EBUSY;
        return probe(root, drv, addr, dir);
}

static int store_unbind(const char *root, const char *drv, const void *buf, size_t len) {
        _cleanup_free_ char *addr = arg_string(buf, len), *dir = NULL, *cur = NULL;
        int err;
        if (!addr)
                return -ENOMEM;
        if (sim_device_dir(root, addr, &dir) < 0)
                return -ENODEV;
        if (vanishes(root, addr, "unbind"))
                return -ENODEV;
        cur = dev_driver(dir);
        if (!cur || strcmp(cur, drv))
                return -ENODEV;
        err = knob_errno(root, addr, "unbind_errno", drv);
        if (err)
                return -err;
        return detach(root, drv, addr, dir);
}

static int store_drivers_probe(const char *root, const void *buf, size_t len) {
        _cleanup_free_ char *addr = arg_string(buf, len), *dir = NULL, *cur = NULL, *order = NULL, *op = NULL;
        if (!addr)
                return -ENOMEM;
        if (sim_device_dir(root, addr, &dir) < 0)
                return -ENODEV;
        if (vanishes(root, addr, "drivers_probe"))
                return -ENODEV;
        if ((cur = dev_driver(dir)))
                return 0;
        op = sim_path("%s/" SIM_DRIVERS_ORDER, root);
        if (!op || sim_read_file(op, &order, NULL) < 0)
                return 0;
        /* __device_attach(): the first matching driver whose probe succeeds.
         * Success is returned whatever happened. */
        for (char *line = order, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sim_driver_registered(root, line) && driver_matches(root, line, dir) &&
                    probe(root, line, addr, dir) == 0)
                        break;
        }
        return 0;
}

static int parse_id_fields(const void *buf, size_t len, unsigned *ret_v, unsigned *ret_d) {
        _cleanup_free_ char *s = strndup(buf, len);
        unsigned v, d, sv, sd, c, cm;
        unsigned long data;
        int n;
        if (!s)
                return -ENOMEM;
        n = sscanf(s, "%x %x %x %x %x %x %lx", &v, &d, &sv, &sd, &c, &cm, &data);
        if (n < 2)
                return -EINVAL;
        *ret_v = v & 0xffff;
        *ret_d = d & 0xffff;
        return n;
}

static int store_new_id(const char *root, const char *drv, const void *buf, size_t len) {
        _cleanup_free_ char *ids = sim_path("%s/" SIM_DRIVERS_DIR "/%s/ids", root, drv),
                            *dyn = sim_path("%s/" SIM_DRIVERS_DIR "/%s/dynids", root, drv), *line = NULL;
        unsigned v, d;
        int r;
        if (!ids || !dyn)
                return -ENOMEM;
        r = parse_id_fields(buf, len, &v, &d);
        if (r < 0)
                return r;
        /* The kernel refuses ids its static table already matches; we also
         * refuse dynamic duplicates so repeated use stands out in tests. */
        if (table_has(ids, v, d, false) || table_has(dyn, v, d, false))
                return -EEXIST;
        line = sim_path("%04x %04x\n", v, d);
        if (!line)
                return -ENOMEM;
        if ((r = sim_append_str(dyn, line)) < 0)
                return r;
        driver_attach(root, drv);
        return 0;
}

static int store_remove_id(const char *root, const char *drv, const void *buf, size_t len) {
        _cleanup_free_ char *dyn = sim_path("%s/" SIM_DRIVERS_DIR "/%s/dynids", root, drv), *t = NULL, *needle = NULL;
        unsigned v, d;
        char *hit;
        int r;
        if (!dyn)
                return -ENOMEM;
        r = parse_id_fields(buf, len, &v, &d);
        if (r < 0)
                return r;
        needle = sim_path("%04x %04x\n", v, d);
        if (!needle)
                return -ENOMEM;
        if (sim_read_file(dyn, &t, NULL) < 0)
                return -ENODEV;
        for (hit = t; (hit = strstr(hit, needle)); hit++)
                if (hit == t || hit[-1] == '\n')
                        break;
        if (!hit)
                return -ENODEV;
        memmove(hit, hit + strlen(needle), strlen(hit + strlen(needle)) + 1);
        return sim_write_str(dyn, t, 0644);
}

static int store_override(const char *dir, const void *buf, size_t len) {
        _cleanup_free_ char *s = NULL, *content = NULL;
        char *nl;
        /* driver_set_override(): one char less than a page so show() fits. */
        if (len >= PAGE_SIZE - 1)
                return -EINVAL;
        s = strndup(buf, len);
        if (!s)
                return -ENOMEM;
        nl = strchr(s, '\n');
        if (nl)
                *nl = '\0';
        content = *s ? sim_path("%s\n", s) : strdup("(null)\n");
        if (!content)
                return -ENOMEM;
        return mkfile(dir, "driver_override", 0644, content);
}

static int store_reset_method(const char *root, const char *addr, const char *dir, const void *buf, size_t len) {
        _cleanup_free_ char *supported = NULL, *cur = NULL, *arg = arg_string(buf, len), *out = NULL,
                            *path = sim_path("%s/reset_method", dir);
        if (!arg || !path)
                return -ENOMEM;
        if (sim_knob_get(root, addr, "reset_methods", &supported) < 0) {
                /* The methods the device supports are those it showed first. */
                if (sim_read_line(path, &cur) < 0)
                        return -ENODEV;
                if (sim_knob_set(root, addr, "reset_methods", cur) < 0)
                        return -EIO;
                supported = strdup(cur);
                if (!supported)
                        return -ENOMEM;
        }
        for (char *c = supported; *c; c++)
                if (*c == ',')
                        *c = ' ';
        if (!*arg)
                return mkfile(dir, "reset_method", 0644, ""); /* all methods disabled by user */
        if (!strcmp(arg, "default")) {
                _cleanup_free_ char *v = sim_path("%s\n", supported);
                return v ? mkfile(dir, "reset_method", 0644, v) : -ENOMEM;
        }
        out = calloc(1, strlen(arg) + 2);
        if (!out)
                return -ENOMEM;
        char *save = NULL;
        for (char *m = strtok_r(arg, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
                bool ok = false;
                _cleanup_free_ char *sup = strdup(supported), *dupe = sim_path(" %s ", m), *have = sim_path(" %s", out);
                char *s2 = NULL;
                if (!sup || !dupe || !have)
                        return -ENOMEM;
                for (char *t = strtok_r(sup, " ", &s2); t; t = strtok_r(NULL, " ", &s2))
                        if (!strcmp(t, m))
                                ok = true;
                if (!ok || strstr(have, dupe))
                        return -EINVAL;
                strcat(out, m);
                strcat(out, " ");
        }
        if (!*out)
                return -EINVAL;
        out[strlen(out) - 1] = '\n';
        return mkfile(dir, "reset_method", 0644, out);
}

/* __device_attach() for a device that just appeared: the first registered driver that matches and probes. */
static void device_attach(const char *root, const char *addr, const char *dir) {
        _cleanup_free_ char *op = sim_path("%s/" SIM_DRIVERS_ORDER, root), *order = NULL;
        if (!op || sim_read_file(op, &order, NULL) < 0)
                return;
        for (char *line = order, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sim_driver_registered(root, line) && driver_matches(root, line, dir) &&
                    probe(root, line, addr, dir) == 0)
                        return;
        }
}

/* The next free IOMMU group number. */
static int next_group(const char *root) {
        _cleanup_free_ char *p = sim_path("%s/sys/kernel/iommu_groups", root);
        DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;
        int max = -1;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && atoi(de->d_name) > max)
                        max = atoi(de->d_name);
        if (d)
                closedir(d);
        return max + 1;
}

/* pci_iov_add_virtfn(): one VF on the PF's bus at routing id PF + offset + stride * INDEX, with the PF's ids
 * (knob vf_device=DDDD gives it another device id), its own IOMMU group unless the knob vf_group=shared
 * (a device without ACS: the VF lands in the PF's group), physfn and virtfnN links. */
static int add_virtfn(const char *root, const char *pfaddr, const char *pfdir, unsigned index) {
        unsigned domain, bus, slot, fn, offset = 0, stride = 1, vendor = 0, device = 0, sv = 0, sd = 0, class = 0, rev = 0;
        _cleanup_free_ char *parent = strdup(pfdir), *vfdev = NULL, *share = NULL;
        char addr[32], name[32];
        int r, group = -1;

        if (!parent || sscanf(pfaddr, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4)
                return -EINVAL;
        *strrchr(parent, '/') = '\0';
        (void) read_uint_attr(pfdir, "sriov_offset", &offset);
        (void) read_uint_attr(pfdir, "sriov_stride", &stride);
        (void) read_hex_attr(pfdir, "vendor", &vendor);
        (void) read_hex_attr(pfdir, "device", &device);
        (void) read_hex_attr(pfdir, "subsystem_vendor", &sv);
        (void) read_hex_attr(pfdir, "subsystem_device", &sd);
        (void) read_hex_attr(pfdir, "class", &class);
        (void) read_hex_attr(pfdir, "revision", &rev);
        if (sim_knob_get(root, pfaddr, "vf_device", &vfdev) >= 0 && vfdev)
                device = (unsigned) strtoul(vfdev, NULL, 16);
        unsigned rid = (bus << 8 | slot << 3 | fn) + offset + stride * index;
        snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", domain, (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);

        _cleanup_free_ char *dir = sim_path("%s/%s", parent, addr);
        if (!dir)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0)
                return -errno;
        char v[64];
        unsigned char config[256] = { 0 };
        config[0] = vendor & 0xff, config[1] = vendor >> 8, config[2] = device & 0xff, config[3] = device >> 8;
        _cleanup_free_ char *cfg = sim_path("%s/config", dir);
        if (!cfg || (r = sim_write_file(cfg, config, sizeof(config), 0644)) < 0)
                return cfg ? r : -ENOMEM;
#define ATTR(n, m, ...) do { snprintf(v, sizeof(v), __VA_ARGS__); if ((r = mkfile(dir, n, m, v)) < 0) return r; } while (0)
        ATTR("vendor", 0444, "0x%04x\n", vendor);
        ATTR("device", 0444, "0x%04x\n", device);
        ATTR("subsystem_vendor", 0444, "0x%04x\n", sv);
        ATTR("subsystem_device", 0444, "0x%04x\n", sd);
        ATTR("class", 0444, "0x%06x\n", class);
        ATTR("revision", 0444, "0x%02x\n", rev);
        ATTR("driver_override", 0644, "(null)\n");
        ATTR("enable", 0644, "0\n");
        ATTR("numa_node", 0644, "-1\n");
        ATTR("irq", 0444, "0\n");
        ATTR("reset_method", 0644, "flr\n");
        ATTR("reset", 0200, "%s", "");
        ATTR("remove", 0200, "%s", "");
        ATTR("modalias", 0444, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", vendor, device, sv, sd,
             (class >> 16) & 0xff, (class >> 8) & 0xff, class & 0xff);
#undef ATTR
        _cleanup_free_ char *bus_dir = sim_path("%s/sys/bus/pci", root), *subsys = sim_path("%s/subsystem", dir),
                            *entry = sim_path("%s/sys/bus/pci/devices/%s", root, addr),
                            *physfn = sim_path("%s/physfn", dir);
        snprintf(name, sizeof(name), "virtfn%u", index);
        _cleanup_free_ char *virtfn = sim_path("%s/%s", pfdir, name);
        if (!bus_dir || !subsys || !entry || !physfn || !virtfn)
                return -ENOMEM;
        if ((r = sim_symlink_rel(bus_dir, subsys)) < 0 || (r = sim_symlink_rel(dir, entry)) < 0 ||
            (r = sim_symlink_rel(pfdir, physfn)) < 0 || (r = sim_symlink_rel(dir, virtfn)) < 0)
                return r;

        if (sim_device_group(pfdir, &group) == 0) {
                if (!(sim_knob_get(root, pfaddr, "vf_group", &share) >= 0 && share && !strcmp(share, "shared")))
                        group = next_group(root);
                _cleanup_free_ char *g = sim_path("%s/sys/kernel/iommu_groups/%d", root, group),
                                    *gd = sim_path("%s/sys/kernel/iommu_groups/%d/devices", root, group),
                                    *gl = sim_path("%s/sys/kernel/iommu_groups/%d/devices/%s", root, group, addr),
                                    *l = sim_path("%s/iommu_group", dir);
                if (!g || !gd || !gl || !l)
                        return -ENOMEM;
                (void) mkdir(g, 0755);
                (void) mkdir(gd, 0755);
                (void) mkfile(g, "type", 0444, "DMA\n");
                if ((r = sim_symlink_rel(dir, gl)) < 0 || (r = sim_symlink_rel(g, l)) < 0)
                        return r;
        }

        /* sriov_drivers_autoprobe: 1 lets the VF driver (or any matching one) take it at once. */
        unsigned autoprobe = 1;
        (void) read_uint_attr(pfdir, "sriov_drivers_autoprobe", &autoprobe);
        if (autoprobe)
                device_attach(root, addr, dir);
        return 0;
}

/* sriov_disable(): every VF goes, unbound first. */
static void remove_virtfns(const char *root, const char *pfdir) {
        DIR *d = opendir(pfdir);
        struct dirent *de;
        char names[256][32];
        size_t n = 0;
        while (d && (de = readdir(d)))
                if (!strncmp(de->d_name, "virtfn", 6) && n < 256) {
                        _cleanup_free_ char *l = sim_path("%s/%s", pfdir, de->d_name), *base = NULL;
                        if (l && sim_readlink_base(l, &base) == 0)
                                snprintf(names[n++], sizeof(names[0]), "%s", base);
                }
        if (d)
                closedir(d);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *vdir = NULL, *drv = NULL;
                if (sim_device_dir(root, names[i], &vdir) == 0 && (drv = dev_driver(vdir)))
                        (void) detach(root, drv, names[i], vdir);
                (void) sim_device_remove(root, names[i]);
        }
}

static int store_sriov_numvfs(const char *root, const char *addr, const char *dir, const void *buf, size_t len) {
        _cleanup_free_ char *arg = arg_string(buf, len), *drv = NULL, *v = NULL;
        unsigned total = 0, cur = 0;
        char *end;
        unsigned long n;
        int r;
        if (!arg)
                return -ENOMEM;
        errno = 0;
        n = strtoul(arg, &end, 0);
        if (errno || !*arg || *end || n > 0xffff)
                return -EINVAL;
        (void) read_uint_attr(dir, "sriov_totalvfs", &total);
        (void) read_uint_attr(dir, "sriov_numvfs", &cur);
        if (n > total)
                return -ERANGE;
        if (n == cur)
                return 0;
        drv = dev_driver(dir);
        if (!drv)
                return -ENOENT; /* no driver bound to device; cannot configure SR-IOV */
        if (n != 0 && cur != 0)
                return -EBUSY;
        if (n == 0)
                remove_virtfns(root, dir);
        v = sim_path("%lu\n", n);
        if (!v || (r = mkfile(dir, "sriov_numvfs", 0644, v)) < 0)
                return v ? r : -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                r = add_virtfn(root, addr, dir, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int store_generic(const char *path, const void *buf, size_t len) {
        struct stat st;
        if (stat(path, &st) < 0)
                return -ENODEV;
        /* A read-only attribute has no store(): the kernel refuses the open
         * with EACCES even for root; we can only refuse the write. */
        if (!(st.st_mode & 0222))
                return -EACCES;
        if (!(st.st_mode & 0444))
                return 0; /* write-only trigger we do not model: accepted */
        return sim_write_file(path, buf, len, st.st_mode & 07777);
}

/* The PCI address when DIR is a device directory. */
static const char *dev_addr_of(const char *dir) {
        const char *b = strrchr(dir, '/');
        return b && sim_is_pci_addr(b + 1) ? b + 1 : NULL;
}

static int dispatch(const char *root, const char *abs, const char *rel, const void *buf, size_t len) {
        _cleanup_free_ char *dir = strdup(abs);
        const char *attr, *addr;
        char *slash;
        char drv[256];

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        *slash = '\0';
        attr = slash + 1;

        if (sscanf(rel, "/sys/bus/pci/drivers/%255[^/]/", drv) == 1 && strchr(rel + 21, '/') &&
            !strchr(strchr(rel + 21, '/') + 1, '/')) {
                if (!strcmp(attr, "bind"))
                        return store_bind(root, drv, buf, len);
                if (!strcmp(attr, "unbind"))
                        return store_unbind(root, drv, buf, len);
                if (!strcmp(attr, "new_id"))
                        return store_new_id(root, drv, buf, len);
                if (!strcmp(attr, "remove_id"))
                        return store_remove_id(root, drv, buf, len);
                return store_generic(abs, buf, len);
        }
        if (!strcmp(rel, "/sys/bus/pci/drivers_probe"))
                return store_drivers_probe(root, buf, len);
        if (!strcmp(rel, "/sys/bus/pci/rescan"))
                return 0;

        addr = strncmp(rel, "/sys/devices/", 13) ? NULL : dev_addr_of(dir);
        if (addr) {
                _cleanup_free_ char *a = strdup(addr);
                if (!a)
                        return -ENOMEM;
                if (vanishes(root, a, attr))
                        return -ENODEV;
                if (!strcmp(attr, "driver_override"))
                        return store_override(dir, buf, len);
                if (!strcmp(attr, "reset_method"))
                        return store_reset_method(root, a, dir, buf, len);
                if (!strcmp(attr, "sriov_numvfs"))
                        return store_sriov_numvfs(root, a, dir, buf, len);
                if (!strcmp(attr, "remove")) {
                        _cleanup_free_ char *arg = arg_string(buf, len);
                        if (!arg)
                                return -ENOMEM;
                        if (strtoul(arg, NULL, 0) == 0)
                                return 0;
                        return sim_device_remove(root, a);
                }
        }
        return store_generic(abs, buf, len);
}

/* ---- locking and logging ----------------------------------------------- */

static int lock_tree(const char *root) {
        _cleanup_free_ char *p = sim_path("%s/" SIM_LOCK_FILE, root);
        int fd;
        if (!p)
                return -1;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
                        ;
        return fd;
}

static void unlock_tree(int fd) {
        if (fd >= 0)
                close(fd); /* drops the flock */
}

static void log_line(const char *root, const char *line) {
        _cleanup_free_ char *p = sim_path("%s/" SIM_LOG_FILE, root);
        if (p)
                (void) sim_append_str(p, line);
}

static void log_write(const char *root, const char *rel, const void *buf, size_t len, int r) {
        _cleanup_free_ char *esc = sim_cescape(buf, len), *line = NULL;
        if (!esc)
                return;
        if (r < 0)
                line = sim_path("write %s len=%zu data=\"%s\" ret=-%s\n", rel, len, esc, sim_errno_name(r));
        else
                line = sim_path("write %s len=%zu data=\"%s\" ret=%zu\n", rel, len, esc, len);
        if (line)
                log_line(root, line);
}

static unsigned knob_seconds(const char *root, const char *addr, const char *knob) {
        _cleanup_free_ char *v = NULL;
        if (!addr || sim_knob_get(root, addr, knob, &v) < 0)
                return 0;
        return (unsigned) strtoul(v, NULL, 10);
}

/* Sleeps outside the lock: a console GPU's unbind blocks that writer only. */
static void maybe_delay(const char *root, const char *rel, const void *buf, size_t len) {
        const char *attr = strrchr(rel, '/');
        _cleanup_free_ char *addr = NULL;
        unsigned s;
        if (!attr || strcmp(attr, "/unbind") || strncmp(rel, "/sys/bus/pci/drivers/", 21))
                return;
        addr = arg_string(buf, len);
        s = knob_seconds(root, addr, "unbind_delay");
        if (s > 0) {
                struct timespec ts = { .tv_sec = s };
                /* Tests wait for this line to know the writer is inside the store now. */
                _cleanup_free_ char *line = sim_path("delay %s %s\n", rel, addr);
                if (line)
                        log_line(root, line);
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
}

/* The device a store is about: named in the data for the bus files, the directory for a device attribute. */
static char *store_target(const char *rel, const char *attr, const void *buf, size_t len) {
        if ((!strncmp(rel, "/sys/bus/pci/drivers/", 21) && (!strcmp(attr, "bind") || !strcmp(attr, "unbind"))) ||
            !strcmp(rel, "/sys/bus/pci/drivers_probe"))
                return arg_string(buf, len);
        const char *end = strrchr(rel, '/'), *start = end;
        while (start > rel && start[-1] != '/')
                start--;
        return end > start ? strndup(start, (size_t) (end - start)) : NULL;
}

/* Faults the test asks for at one store: the writer dies there (crash_on=ATTR), or the store fails with
 * fail_ATTR=ERRNO before the kernel would act on it. */
static int injected_fault(const char *root, const char *rel, const void *buf, size_t len) {
        const char *attr = strrchr(rel, '/');
        _cleanup_free_ char *target = NULL, *crash = NULL, *knob = NULL;
        if (!attr)
                return 0;
        attr++;
        target = store_target(rel, attr, buf, len);
        if (!target || !*target)
                return 0;
        if (sim_knob_get(root, target, "crash_on", &crash) >= 0 && crash && !strcmp(crash, attr)) {
                _cleanup_free_ char *line = sim_path("crash %s %s\n", rel, target);
                if (line)
                        log_line(root, line);
                kill(getpid(), SIGKILL);
        }
        knob = sim_path("fail_%s", attr);
        return knob ? -knob_errno(root, target, knob, NULL) : 0;
}

static int handle_write(const char *root, const char *abs, const void *buf, size_t count) {
        const char *rel = abs + strlen(root);
        int lockfd, r;

        /* sysfs_kf_write() ignores empty writes: store() is never called. */
        if (count == 0) {
                log_write(root, rel, buf, 0, 0);
                return 0;
        }
        maybe_delay(root, rel, buf, count);
        r = injected_fault(root, rel, buf, count);
        if (r < 0) {
                log_write(root, rel, buf, count, r);
                return r;
        }
        lockfd = lock_tree(root);
        r = dispatch(root, abs, rel, buf, count);
        unlock_tree(lockfd);
        log_write(root, rel, buf, count, r);
        return r;
}

EXPORT ssize_t write(int fd, const void *buf, size_t count) {
        char rootbuf[PATH_MAX], fdpath[64], path[PATH_MAX];
        const char *root;
        ssize_t n;
        size_t rl;
        int r;

        if (!real_write)
                real_write = (ssize_t (*)(int, const void *, size_t)) dlsym(RTLD_NEXT, "write");
        if (in_sim || !(root = sim_root(rootbuf)))
                return real_write(fd, buf, count);

        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        n = readlink(fdpath, path, sizeof(path) - 1);
        if (n < 0)
                return real_write(fd, buf, count);
        path[n] = '\0';
        rl = strlen(root);
        if (!strncmp(path, root, rl) && !strncmp(path + rl, "/run/", 5)) {
                /* A full or read-only /run, for the files vfio-bind keeps there. */
                _cleanup_free_ char *v = NULL;
                int e = 0;
                in_sim++;
                if (sim_knob_get(root, "run", "write_errno", &v) >= 0 && v && *v)
                        e = sim_errno_from_string(v);
                in_sim--;
                if (e > 0) {
                        errno = e;
                        return -1;
                }
                return real_write(fd, buf, count);
        }
        if (strncmp(path, root, rl) || strncmp(path + rl, "/sys/", 5))
                return real_write(fd, buf, count);

        in_sim++;
        {
                /* A file whose device went away: kernfs refuses with ENODEV. */
                static const char deleted[] = " (deleted)";
                size_t pl = strlen(path);
                if (pl > sizeof(deleted) - 1 && !strcmp(path + pl - (sizeof(deleted) - 1), deleted)) {
                        path[pl - (sizeof(deleted) - 1)] = '\0';
                        r = -ENODEV;
                        log_write(root, path + rl, buf, count, r);
                } else
                        r = handle_write(root, path, buf, count);
        }
        in_sim--;
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return (ssize_t) count;
}

/* ---- libkmod ------------------------------------------------------------ */

#define REAL(name) ((__typeof__(&name)) dlsym(RTLD_NEXT, #name))

/* The simulated host's modules are known through aliases in ROOT/sim; there is
 * no modules.dep, which is fine for lookups by name. */
EXPORT struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths) {
        char rootbuf[PATH_MAX];
        const char *root = sim_root(rootbuf);
        if (!root)
                return REAL(kmod_new)(dirname, config_paths);
        _cleanup_free_ char *dir = sim_path("%s/" SIM_KMOD_DIR, root), *cfg = sim_path("%s/" SIM_MODPROBE_DIR, root);
        if (!dir || !cfg)
                return NULL;
        const char *paths[] = { cfg, NULL };
        return REAL(kmod_new)(dir, paths);
}

EXPORT int kmod_module_get_initstate(const struct kmod_module *mod) {
        char rootbuf[PATH_MAX];
        const char *root = sim_root(rootbuf), *name;
        if (!root)
                return REAL(kmod_module_get_initstate)(mod);
        name = kmod_module_get_name(mod);
        _cleanup_free_ char *dir = sim_path("%s/sys/module/%s", root, name), *init = sim_path("%s/initstate", dir),
                            *v = NULL;
        if (!dir || !init)
                return -ENOMEM;
        if (sim_read_line(init, &v) == 0) {
                if (!strcmp(v, "live"))
                        return KMOD_MODULE_LIVE;
                if (!strcmp(v, "coming"))
                        return KMOD_MODULE_COMING;
                if (!strcmp(v, "going"))
                        return KMOD_MODULE_GOING;
                return -EINVAL;
        }
        return sim_exists(dir) ? (int) KMOD_MODULE_BUILTIN : -ENOENT;
}

static int register_driver(const char *root, const char *module, const char *drv) {
        _cleanup_free_ char *dd = sim_path("%s/sys/bus/pci/drivers/%s", root, drv),
                            *ml = sim_path("%s/sys/bus/pci/drivers/%s/module", root, drv),
                            *mt = sim_path("%s/sys/module/%s", root, module),
                            *mdd = sim_path("%s/sys/module/%s/drivers", root, module),
                            *mdl = sim_path("%s/sys/module/%s/drivers/pci:%s", root, module, drv),
                            *order = sim_path("%s/" SIM_DRIVERS_ORDER, root), *line = sim_path("%s\n", drv);
        static const char *const files[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
        int r;
        if (!dd || !ml || !mt || !mdd || !mdl || !order || !line)
                return -ENOMEM;
        if ((r = sim_mkdir_p(dd, 0755)) < 0)
                return r;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if ((r = mkfile(dd, files[i], 0200, "")) < 0)
                        return r;
        if ((r = sim_mkdir_p(mdd, 0755)) < 0)
                return r;
        (void) sim_symlink_rel(mt, ml);
        (void) sim_symlink_rel(dd, mdl);
        if ((r = sim_append_str(order, line)) < 0)
                return r;
        driver_attach(root, drv);
        return 0;
}

static int load_module(const char *root, const char *name, unsigned depth) {
        _cleanup_free_ char *state = NULL, *sp = sim_path("%s/" SIM_MODULES_DIR "/%s", root, name), *text = NULL,
                            *md = sim_path("%s/sys/module/%s", root, name), *pd = sim_path("%s/parameters", md),
                            *hd = sim_path("%s/holders", md), *drvs = sim_path("%s/" SIM_DRIVERS_DIR, root);
        char *deps;
        int err, r;

        if (!sp || !md || !pd || !hd || !drvs)
                return -ENOMEM;
        if (depth > 16)
                return -ELOOP;
        {
                _cleanup_free_ char *target = sim_path("module:%s", name);
                if (!target)
                        return -ENOMEM;
                err = knob_errno(root, target, "load_errno", NULL);
                if (err)
                        return -err;
        }
        r = sim_module_state(root, name, &state);
        if (r == -ENOENT || (r == 0 && !strcmp(state, "missing")))
                return -ENOENT;
        if (r < 0)
                return r;
        if (strcmp(state, "loadable"))
                return 0; /* builtin or live */

        /* Dependencies first, as modprobe does. */
        if (sim_read_file(sp, &text, NULL) == 0 && (deps = strstr(text, "deps "))) {
                char *save = NULL;
                deps += 5;
                deps[strcspn(deps, "\n")] = '\0';
                for (char *d = strtok_r(deps, " ", &save); d; d = strtok_r(NULL, " ", &save))
                        if ((r = load_module(root, d, depth + 1)) < 0)
                                return r;
        }

        if ((r = sim_mkdir_p(pd, 0755)) < 0 || (r = sim_mkdir_p(hd, 0755)) < 0 ||
            (r = mkfile(md, "refcnt", 0444, "0\n")) < 0 || (r = mkfile(md, "initstate", 0444, "live\n")) < 0)
                return r;
        if (!strcmp(name, "vfio") && (r = vfio_dev_nodes(root, -1)) < 0)
                return r;

        /* pci_register_driver() for each PCI driver of the module. */
        DIR *d = opendir(drvs);
        struct dirent *de;
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *mp = NULL, *mod = NULL;
                if (de->d_name[0] == '.')
                        continue;
                mp = sim_path("%s/%s/module", drvs, de->d_name);
                if (!mp || sim_read_line(mp, &mod) < 0 || strcmp(mod, name))
                        continue;
                r = register_driver(root, name, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        return 0;
}

static int sim_insert(const char *root, const struct kmod_module *mod, bool fail_on_loaded, const char *what) {
        const char *name = kmod_module_get_name(mod);
        _cleanup_free_ char *state = NULL, *line = NULL;
        int lockfd, r;

        in_sim++;
        lockfd = lock_tree(root);
        r = sim_module_state(root, name, &state);
        if (r == 0 && fail_on_loaded && (!strcmp(state, "live") || !strcmp(state, "builtin")))
                r = -EEXIST;
        else
                r = load_module(root, name, 0);
        unlock_tree(lockfd);
        line = r < 0 ? sim_path("kmod %s %s ret=-%s\n", what, name, sim_errno_name(r))
                     : sim_path("kmod %s %s ret=0\n", what, name);
        if (line)
                log_line(root, line);
        in_sim--;
        return r;
}

EXPORT int kmod_module_probe_insert_module(struct kmod_module *mod, unsigned int flags, const char *extra_options,
                                           int (*run_install)(struct kmod_module *m, const char *cmdline, void *data),
                                           const void *data,
                                           void (*print_action)(struct kmod_module *m, bool install,
                                                                const char *options)) {
        char rootbuf[PATH_MAX];
        const char *root = sim_root(rootbuf);
        if (!root)
                return REAL(kmod_module_probe_insert_module)(mod, flags, extra_options, run_install, data,
                                                             print_action);
        return sim_insert(root, mod, flags & KMOD_PROBE_FAIL_ON_LOADED, "probe_insert");
}

EXPORT int kmod_module_insert_module(struct kmod_module *mod, unsigned int flags, const char *options) {
        char rootbuf[PATH_MAX];
        const char *root = sim_root(rootbuf);
        if (!root)
                return REAL(kmod_module_insert_module)(mod, flags, options);
        /* init_module() of a loaded module fails with EEXIST. */
        return sim_insert(root, mod, true, "insert");
}
