/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>

#include "check-run.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "macro.h"

static Config *parse(const char *text) {
        Config *c = NULL;
        ck_assert_int_eq(config_parse_string("/etc/vfio-bind.conf", text, strlen(text), &c), 0);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* The error on LINE must contain NEEDLE. */
static void assert_error(const Config *c, unsigned line, const char *needle) {
        for (size_t i = 0; i < c->n_errors; i++)
                if (c->errors[i].line == line && strstr(c->errors[i].message, needle))
                        return;
        for (size_t i = 0; i < c->n_errors; i++)
                fprintf(stderr, "  line %u: %s\n", c->errors[i].line, c->errors[i].message);
        ck_abort_msg("no error on line %u containing '%s'", line, needle);
}

START_TEST(test_minimal_syntax) {
        _cleanup_config_ Config *c = parse(
                "# one section per device handed to VMs; the section name is the admin's label\n"
                "[gpu]\n"
                "address = 0000:01:00.0     # PCI address; the domain may be omitted (01:00.0)\n"
                "functions = all            # optional: also claim every other function of the slot (01:00.*)\n"
                "expect = 10de:2684         # optional: refuse unless the device at that address is this vendor:device\n"
                "driver = vfio-pci          # optional: VFIO driver to hand it to (variant drivers such as mlx5_vfio_pci)\n"
                "force = no                 # optional: claim even a device the host depends on (root filesystem's controller)\n"
                "\n"
                "[hba]\n"
                "address = 0000:05:00.0\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->n_sections, 2);
        const DeviceSection *gpu = &c->sections[0];
        ck_assert_str_eq(gpu->name, "gpu");
        ck_assert_uint_eq(gpu->n_addresses, 1);
        ck_assert_uint_eq(gpu->addresses[0].bus, 1);
        ck_assert(gpu->all_functions);
        ck_assert(gpu->has_expect);
        ck_assert_uint_eq(gpu->expect_vendor, 0x10de);
        ck_assert_uint_eq(gpu->expect_device, 0x2684);
        ck_assert_str_eq(device_section_driver(gpu), "vfio-pci");
        ck_assert(!gpu->force);
        ck_assert(!gpu->invalid);
        const DeviceSection *hba = &c->sections[1];
        ck_assert_str_eq(hba->name, "hba");
        ck_assert_uint_eq(hba->addresses[0].bus, 5);
        ck_assert(!hba->all_functions);
        ck_assert_str_eq(device_section_driver(hba), "vfio-pci");
        ck_assert_uint_eq(c->timeout_sec, DEFAULT_DEVICE_TIMEOUT_SEC);
        ck_assert_int_eq(c->group_policy, GROUP_POLICY_WARN);
}
END_TEST

START_TEST(test_global_and_lists) {
        _cleanup_config_ Config *c = parse("[global]\n"
                                           "nonviable_group = refuse ; inline comment\n"
                                           "timeout = 5\n"
                                           "[usb]\n"
                                           "address = 03:00.0, 04:00.0\n"
                                           "address = 0000:05:00.0\n"
                                           "  reset_method = bus\n"
                                           "driver = mlx5_vfio_pci\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_int_eq(c->group_policy, GROUP_POLICY_REFUSE);
        ck_assert_uint_eq(c->timeout_sec, 5);
        ck_assert_uint_eq(c->sections[0].n_addresses, 3);
        ck_assert_uint_eq(c->sections[0].address_lines[2], 6);
        ck_assert_str_eq(c->sections[0].reset_method, "bus");
        ck_assert_str_eq(device_section_driver(&c->sections[0]), "mlx5_vfio_pci");
}
END_TEST

START_TEST(test_every_error_reported) {
        _cleanup_config_ Config *c = parse("orphan = 1\n"                 /* 1 */
                                           "[gpu]\n"                      /* 2 */
                                           "address = 0000:01:20.0\n"     /* 3 slot > 1f */
                                           "expect = 10de2684\n"          /* 4 */
                                           "colour = blue\n"              /* 5 */
                                           "force = maybe\n"              /* 6 */
                                           "[nic]\n"                      /* 7 */
                                           "address = 02:00.0\n"          /* 8 */
                                           "this line is junk\n"          /* 9 */
                                           "[hba]\n"                      /* 10 */
                                           "address = 0000:02:00.0\n"     /* 11 duplicate function */
                                           "[empty]\n"                    /* 12 no address */
                                           "[global]\n"                   /* 13 */
                                           "nonviable_group = sometimes\n" /* 14 */
                                           "[nic]\n"                      /* 15 duplicate section */
                                           "address = 06:00.0\n"          /* 16 */
                                           "[x\n");                       /* 17 */
        assert_error(c, 1, "outside of any section");
        assert_error(c, 3, "'0000:01:20.0' is not a PCI address");
        assert_error(c, 4, "expect must be VENDOR:DEVICE");
        assert_error(c, 5, "unknown key 'colour' in [gpu]");
        assert_error(c, 6, "force must be yes or no");
        assert_error(c, 9, "expected 'key = value' or '[section]'");
        assert_error(c, 11, "0000:02:00.0 is already named in [nic] at line 8");
        assert_error(c, 12, "section [empty] has no address");
        assert_error(c, 14, "nonviable_group must be 'warn' or 'refuse'");
        assert_error(c, 15, "section [nic] already defined at line 7");
        assert_error(c, 17, "expected ']'");
        ck_assert_uint_eq(c->n_errors, 11);
        /* A section with an error claims nothing; clean ones stay valid. */
        ck_assert(c->sections[0].invalid);  /* gpu */
        ck_assert(c->sections[1].invalid);  /* nic: junk line inside it */
        ck_assert(c->sections[2].invalid);  /* hba */
        ck_assert(c->sections[3].invalid);  /* empty */
}
END_TEST

START_TEST(test_duplicate_key_and_overlong) {
        char text[600];
        char longname[80];
        memset(longname, 'a', 60);
        longname[60] = 0;
        snprintf(text, sizeof(text),
                 "[gpu]\naddress = 01:00.0\nexpect = 10de:2684\nexpect = 10de:2685\n[%s]\naddress = 02:00.0\n", longname);
        _cleanup_config_ Config *c = parse(text);
        assert_error(c, 4, "key 'expect' given twice");
        assert_error(c, 5, "section name is longer than 50");
        ck_assert_uint_eq(c->n_errors, 2);
}
END_TEST

START_TEST(test_long_lines_and_comments) {
        /* A comment of any length is only a comment, and a long address list is one line. */
        size_t size = 64 * 1024;
        _cleanup_free_ char *text = malloc(size);
        ck_assert_ptr_nonnull(text);
        size_t n = (size_t) snprintf(text, size, "# %05000d\n[nic]\naddress = 03:00.0 # %05000d\n[many]\naddress =", 0, 0);
        for (unsigned i = 0; i < 500; i++)
                n += (size_t) snprintf(text + n, size - n, " 0001:%02x:%02x.%x,", i / 256, (i / 8) % 32, i % 8);
        n += (size_t) snprintf(text + n, size - n, "\n");
        ck_assert_uint_gt(n, 3 * 4096);
        _cleanup_config_ Config *c = parse(text);
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->n_sections, 2);
        ck_assert(!c->sections[0].invalid);
        ck_assert_uint_eq(c->sections[0].n_addresses, 1);
        ck_assert_uint_eq(c->sections[1].n_addresses, 500);
}
END_TEST

START_TEST(test_indented_lines_are_not_continuations) {
        /* inih's multi-line mode would glue an indented line to the previous value. */
        _cleanup_config_ Config *c = parse("[gpu]\n    address = 01:00.0\n    functions = all\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->sections[0].n_addresses, 1);
        ck_assert(c->sections[0].all_functions);
}
END_TEST

START_TEST(test_missing_file_means_nothing_to_do) {
        _cleanup_config_ Config *c = NULL;
        ck_assert_int_eq(config_load("/nonexistent/vfio-bind.conf", &c), 0);
        ck_assert(c->missing);
        ck_assert_uint_eq(c->n_sections, 0);
        ck_assert_uint_eq(c->n_errors, 0);
}
END_TEST

START_TEST(test_world_writable_file_refused) {
        char dir[] = "/tmp/vfio-bind-test-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof(path), "%s/vfio-bind.conf", dir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("[gpu]\naddress = 01:00.0\nsecret-looking line\n", f);
        fclose(f);
        ck_assert_int_eq(chmod(path, 0666), 0);

        _cleanup_config_ Config *c = NULL;
        ck_assert_int_eq(config_load(path, &c), 0);
        ck_assert_uint_eq(c->n_errors, 1);
        ck_assert_uint_eq(c->errors[0].line, 0);
        ck_assert_ptr_nonnull(strstr(c->errors[0].message, "writable by group or others"));
        /* Refused unread: nothing of it is claimed, and nothing of it is quoted. */
        ck_assert_uint_eq(c->n_sections, 0);
        ck_assert_ptr_null(strstr(c->errors[0].message, "secret"));

        ck_assert_int_eq(chmod(path, 0644), 0);
        _cleanup_config_ Config *ok = NULL;
        ck_assert_int_eq(config_load(path, &ok), 0);
        ck_assert_uint_eq(ok->n_errors, 1);
        assert_error(ok, 3, "secret-looking line");
        unlink(path);
        rmdir(dir);
}
END_TEST

/* A tree for the trust check under a temporary ROOT: the tests chown and chmod its directories the way an
 * admin's mistakes would, then resolve paths below it as if it were "/". */
static char tree[] = "/tmp/vfio-bind-trust-XXXXXX";

static void tree_setup(void) {
        strcpy(tree, "/tmp/vfio-bind-trust-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tree));
        ck_assert_int_eq(chmod(tree, 0755), 0);
}

static void tree_teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
        (void) !system(cmd);
}

static const char *tree_path(const char *relative, char buf[static 512]) {
        snprintf(buf, 512, "%s%s", tree, relative);
        return buf;
}

static void tree_mkdir(const char *relative, mode_t mode, uid_t uid, gid_t gid) {
        char buf[512];
        ck_assert_int_eq(mkdir(tree_path(relative, buf), 0700), 0);
        ck_assert_int_eq(chown(buf, uid, gid), 0);
        ck_assert_int_eq(chmod(buf, mode), 0);
}

static void tree_file(const char *relative, const char *text) {
        char buf[512];
        FILE *f = fopen(tree_path(relative, buf), "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(buf, 0644), 0);
}

static void tree_symlink(const char *target, const char *relative, uid_t uid) {
        char buf[512];
        ck_assert_int_eq(symlink(target, tree_path(relative, buf)), 0);
        ck_assert_int_eq(lchown(buf, uid, uid), 0);
}

static Config *load_in_tree(const char *relative) {
        Config *c = NULL;
        ck_assert_int_eq(config_load_at(tree, relative, 0, &c), 0);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* Refused as a whole: one error about the file, no sections, none of its bytes read. */
static void assert_refused(const char *relative, const char *needle) {
        _cleanup_config_ Config *c = load_in_tree(relative);
        ck_assert(!c->missing);
        ck_assert_uint_eq(c->n_sections, 0);
        assert_error(c, 0, needle);
        ck_assert_uint_eq(c->n_errors, 1);
        ck_assert_ptr_null(strstr(c->errors[0].message, "secret"));
}

static void assert_trusted(const char *relative) {
        _cleanup_config_ Config *c = load_in_tree(relative);
        for (size_t i = 0; i < c->n_errors; i++)
                fprintf(stderr, "  line %u: %s\n", c->errors[i].line, c->errors[i].message);
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_uint_eq(c->n_sections, 1);
}

#define REQUIRE_ROOT                                                                          \
        do {                                                                                  \
                if (geteuid() != 0) {                                                         \
                        fprintf(stderr, "%s: needs root to chown; not run\n", __func__);      \
                        return;                                                               \
                }                                                                             \
        } while (0)

START_TEST(test_trust_symlink_resolved) {
        REQUIRE_ROOT;
        tree_mkdir("/etc", 0755, 0, 0);
        tree_mkdir("/home", 0755, 0, 0);
        tree_mkdir("/home/user", 0755, 1000, 1000);
        tree_file("/etc/real.conf", "[gpu]\naddress = 01:00.0\n");
        /* A root-owned target is not enough: the link lives in a directory uid 1000 controls. */
        tree_symlink("/etc/real.conf", "/home/user/vfio-bind.conf", 0);
        assert_refused("/home/user/vfio-bind.conf", "directory " );
        assert_refused("/home/user/vfio-bind.conf", "/home/user is owned by uid 1000");
        /* A link someone else owns, even in a trusted directory. */
        tree_symlink("real.conf", "/etc/theirs.conf", 1000);
        assert_refused("/etc/theirs.conf", "symlink");
        /* Root's own links are followed, relative and absolute, and .. stays inside the root. */
        tree_symlink("real.conf", "/etc/vfio-bind.conf", 0);
        assert_trusted("/etc/vfio-bind.conf");
        tree_symlink("/../../etc/./real.conf", "/etc/absolute.conf", 0);
        assert_trusted("/etc/absolute.conf");
        /* The target's directories count too. */
        tree_file("/home/user/real.conf", "[gpu]\naddress = 01:00.0\n");
        tree_symlink("/home/user/real.conf", "/etc/to-user.conf", 0);
        assert_refused("/etc/to-user.conf", "owned by uid 1000");
}
END_TEST

START_TEST(test_trust_group_writable_parent) {
        REQUIRE_ROOT;
        tree_mkdir("/etc", 0775, 0, 1000);
        tree_file("/etc/vfio-bind.conf", "[gpu]\naddress = 01:00.0\nsecret\n");
        assert_refused("/etc/vfio-bind.conf", "directory ");
        assert_refused("/etc/vfio-bind.conf", "/etc is writable by group or others (mode 0775)");
}
END_TEST

START_TEST(test_trust_world_writable_ancestor) {
        REQUIRE_ROOT;
        tree_mkdir("/srv", 0777, 0, 0);
        tree_mkdir("/srv/a", 0755, 0, 0);
        tree_mkdir("/srv/a/b", 0755, 0, 0);
        tree_file("/srv/a/b/vfio-bind.conf", "[gpu]\naddress = 01:00.0\n");
        assert_refused("/srv/a/b/vfio-bind.conf", "/srv is writable by group or others (mode 0777)");
        /* The same with the sticky bit, like /tmp: others cannot replace root's a. */
        char buf[512];
        ck_assert_int_eq(chmod(tree_path("/srv", buf), 01777), 0);
        assert_trusted("/srv/a/b/vfio-bind.conf");
        /* The root itself is an ancestor too. */
        ck_assert_int_eq(chmod(tree, 0757), 0);
        assert_refused("/srv/a/b/vfio-bind.conf", "is writable by group or others (mode 0757)");
}
END_TEST

START_TEST(test_trust_unreadable_parent_refused) {
        REQUIRE_ROOT;
        tree_mkdir("/locked", 0700, 0, 0);
        tree_file("/locked/vfio-bind.conf", "[gpu]\naddress = 01:00.0\n");
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                /* Someone who cannot look into /locked must not take its contents on trust. */
                Config *c = NULL;
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(3);
                int r = config_load_at(tree, "/locked/vfio-bind.conf", 65534, &c);
                _exit(r == -EACCES && !c ? 0 : 1);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_trust_file_itself) {
        REQUIRE_ROOT;
        char buf[512];
        tree_mkdir("/etc", 0755, 0, 0);
        tree_file("/etc/vfio-bind.conf", "[gpu]\naddress = 01:00.0\nsecret\n");
        ck_assert_int_eq(chown(tree_path("/etc/vfio-bind.conf", buf), 1000, 0), 0);
        assert_refused("/etc/vfio-bind.conf", "file ");
        assert_refused("/etc/vfio-bind.conf", "is owned by uid 1000, not root");
        _cleanup_config_ Config *c = NULL;
        ck_assert_int_eq(config_load_at(tree, "/etc/vfio-bind.conf", 1000, &c), 0);
        ck_assert_uint_eq(c->n_sections, 1);
}
END_TEST

/* Before reading anything the type is known: a FIFO, a device or a directory is refused at once (the
 * test's timeout catches a hang). */
START_TEST(test_not_a_regular_file) {
        char buf[512];
        tree_mkdir("/etc", 0755, 0, 0);
        ck_assert_int_eq(mkfifo(tree_path("/etc/fifo.conf", buf), 0644), 0);
        assert_refused("/etc/fifo.conf", "is a FIFO, not a regular file");
        tree_mkdir("/etc/dir.conf", 0755, 0, 0);
        assert_refused("/etc/dir.conf", "is a directory, not a regular file");

        _cleanup_config_ Config *zero = NULL;
        ck_assert_int_eq(config_load("/dev/zero", &zero), 0);
        ck_assert_uint_eq(zero->n_sections, 0);
        assert_error(zero, 0, "/dev/zero is a character device, not a regular file");

        _cleanup_config_ Config *missing = NULL;
        ck_assert_int_eq(config_load_at(tree, "/etc/nothing/here.conf", 0, &missing), 0);
        ck_assert(missing->missing);
}
END_TEST

START_TEST(test_global_error_voids_the_file) {
        /* A misspelt "refuse" must not quietly become "warn": nothing is claimed until it is fixed. */
        _cleanup_config_ Config *c = parse("[global]\nnonviable_group = refuse_typo\n[gpu]\naddress = 01:00.0\n");
        assert_error(c, 2, "nonviable_group must be 'warn' or 'refuse'");
        ck_assert_uint_eq(c->n_sections, 1);
        ck_assert(c->sections[0].invalid);
        ck_assert_uint_eq(config_count_valid_sections(c), 0);

        _cleanup_config_ Config *later = parse("[gpu]\naddress = 01:00.0\n[global]\ntimeuot = 5\n");
        assert_error(later, 4, "unknown key 'timeuot' in [global]");
        ck_assert(later->sections[0].invalid);

        _cleanup_config_ Config *ok = parse("[global]\ntimeout = 5\n[gpu]\naddress = 01:00.0\n");
        ck_assert_uint_eq(config_count_valid_sections(ok), 1);
}
END_TEST

START_TEST(test_all_functions_sibling_named_twice) {
        _cleanup_config_ Config *c = parse("[gpu]\n"              /* 1 */
                                           "address = 01:00.0\n"  /* 2 */
                                           "functions = all\n"    /* 3 */
                                           "[audio]\n"            /* 4 */
                                           "address = 01:00.1\n"  /* 5 */
                                           "[nic]\n"              /* 6 */
                                           "address = 02:00.1\n"  /* 7 */
                                           "[nic-all]\n"          /* 8 */
                                           "address = 02:00.0\n"  /* 9 */
                                           "functions = all\n"    /* 10 */
                                           "[other]\n"            /* 11 */
                                           "address = 01:01.0\n"); /* 12: another slot */
        assert_error(c, 5, "0000:01:00.1 is already taken by [gpu] with 'functions = all' at line 3");
        assert_error(c, 10, "'functions = all' takes 0000:02:00.1, already named in [nic] at line 7");
        ck_assert_uint_eq(c->n_errors, 2);
        ck_assert(!c->sections[0].invalid);
        ck_assert(c->sections[1].invalid);
        ck_assert(!c->sections[2].invalid);
        ck_assert(c->sections[3].invalid);
        ck_assert(!c->sections[4].invalid);
}
END_TEST

/* Many sections, each its own function, and one duplicate at the very end: correct at scale. */
static void check_many_sections(unsigned n) {
        size_t size = (size_t) n * 64 + 256;
        _cleanup_free_ char *text = malloc(size);
        size_t len = 0;
        ck_assert_ptr_nonnull(text);
        for (unsigned i = 0; i < n; i++)
                len += (size_t) snprintf(text + len, size - len, "[dev%u]\naddress = %04x:%02x:%02x.%x\n", i,
                                         i / 65536, (i / 256) % 256, (i / 8) % 32, i % 8);
        len += (size_t) snprintf(text + len, size - len, "[dev0]\naddress = 0000:00:00.0\n");
        _cleanup_config_ Config *c = parse(text);
        ck_assert_uint_eq(c->n_sections, n + 1);
        ck_assert_uint_eq(c->n_errors, 2);
        assert_error(c, 2 * n + 1, "section [dev0] already defined at line 1");
        assert_error(c, 2 * n + 2, "0000:00:00.0 is already named in [dev0] at line 2");
        ck_assert_uint_eq(config_count_valid_sections(c), n);
        ck_assert_uint_eq(c->sections[n - 1].addresses[0].function, (n - 1) % 8);
}

START_TEST(test_many_sections) {
        check_many_sections(10000);
        check_many_sections(20000);
}
END_TEST

START_TEST(test_reset_method_normalised) {
        _cleanup_config_ Config *c = parse("[a]\naddress = 01:00.0\nreset_method = bus,flr\n"
                                           "[b]\naddress = 02:00.0\nreset_method =  flr ,  pm   bus\n"
                                           "[c]\naddress = 03:00.0\nreset_method = flr,warm\n"
                                           "[d]\naddress = 04:00.0\nreset_method = flr,flr\n"
                                           "[e]\naddress = 05:00.0\nreset_method = ,\n");
        ck_assert_str_eq(c->sections[0].reset_method, "bus flr");
        ck_assert_str_eq(c->sections[1].reset_method, "flr pm bus");
        assert_error(c, 9, "unknown method 'warm'");
        assert_error(c, 12, "'flr' is listed twice");
        assert_error(c, 15, "reset_method needs at least one method");
        ck_assert_uint_eq(c->n_errors, 3);
}
END_TEST

START_TEST(test_driver_only_vfio) {
        _cleanup_config_ Config *c = parse("[a]\naddress = 01:00.0\ndriver = vfio_pci\n"
                                           "[b]\naddress = 02:00.0\ndriver = mlx5_vfio_pci\n"
                                           "[c]\naddress = 03:00.0\ndriver = snd_hda_intel\n"
                                           "[d]\naddress = 04:00.0\ndriver = vfio_pci_core\n"
                                           "[e]\naddress = 05:00.0\ndriver = Evil_vfio_pci\n"
                                           "[f]\naddress = 06:00.0\ndriver = vfio-pci\n");
        ck_assert_str_eq(device_section_driver(&c->sections[0]), "vfio-pci");
        ck_assert_str_eq(device_section_driver(&c->sections[1]), "mlx5_vfio_pci");
        assert_error(c, 9, "driver must be vfio-pci, auto or a VFIO variant driver");
        assert_error(c, 12, "got 'vfio_pci_core'");
        assert_error(c, 15, "got 'Evil_vfio_pci'");
        ck_assert_str_eq(device_section_driver(&c->sections[5]), "vfio-pci");
        ck_assert_uint_eq(c->n_errors, 3);
}
END_TEST

/* auto is kept as written: the driver is chosen per device at run time, from modules.alias. Only the exact
 * lower-case word means it. */
START_TEST(test_driver_auto) {
        _cleanup_config_ Config *c = parse("[a]\naddress = 01:00.0\ndriver = auto\n"
                                           "[b]\naddress = 02:00.0\ndriver = Auto\n"
                                           "[c]\naddress = 03:00.0\n");
        ck_assert_str_eq(device_section_driver(&c->sections[0]), AUTO_VFIO_DRIVER);
        assert_error(c, 6, "got 'Auto'");
        ck_assert_str_eq(device_section_driver(&c->sections[2]), DEFAULT_VFIO_DRIVER);
        ck_assert_uint_eq(c->n_errors, 1);
}
END_TEST

START_TEST(test_hash_tells_files_apart) {
        ck_assert_uint_ne(config_hash_bytes("a", 1), config_hash_bytes("b", 1));
        ck_assert_uint_eq(config_hash_bytes("same", 4), config_hash_bytes("same", 4));
}
END_TEST

START_TEST(test_identity_guards_and_drift) {
        _cleanup_config_ Config *c = parse("[global]\n"
                                           "drift = refuse\n"
                                           "[gpu]\n"
                                           "address = 0000:01:00.0\n"
                                           "subsystem = 1043:889D\n"
                                           "serial = 00-11-22-33-44-55-66-a7\n"
                                           "[hba]\n"
                                           "path = 00:1c.0/0.0\n"
                                           "serial = 0011223344556677\n");
        ck_assert_uint_eq(c->n_errors, 0);
        ck_assert_int_eq(c->drift_policy, DRIFT_POLICY_REFUSE);
        const DeviceSection *gpu = &c->sections[0], *hba = &c->sections[1];
        ck_assert(gpu->has_subsystem);
        ck_assert_uint_eq(gpu->subsystem_vendor, 0x1043);
        ck_assert_uint_eq(gpu->subsystem_device, 0x889d);
        ck_assert(gpu->has_serial);
        ck_assert_uint_eq(gpu->serial, 0x00112233445566a7ULL);
        ck_assert(!gpu->has_path);
        ck_assert(hba->has_path);
        ck_assert_uint_eq(hba->n_addresses, 0);
        ck_assert_uint_eq(hba->path.start.bus, 0);
        ck_assert_uint_eq(hba->path.start.slot, 0x1c);
        ck_assert_uint_eq(hba->path.n_hops, 1);
        ck_assert_uint_eq(hba->path.slot[0], 0);
        ck_assert_uint_eq(hba->serial, 0x0011223344556677ULL);
        char buf[PCI_PATH_MAX], sbuf[PCI_SERIAL_MAX];
        ck_assert_str_eq(pci_path_format(&hba->path, buf), "0000:00:1c.0/00.0");
        ck_assert_str_eq(pci_serial_format(gpu->serial, sbuf), "00-11-22-33-44-55-66-a7");

        _cleanup_config_ Config *d = parse("[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(d->drift_policy, DRIFT_POLICY_WARN);
        ck_assert_int_eq(d->sections[0].vfs, -1);
}
END_TEST

START_TEST(test_identity_errors) {
        _cleanup_config_ Config *c = parse("[global]\n"                      /* 1 */
                                           "drift = maybe\n"                 /* 2 */
                                           "[a]\n"                           /* 3 */
                                           "address = 01:00.0\n"             /* 4 */
                                           "path = 00:01.0/0.0\n"            /* 5 */
                                           "subsystem = 1043-889d\n"         /* 6 */
                                           "serial = 00-11-22\n"             /* 7 */
                                           "[b]\n"                           /* 8 */
                                           "path = 00:01.0/20.0\n"           /* 9 */
                                           "[c]\n"                           /* 10 */
                                           "path = 00:01.0/0.0/\n"           /* 11 */
                                           "[d]\n"                           /* 12 */
                                           "path = 00:1c.0/0.0\n"            /* 13 */
                                           "[e]\n"                           /* 14 */
                                           "path = 0000:00:1c.0/00.0\n"      /* 15 */
                                           "serial = 00-11:22-33-44-55-66-77\n" /* 16 */
                                           "[f]\n"                           /* 17 */
                                           "path = 00:1c.0/0.8\n");          /* 18 */
        assert_error(c, 2, "drift must be 'warn' or 'refuse'");
        assert_error(c, 5, "address and path name the device twice");
        assert_error(c, 6, "subsystem must be VENDOR:DEVICE");
        assert_error(c, 7, "serial must be the Device Serial Number");
        assert_error(c, 9, "not a PCI device path");
        assert_error(c, 11, "not a PCI device path");
        assert_error(c, 15, "already named in [d] at line 13");
        assert_error(c, 16, "serial must be");
        assert_error(c, 18, "not a PCI device path");
        ck_assert_uint_eq(c->n_errors, 9);
}
END_TEST

START_TEST(test_vfs_and_vf_list) {
        _cleanup_config_ Config *c = parse("[nic]\n"
                                           "address = 0000:06:00.0\n"
                                           "vfs = 8\n"
                                           "vf = 6, 0-3\n"
                                           "[nvme]\n"
                                           "path = 00:03.0/00.0\n"
                                           "vfs = 2\n");
        ck_assert_uint_eq(c->n_errors, 0);
        const DeviceSection *nic = &c->sections[0];
        ck_assert_int_eq(nic->vfs, 8);
        ck_assert_uint_eq(nic->n_vf_indexes, 5);
        unsigned want[] = { 0, 1, 2, 3, 6 };
        for (size_t i = 0; i < 5; i++)
                ck_assert_uint_eq(nic->vf_indexes[i], want[i]);
        ck_assert_int_eq(c->sections[1].vfs, 2);
        ck_assert_uint_eq(c->sections[1].n_vf_indexes, 0);

        _cleanup_config_ Config *e = parse("[a]\n"                  /* 1 */
                                           "address = 06:00.0\n"    /* 2 */
                                           "vfs = 0\n"              /* 3 */
                                           "[b]\n"                  /* 4 */
                                           "address = 07:00.0\n"    /* 5 */
                                           "vfs = 4\n"              /* 6 */
                                           "vf = 2,4\n"             /* 7 */
                                           "[c]\n"                  /* 8 */
                                           "address = 08:00.0\n"    /* 9 */
                                           "vf = 1\n"               /* 10 */
                                           "[d]\n"                  /* 11 */
                                           "address = 09:00.0, 09:00.1\n" /* 12 */
                                           "vfs = 2\n"              /* 13 */
                                           "[e]\n"                  /* 14 */
                                           "address = 0a:00.0\n"    /* 15 */
                                           "vfs = 4\n"              /* 16 */
                                           "vf = 1,1\n"             /* 17 */
                                           "[f]\n"                  /* 18 */
                                           "address = 0b:00.0\n"    /* 19 */
                                           "vfs = 4\n"              /* 20 */
                                           "vf = 3-1\n"             /* 21 */
                                           "[g]\n"                  /* 22 */
                                           "address = 0c:00.0\n"    /* 23 */
                                           "vfs = 70000\n");        /* 24 */
        assert_error(e, 3, "vfs must be a number of virtual functions from 1 to 65535");
        assert_error(e, 7, "virtual function 4 does not exist with vfs = 4");
        assert_error(e, 10, "vf picks among the virtual functions vfs = creates");
        assert_error(e, 13, "vfs needs a section naming one function");
        assert_error(e, 17, "virtual function 1 is listed twice");
        assert_error(e, 21, "not a virtual function number or range");
        assert_error(e, 24, "vfs must be a number");
        ck_assert_uint_eq(e->n_errors, 7);
        for (size_t i = 0; i < e->n_sections; i++)
                ck_assert(e->sections[i].invalid);
}
END_TEST

int main(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("parse");
        tcase_add_test(tc, test_minimal_syntax);
        tcase_add_test(tc, test_global_and_lists);
        tcase_add_test(tc, test_every_error_reported);
        tcase_add_test(tc, test_driver_auto);
        tcase_add_test(tc, test_duplicate_key_and_overlong);
        tcase_add_test(tc, test_long_lines_and_comments);
        tcase_add_test(tc, test_indented_lines_are_not_continuations);
        tcase_add_test(tc, test_missing_file_means_nothing_to_do);
        tcase_add_test(tc, test_world_writable_file_refused);
        tcase_add_test(tc, test_hash_tells_files_apart);
        tcase_add_test(tc, test_global_error_voids_the_file);
        tcase_add_test(tc, test_all_functions_sibling_named_twice);
        tcase_add_test(tc, test_many_sections);
        tcase_add_test(tc, test_reset_method_normalised);
        tcase_add_test(tc, test_driver_only_vfio);
        tcase_add_test(tc, test_identity_guards_and_drift);
        tcase_add_test(tc, test_identity_errors);
        tcase_add_test(tc, test_vfs_and_vf_list);
        suite_add_tcase(s, tc);

        TCase *trust = tcase_create("trust");
        tcase_add_checked_fixture(trust, tree_setup, tree_teardown);
        tcase_add_test(trust, test_trust_symlink_resolved);
        tcase_add_test(trust, test_trust_group_writable_parent);
        tcase_add_test(trust, test_trust_world_writable_ancestor);
        tcase_add_test(trust, test_trust_unreadable_parent_refused);
        tcase_add_test(trust, test_trust_file_itself);
        tcase_add_test(trust, test_not_a_regular_file);
        suite_add_tcase(s, trust);
        return check_run_suite(s);
}
