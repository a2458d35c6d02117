/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.h"
#include "simtree.h"

const char *const scenario_host =
        "host iommu=on ir=on cpu=intel cpus=2\n"
        "cmdline console=ttyS0 root=/dev/vda rw intel_iommu=on iommu=pt\n"
        "module vfio state=loadable\n"
        "module vfio_iommu_type1 state=loadable deps=vfio\n"
        "module vfio_pci_core state=loadable deps=vfio\n"
        "module vfio_pci state=loadable deps=vfio_pci_core,vfio\n"
        "module pcieportdrv state=builtin\n"
        "driver pcieport module=pcieportdrv classes=060400\n"
        "driver bochs-drm module=bochs ids=1234:1111\n"
        "driver snd_hda_intel module=snd_hda_intel classes=040300/ffff00\n"
        "driver e1000e module=e1000e ids=8086:10d3\n"
        "driver xhci_hcd module=xhci_pci classes=0c0330\n"
        "driver virtio-pci module=virtio_pci ids=1af4:1001\n"
        "driver vfio-pci module=vfio_pci\n"
        "device 0000:00:00.0 id=8086:29c0 class=0x060000 group=0\n"
        "device 0000:00:01.0 id=1234:1111 class=0x030000 group=1 driver=bochs-drm boot_vga=1 "
        "bar0=0xfd000000,16M,pref\n"
        "device 0000:00:02.0 id=1b36:000c class=0x060400 group=2 driver=pcieport\n"
        "device 0000:01:00.0 parent=0000:00:02.0 id=1234:1111 class=0x030000 group=2 driver=bochs-drm boot_vga=0 "
        "reset=bus bar0=0xfc000000,16M,pref\n"
        "device 0000:01:00.1 parent=0000:00:02.0 id=8086:293e class=0x040300 group=2 driver=snd_hda_intel "
        "reset=bus bar0=0xfe800000,16K,mem\n"
        "device 0000:00:03.0 id=8086:10d3 class=0x020000 group=3 driver=e1000e reset=flr\n"
        "device 0000:00:04.0 id=1b36:000d class=0x0c0330 group=4 driver=xhci_hcd reset=bus\n"
        "device 0000:00:05.0 id=1af4:1001 class=0x010000 group=5 driver=virtio-pci\n"
        "block 0000:00:05.0 path=virtio1/block/vda dev=254:0 mount=/ fstype=ext4\n";

char *scenario_root;

void scenario_setup_with(const char *host_description) {
        ck_assert_int_eq(sim_tree_mkdtemp(&scenario_root), 0);
        ck_assert_int_eq(sim_tree_build(scenario_root, host_description), 0);
}

void scenario_setup(void) {
        scenario_setup_with(scenario_host);
}

void scenario_teardown(void) {
        sim_tree_remove(scenario_root);
        free(scenario_root);
        scenario_root = NULL;
}

void scenario_write_file(const char *relative_path, const char *text) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", scenario_root, relative_path);
        char *slash = strrchr(path, '/');
        *slash = 0;
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
        ck_assert_int_eq(system(cmd), 0);
        *slash = '/';
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(path, 0644), 0);
}

void scenario_write_config(const char *text) {
        scenario_write_file("etc/vfio-bind.conf", text);
}

char *scenario_read_file(const char *relative_path) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", scenario_root, relative_path);
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(m);
        fclose(f);
        return buf;
}

static char *slurp_fd(int fd) {
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        char chunk[4096];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                fwrite(chunk, 1, n, m);
        fclose(m);
        return buf;
}

static pid_t tool_start(int *ret_out, int *ret_err, va_list ap) {
        const char *binary = getenv("VFIO_BIND_BINARY");
        const char *preload = getenv("SIM_PRELOAD");
        char *argv[32];
        size_t n = 0;

        ck_assert_ptr_nonnull(binary);
        ck_assert_ptr_nonnull(preload);
        argv[n++] = (char *) binary;
        for (const char *a = va_arg(ap, const char *); a && n < 28; a = va_arg(ap, const char *))
                argv[n++] = (char *) a;
        argv[n++] = (char *) "--root";
        argv[n++] = scenario_root;
        argv[n] = NULL;

        char out_path[] = "/tmp/vfio-bind-out-XXXXXX", err_path[] = "/tmp/vfio-bind-err-XXXXXX";
        int out = mkstemp(out_path), err = mkstemp(err_path);
        ck_assert_int_ge(out, 0);
        ck_assert_int_ge(err, 0);
        unlink(out_path);
        unlink(err_path);

        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(out, STDOUT_FILENO);
                dup2(err, STDERR_FILENO);
                /* SCENARIO_NO_SIM: the tool alone, as a user runs it on a captured tree. */
                if (!getenv("SCENARIO_NO_SIM"))
                        setenv("LD_PRELOAD", preload, 1);
                setenv("VFIO_SIM_ROOT", scenario_root, 1);
                unsetenv("NO_COLOR");
                const char *wrapper = getenv("SCENARIO_WRAPPER");
                if (wrapper && *wrapper) {
                        /* valgrind and friends: the wrapper runs the binary with the simulator preloaded. */
                        char *wargv[48];
                        size_t k = 0;
                        char *copy = strdup(wrapper);
                        for (char *tok = strtok(copy, " "); tok && k < 16; tok = strtok(NULL, " "))
                                wargv[k++] = tok;
                        for (size_t i = 0; i <= n; i++)
                                wargv[k++] = argv[i];
                        execvp(wargv[0], wargv);
                        _exit(127);
                }
                execv(binary, argv);
                _exit(127);
        }
        *ret_out = out;
        *ret_err = err;
        return pid;
}

pid_t scenario_tool_start(int *ret_out_fd, int *ret_err_fd, ...) {
        va_list ap;
        va_start(ap, ret_err_fd);
        pid_t pid = tool_start(ret_out_fd, ret_err_fd, ap);
        va_end(ap);
        return pid;
}

int scenario_tool_finish(pid_t pid, int out, int err, char **ret_stdout, char **ret_stderr) {
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status), "vfio-bind died from a signal");

        lseek(out, 0, SEEK_SET);
        lseek(err, 0, SEEK_SET);
        char *o = slurp_fd(out), *e = slurp_fd(err);
        close(out);
        close(err);
        if (ret_stdout)
                *ret_stdout = o;
        else
                free(o);
        if (ret_stderr)
                *ret_stderr = e;
        else
                free(e);
        return WEXITSTATUS(status);
}

int scenario_tool(char **ret_stdout, char **ret_stderr, ...) {
        int out, err;
        va_list ap;
        va_start(ap, ret_stderr);
        pid_t pid = tool_start(&out, &err, ap);
        va_end(ap);
        return scenario_tool_finish(pid, out, err, ret_stdout, ret_stderr);
}

char *scenario_driver(const char *addr) {
        char *driver = NULL;
        ck_assert_int_eq(sim_device_driver(scenario_root, addr, &driver), 0);
        return driver ? driver : strdup("(none)");
}

char *scenario_override(const char *addr) {
        char *o = NULL;
        ck_assert_int_eq(sim_device_override(scenario_root, addr, &o), 0);
        return o ? o : strdup("(null)");
}

void assert_contains(const char *haystack, const char *needle) {
        ck_assert_msg(haystack && strstr(haystack, needle), "expected to find '%s' in:\n%s", needle,
                      haystack ? haystack : "(null)");
}

void assert_not_contains(const char *haystack, const char *needle) {
        ck_assert_msg(!haystack || !strstr(haystack, needle), "did not expect '%s' in:\n%s", needle, haystack);
}
