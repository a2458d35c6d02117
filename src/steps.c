/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "steps.h"
#include "fileio.h"
#include "macro.h"
#include "modules.h"
#include "sysroot.h"

int step_unbind(BoundedStep *s, const char *root, const char *name, const char *driver) {
        char path[PATH_MAX], what[BOUNDED_STEP_MAX];
        int r;

        snprintf(what, sizeof(what), "unbinding from %s", driver);
        bounded_step(s, STEP_UNBIND, what);
        r = write_attr(root_path(path, root, "/sys/bus/pci/drivers/%s/unbind", driver), name);
        return r == -ENODEV ? 0 : r;
}

int step_bind(BoundedStep *s, const char *root, const char *name, const char *driver) {
        char path[PATH_MAX], what[BOUNDED_STEP_MAX];

        snprintf(what, sizeof(what), "binding to %s", driver);
        bounded_step(s, STEP_BIND, what);
        return write_attr(root_path(path, root, "/sys/bus/pci/drivers/%s/bind", driver), name);
}

int step_probe(BoundedStep *s, const char *root, const char *name) {
        char path[PATH_MAX];

        bounded_step(s, STEP_PROBE, "asking the kernel to probe host drivers");
        return write_attr(root_path(path, root, "/sys/bus/pci/drivers_probe"), name);
}

int step_load_module(BoundedStep *s, const char *root, const char *module) {
        char what[BOUNDED_STEP_MAX];

        snprintf(what, sizeof(what), "loading module %s", module);
        bounded_step(s, STEP_MODULE, what);
        return module_load(root, module);
}

int step_move(BoundedStep *s, void *userdata) {
        const DriverMove *m = userdata;
        int r;

        if (m->from_driver) {
                r = step_unbind(s, m->root, m->name, m->from_driver);
                if (r < 0)
                        return r;
        }
        return m->to_driver ? step_bind(s, m->root, m->name, m->to_driver) : step_probe(s, m->root, m->name);
}
