/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "boot.h"
#include "bounded.h"
#include "build-config.h"
#include "config.h"
#include "discover.h"
#include "dlopen-libs.h"
#include "engine.h"
#include "explain.h"
#include "fileio.h"
#include "guard.h"
#include "host-facts.h"
#include "initramfs-modules.h"
#include "lock.h"
#include "macro.h"
#include "metrics.h"
#include "network.h"
#include "output.h"
#include "snapshot.h"
#include "state-file.h"
#include "storage.h"
#include "suggest.h"
#include "sysroot.h"
#include "vm-check.h"
#include "vm-config.h"

/* Exit statuses are part of the interface: scripts and fleets key on them. */
enum {
        EXIT_ALL_OK = 0,
        EXIT_DEVICE_PROBLEM = 1,
        EXIT_USAGE_OR_CONFIG = 2,
};

typedef struct Options {
        Verb verb;
        const char *root;
        const char *config;
        bool json;
        bool prometheus; /* --format=prometheus */
        bool dry_run;
        bool quiet;
        bool from_boot; /* snapshot: store the one the root stage took */
        const char *stage;
        const char *kernel; /* modules: the release an initramfs is built for; NULL the running one */
        unsigned budget_sec; /* 0: none given */
        char **addresses;    /* point into argv; guard: its arguments */
        size_t n_addresses;
        ListFilter filter; /* list */
        const char *class_name;
} Options;

static void options_done(Options *o) {
        free(o->addresses);
        *o = (Options){};
}

static void help(FILE *f) {
        fputs("Usage: vfio-bind VERB [OPTIONS]\n"
              "\n"
              "Hand PCI functions named in " CONFIG_FILE " to VFIO drivers, by address.\n"
              "\n"
              "Verbs:\n"
              "  apply [--dry-run]     claim every configured function now\n"
              "  check                 validate the configuration and the host; change nothing\n"
              "  status                show each configured function, its driver, group and verdict\n"
              "  release [ADDRESS...]  give functions back to the host (all configured ones by default)\n"
              "  snapshot [--from-boot] record what each configured function is now; boots compare with it\n"
              "  boot --stage=STAGE    what the initramfs (STAGE=initramfs) and the boot unit (STAGE=root) run\n"
              "  list [--all] [--class NAME] [--group N]\n"
              "                        every PCI function by IOMMU group: ids, driver, what the host uses it for\n"
              "  suggest ADDRESS...    print ready configuration sections for these devices; change nothing\n"
              "  storage               list the PCI functions holding mounted filesystems (for initramfs hooks)\n"
              "  network               list the PCI functions carrying the host's network (for initramfs hooks)\n"
              "  libraries             list the libraries loaded at run time and where from (for initramfs hooks)\n"
              "  modules [--kernel=VERSION]  list the kernel modules the initramfs needs for the configured\n"
              "                        devices, with the reason (for initramfs hooks)\n"
              "  guard proxmox VMID PHASE\n"
              "  guard libvirt DOMAIN OPERATION SUB-OPERATION [EXTRA]  (domain XML on stdin)\n"
              "                        before a VM starts: refuse it unless every device it passes is on a\n"
              "                        VFIO driver in a usable group that nothing else holds\n"
              "\n"
              "Options:\n"
              "  --config FILE   read FILE instead of " CONFIG_FILE "\n"
              "  --root DIR      use DIR/sys, DIR/proc, DIR/dev, DIR/run and DIR" CONFIG_FILE "\n"
              "  --json          machine-readable output (check, status, apply, release, list)\n"
              "  --format=FORMAT text (default), json (as --json), or prometheus (status: metrics for\n"
              "                  node_exporter's textfile collector)\n"
              "  --all           list: every group, also those a VM cannot have\n"
              "  --class NAME    list: the groups with a function of class NAME (display, network, storage, usb...)\n"
              "  --group N       list: IOMMU group N\n"
              "  --dry-run       apply: print the plan, touch nothing\n"
              "  -q, --quiet     print nothing; the exit status tells\n"
              "  --time-budget=SECONDS  stop starting work after SECONDS and report (boot: 50)\n"
              "  -h, --help      this text\n"
              "  --version       the version\n"
              "\n"
              "Exit status: 0 every function is (or can be) on its VFIO driver, 1 one is not,\n"
              "2 invalid configuration or usage.\n",
              f);
}

static int parse_verb(const char *s, Verb *ret) {
        static const struct {
                const char *name;
                Verb verb;
        } verbs[] = {
                { "apply", VERB_APPLY },         { "check", VERB_CHECK },       { "status", VERB_STATUS },
                { "release", VERB_RELEASE },     { "boot", VERB_BOOT },         { "storage", VERB_STORAGE },
                { "libraries", VERB_LIBRARIES }, { "modules", VERB_MODULES },   { "guard", VERB_GUARD },
                { "snapshot", VERB_SNAPSHOT },   { "network", VERB_NETWORK },   { "list", VERB_LIST },
                { "suggest", VERB_SUGGEST },
        };
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(s, verbs[i].name)) {
                        *ret = verbs[i].verb;
                        return 0;
                }
        return -EINVAL;
}

/* One line per library: PURPOSE SONAME PATH, with "-" for a library that cannot be loaded here. The hooks
 * copy the files into the initramfs; the image tests run this inside the image to prove they load there. */
static int list_optional_libraries(void) {
        bool all = true;
        for (OptionalLibrary lib = 0; lib < _OPTIONAL_LIBRARY_MAX; lib++) {
                _cleanup_free_ char *path = NULL;
                if (optional_library_path(lib, &path) < 0)
                        all = false;
                printf("%s %s %s\n", optional_library_purpose(lib), optional_library_soname(lib), path ? path : "-");
        }
        if (fflush(stdout) != 0)
                return EXIT_DEVICE_PROBLEM;
        return all ? EXIT_ALL_OK : EXIT_DEVICE_PROBLEM;
}

/* Options that do not go together, and addresses that are not addresses. */
static int check_options(const Options *o) {
        if (o->dry_run && o->verb != VERB_APPLY) {
                fprintf(stderr, "vfio-bind: --dry-run goes with apply\n");
                return -EINVAL;
        }
        if (o->prometheus && o->verb != VERB_STATUS) {
                fprintf(stderr, "vfio-bind: --format=prometheus goes with status\n");
                return -EINVAL;
        }
        if (o->from_boot && o->verb != VERB_SNAPSHOT) {
                fprintf(stderr, "vfio-bind: --from-boot goes with snapshot\n");
                return -EINVAL;
        }
        if (o->stage && o->verb != VERB_BOOT) {
                fprintf(stderr, "vfio-bind: --stage goes with boot\n");
                return -EINVAL;
        }
        if (o->kernel && o->verb != VERB_MODULES) {
                fprintf(stderr, "vfio-bind: --kernel goes with modules\n");
                return -EINVAL;
        }
        if ((o->filter.all || o->class_name || o->filter.group >= 0) && o->verb != VERB_LIST) {
                fprintf(stderr, "vfio-bind: --all, --class and --group go with list\n");
                return -EINVAL;
        }
        if (o->verb == VERB_SUGGEST && o->n_addresses == 0) {
                fprintf(stderr, "vfio-bind: suggest needs the address of at least one device\n");
                return -EINVAL;
        }
        if (o->verb == VERB_BOOT && (!o->stage || stage_from_string(o->stage) < 0)) {
                fprintf(stderr, "vfio-bind: boot needs --stage=initramfs or --stage=root\n");
                return -EINVAL;
        }
        if (o->verb == VERB_GUARD) {
                bool proxmox = o->n_addresses == 3 && streq(o->addresses[0], "proxmox");
                bool libvirt = (o->n_addresses == 4 || o->n_addresses == 5) && streq(o->addresses[0], "libvirt");
                if (!proxmox && !libvirt) {
                        fprintf(stderr, "vfio-bind: guard takes 'proxmox VMID PHASE' or 'libvirt DOMAIN OPERATION "
                                        "SUB-OPERATION [EXTRA]'\n");
                        return -EINVAL;
                }
                return 0;
        }
        for (size_t i = 0; i < o->n_addresses; i++) {
                PciAddress a;
                if (pci_address_parse(o->addresses[i], &a) < 0) {
                        fprintf(stderr, "vfio-bind: '%s' is not a PCI address (e.g. 0000:01:00.0)\n", o->addresses[i]);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Returns 1 to continue, 0 to exit successfully (help, version), negative on a usage error. */
static int parse_argv(int argc, char **argv, Options *o) {
        enum {
                ARG_CONFIG = 0x100,
                ARG_ROOT,
                ARG_JSON,
                ARG_DRY_RUN,
                ARG_STAGE,
                ARG_VERSION,
                ARG_TIME_BUDGET,
                ARG_KERNEL,
                ARG_FORMAT,
                ARG_FROM_BOOT,
                ARG_ALL,
                ARG_CLASS,
                ARG_GROUP,
        };
        static const struct option options[] = {
                { "config", required_argument, NULL, ARG_CONFIG },
                { "root", required_argument, NULL, ARG_ROOT },
                { "json", no_argument, NULL, ARG_JSON },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "stage", required_argument, NULL, ARG_STAGE },
                { "time-budget", required_argument, NULL, ARG_TIME_BUDGET },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "from-boot", no_argument, NULL, ARG_FROM_BOOT },
                { "all", no_argument, NULL, ARG_ALL },
                { "class", required_argument, NULL, ARG_CLASS },
                { "group", required_argument, NULL, ARG_GROUP },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        bool have_verb = false;
        int c;

        /* Options may come before or after the verb; the first non-option word is the verb. */
        while ((c = getopt_long(argc, argv, "-qh", options, NULL)) >= 0) {
                switch (c) {
                case 1:
                        if (!have_verb) {
                                if (parse_verb(optarg, &o->verb) < 0) {
                                        fprintf(stderr, "vfio-bind: unknown verb '%s'; see 'vfio-bind --help'\n",
                                                optarg);
                                        return -EINVAL;
                                }
                                have_verb = true;
                        } else if (o->verb == VERB_RELEASE || o->verb == VERB_GUARD || o->verb == VERB_SUGGEST) {
                                if (!GREEDY_REALLOC(o->addresses, o->n_addresses + 1))
                                        return -ENOMEM;
                                o->addresses[o->n_addresses++] = optarg;
                        } else {
                                fprintf(stderr, "vfio-bind: unexpected argument '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_CONFIG:
                        o->config = optarg;
                        break;
                case ARG_ROOT:
                        o->root = optarg;
                        break;
                case ARG_JSON:
                        o->json = true;
                        break;
                case ARG_FORMAT:
                        o->json = streq(optarg, "json");
                        o->prometheus = streq(optarg, "prometheus");
                        if (!o->json && !o->prometheus && !streq(optarg, "text")) {
                                fprintf(stderr, "vfio-bind: --format takes text, json or prometheus, got '%s'\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DRY_RUN:
                        o->dry_run = true;
                        break;
                case ARG_STAGE:
                        o->stage = optarg;
                        break;
                case ARG_FROM_BOOT:
                        o->from_boot = true;
                        break;
                case ARG_TIME_BUDGET: {
                        char *end = NULL;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno != 0 || !end || *end || end == optarg || v < 1 || v > MAX_TIME_BUDGET_SEC) {
                                fprintf(stderr, "vfio-bind: --time-budget takes seconds from 1 to %u, got '%s'\n",
                                        MAX_TIME_BUDGET_SEC, optarg);
                                return -EINVAL;
                        }
                        o->budget_sec = (unsigned)v;
                        break;
                }
                case ARG_KERNEL:
                        /* A release names a directory below /lib/modules: one plain component. */
                        if (!*optarg || strchr(optarg, '/') || streq(optarg, ".") || streq(optarg, "..")) {
                                fprintf(stderr, "vfio-bind: --kernel takes a kernel release such as "
                                                "6.1.0-28-amd64, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->kernel = optarg;
                        break;
                case ARG_ALL:
                        o->filter.all = true;
                        break;
                case ARG_CLASS:
                        if (list_class_lookup(optarg, &o->filter.class_value, &o->filter.class_mask) < 0) {
                                fprintf(stderr, "vfio-bind: unknown class '%s'; known: %s\n", optarg,
                                        list_class_names());
                                return -EINVAL;
                        }
                        o->class_name = optarg;
                        o->filter.has_class = true;
                        break;
                case ARG_GROUP: {
                        char *end = NULL;
                        errno = 0;
                        long v = strtol(optarg, &end, 10);
                        if (errno != 0 || !end || *end || end == optarg || v < 0 || v > INT_MAX) {
                                fprintf(stderr, "vfio-bind: --group takes an IOMMU group number, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->filter.group = (int)v;
                        break;
                }
                case 'q':
                        o->quiet = true;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("vfio-bind %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (!have_verb) {
                fprintf(stderr, "vfio-bind: missing verb; see 'vfio-bind --help'\n");
                return -EINVAL;
        }
        return check_options(o) < 0 ? -EINVAL : 1;
}

static bool use_color(void) {
        const char *term = getenv("TERM");
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && streq(term, "dumb"));
}

/* status --format=prometheus: the devices as they are now, and what this boot's records say about them. */
static void print_metrics(const Run *run) {
        _cleanup_state_file_ StateFile early = {}, late = {};
        _cleanup_metrics_context_ MetricsContext m = {};
        char path[PATH_MAX];
        struct stat st;
        uint64_t report_usec = 0;
        bool have_early, have_late;

        have_early = state_file_read(root_path(path, run->root, STATE_FILE_INITRAMFS), &early) >= 0;
        have_late = state_file_read(root_path(path, run->root, STATE_FILE_ROOT), &late) >= 0;
        /* The root stage writes its record right after its report: the record's time is the report's. */
        if (have_late && stat(path, &st) >= 0)
                report_usec = (uint64_t)st.st_mtim.tv_sec * 1000000 + (uint64_t)st.st_mtim.tv_nsec / 1000;
        if (metrics_context_from_state(run, have_early ? &early : NULL, have_late ? &late : NULL, report_usec, &m) < 0) {
                fprintf(stderr, "vfio-bind: %s\n", strerror(ENOMEM));
                return;
        }
        output_prometheus(stdout, run, &m);
}

static int run_verb(const Options *o, const char *root, Config *config) {
        _cleanup_run_ Run run = { .lock_fd = -1 };
        int r, status;

        /* Before the table and on its stream: 'vfio-bind check | less' must show them, in that order. */
        if (!o->quiet && !o->json && !o->prometheus)
                output_config_errors(stdout, config);

        r = run_init(&run, root, config, 0);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot read the host's state: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }

        /* A dry run promises to touch nothing, not even the lock file. */
        if ((o->verb == VERB_APPLY && !o->dry_run) || o->verb == VERB_RELEASE) {
                r = run_lock(&run, lock_timeout_sec(config));
                if (r < 0) {
                        fprintf(stderr, "vfio-bind: cannot take the lock %s/run/vfio-bind/lock: %s\n", root,
                                r == -EWOULDBLOCK ? "another vfio-bind is still running" : strerror(-r));
                        return EXIT_DEVICE_PROBLEM;
                }
        }

        switch (o->verb) {
        case VERB_CHECK:
                r = run_check(&run);
                break;
        case VERB_STATUS:
                r = run_status(&run);
                break;
        case VERB_APPLY:
                r = run_apply(&run, o->dry_run);
                break;
        case VERB_RELEASE:
                r = run_release(&run, o->addresses, o->n_addresses);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                fprintf(stderr, "vfio-bind: %s failed: %s\n", verb_to_string(o->verb), strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        if (o->verb == VERB_CHECK || o->verb == VERB_STATUS) {
                /* The VMs that will use the devices, read from their configuration under the same root. */
                _cleanup_vm_list_ VmList vms = {};
                r = vm_list_load(root, &vms);
                if (r >= 0)
                        r = run_check_vms(&run, &vms);
                if (r < 0)
                        fprintf(stderr, "vfio-bind: cannot check the VM configurations: %s\n", strerror(-r));
        }

        if (!o->quiet) {
                if (o->prometheus)
                        print_metrics(&run);
                else if (o->json)
                        output_json(stdout, &run, o->verb);
                else
                        output_text(stdout, &run, o->verb, use_color());
        }

        status = run_has_unresolved(&run) ? EXIT_DEVICE_PROBLEM : EXIT_ALL_OK;
        for (size_t i = 0; i < run.n_devices; i++)
                if (!device_report_ok(&run.devices[i]))
                        status = EXIT_DEVICE_PROBLEM;
        if (config->n_errors > 0)
                status = EXIT_USAGE_OR_CONFIG;
        return status;
}

static void print_guard_notes(const NoteList *l, const char *vm) {
        for (size_t i = 0; i < l->n; i++) {
                const Note *n = &l->notes[i];
                if (n->severity == SEVERITY_ERROR)
                        fprintf(stderr, "vfio-bind: refusing to start %s: %s\n", vm, n->message);
                else
                        fprintf(stderr, "vfio-bind: warning: %s\n", n->message);
                if (n->fix)
                        fprintf(stderr, "vfio-bind:   fix: %s\n", n->fix);
        }
}

/* A hook's view: the phase decides whether there is anything to check. It never refuses for its own
 * trouble (a file it cannot read): a guard that stops VMs for its own bugs would be switched off. */
static int guard(const Options *o, const char *root, Config *config) {
        _cleanup_run_ Run run = { .lock_fd = -1 };
        _cleanup_vm_list_ VmList vms = {};
        _cleanup_(note_list_done) NoteList notes = {};
        bool proxmox = streq(o->addresses[0], "proxmox");
        char name[128];
        int r;

        if (proxmox) {
                if (!streq(o->addresses[2], "pre-start"))
                        return EXIT_ALL_OK;
                r = vm_list_add_proxmox(&vms, root, o->addresses[1]);
        } else {
                /* libvirt writes the domain XML to every hook: read it whole, whatever the operation. */
                _cleanup_free_ char *xml = NULL;
                size_t size = 0;
                if (isatty(STDIN_FILENO)) {
                        fprintf(stderr, "vfio-bind: guard libvirt reads the domain XML on stdin, as libvirt "
                                        "passes it to hooks\n");
                        return EXIT_USAGE_OR_CONFIG;
                }
                r = read_full_fd(STDIN_FILENO, 16u * 1024u * 1024u, &xml, &size);
                if (r >= 0 && !(streq(o->addresses[2], "prepare") && streq(o->addresses[3], "begin")))
                        return EXIT_ALL_OK;
                if (r >= 0)
                        r = vm_list_add_libvirt_xml(&vms, root, o->addresses[1], "(domain XML on stdin)", xml, size);
        }
        if (r < 0) {
                fprintf(stderr, "vfio-bind: warning: cannot read the configuration of %s %s, not checking it: %s\n",
                        proxmox ? "Proxmox VM" : "libvirt domain", o->addresses[1], strerror(-r));
                return EXIT_ALL_OK;
        }
        for (size_t i = 0; i < vms.n_problems; i++)
                fprintf(stderr, "vfio-bind: warning: %s:%u: %s\n", vms.problems[i].path, vms.problems[i].line,
                        vms.problems[i].message);
        if (vms.n == 0)
                return EXIT_ALL_OK;

        r = run_init(&run, root, config, 0);
        if (r >= 0)
                r = guard_check_vm(&run, &vms.vms[0], &notes);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: warning: cannot check %s: %s\n", o->addresses[1], strerror(-r));
                return EXIT_ALL_OK;
        }
        vm_describe(&vms.vms[0], name, sizeof(name));
        if (!o->quiet)
                print_guard_notes(&notes, name);
        for (size_t i = 0; i < notes.n; i++)
                if (notes.notes[i].severity == SEVERITY_ERROR)
                        return EXIT_DEVICE_PROBLEM;
        return EXIT_ALL_OK;
}

/* What vfio-bind-snapshot.service runs: the snapshot a first good boot took while /var was not writable,
 * stored where boots read it, unless one is there already (the admin's own wins). */
static int store_boot_snapshot(const Options *o, const char *root) {
        _cleanup_snapshot_ Snapshot snap = {};
        char pending[PATH_MAX], path[PATH_MAX];
        int r;

        root_path(pending, root, SNAPSHOT_PENDING);
        root_path(path, root, SNAPSHOT_FILE);
        if (access(path, F_OK) == 0) {
                if (!o->quiet)
                        printf("%s exists already: the boot's snapshot is not needed.\n", path);
                (void) unlink(pending);
                return EXIT_ALL_OK;
        }
        r = snapshot_load_path(pending, &snap, NULL);
        if (r == -ENOENT) {
                if (!o->quiet)
                        printf("The boot took no snapshot (%s does not exist): nothing to store.\n", pending);
                return EXIT_ALL_OK;
        }
        if (r >= 0)
                r = snapshot_save(root, &snap);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot store %s as %s: %s\n", pending, path, strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        (void) unlink(pending);
        if (!o->quiet)
                printf("Stored the snapshot of %zu function%s that this boot took in %s.\n", snap.n,
                       snap.n == 1 ? "" : "s", path);
        return EXIT_ALL_OK;
}

/* The record every boot compares with: taken when the admin says the hardware is as it should be. */
static int take_snapshot(const Options *o, const char *root, Config *config) {
        _cleanup_run_ Run run = { .lock_fd = -1 };
        _cleanup_snapshot_ Snapshot snap = {};
        _cleanup_free_ char *missing = NULL;
        char path[PATH_MAX];
        int r;

        if (!o->quiet)
                output_config_errors(stdout, config);
        if (config->n_errors > 0) {
                fprintf(stderr, "vfio-bind: %s has errors; correct them before taking a snapshot\n", config->path);
                return EXIT_USAGE_OR_CONFIG;
        }
        r = run_init(&run, root, config, 0);
        if (r >= 0)
                r = snapshot_take(&run, &snap, &missing);
        if (r >= 0)
                r = snapshot_save(root, &snap);
        root_path(path, root, SNAPSHOT_FILE);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot write %s: %s\n", path, strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        if (!o->quiet) {
                for (size_t i = 0; i < snap.n; i++)
                        printf("%s [%s] %04x:%04x path %s\n", snap.entries[i].name, snap.entries[i].label,
                               snap.entries[i].vendor, snap.entries[i].device, strna(snap.entries[i].path));
                printf("Recorded %zu function%s in %s; rebuild the initramfs so its stage compares too.\n", snap.n,
                       snap.n == 1 ? "" : "s", path);
        }
        if (missing)
                fprintf(stderr, "vfio-bind: not recorded, no such device: %s\n", missing);
        for (size_t i = 0; i < run.n_unresolved; i++)
                fprintf(stderr, "vfio-bind: not recorded: the path of [%s] leads to no device\n",
                        run.unresolved[i]->name);
        return missing || run_has_unresolved(&run) ? EXIT_DEVICE_PROBLEM : EXIT_ALL_OK;
}

/* Recorded into the initramfs: there, before "/" is mounted, it is the only way to know which controller
 * must not be claimed. */
static int list_storage(const char *root) {
        _cleanup_(storage_done) Storage storage = {};
        int r;

        r = storage_load_mounts(&storage, root);
        if (r >= 0)
                r = storage_write_record(&storage, root, stdout);
        if (r >= 0 && fflush(stdout) != 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot list the storage controllers: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        return EXIT_ALL_OK;
}

/* For the initramfs hooks: one "MODULE REASON" line per module the early stage needs. An invalid section
 * adds nothing (it claims nothing), and neither does a missing file; the hook only adds modules. */
static int list_initramfs_modules(const Options *o, const char *root, const char *config_path) {
        _cleanup_config_ Config *config = NULL;
        _cleanup_(initramfs_modules_done) InitramfsModules modules = {};
        int r;

        r = config_load(config_path, &config);
        if (r >= 0)
                r = initramfs_modules_collect(root, config, o->kernel, &modules);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot list the modules for the initramfs: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        for (size_t i = 0; i < modules.n; i++)
                printf("%s %s\n", modules.items[i].module, modules.items[i].reason);
        if (fflush(stdout) != 0) {
                fprintf(stderr, "vfio-bind: cannot write the module list: %m\n");
                return EXIT_DEVICE_PROBLEM;
        }
        return EXIT_ALL_OK;
}

/* Recorded into the initramfs, like the storage: there the network is not up yet. */
static int list_network(const char *root) {
        _cleanup_(network_done) NetworkFacts network = {};
        int r;

        r = network_load_live(&network, root);
        if (r >= 0)
                r = network_write_record(&network, root, stdout);
        if (r >= 0 && fflush(stdout) != 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot list the network functions: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        return EXIT_ALL_OK;
}

/* Every function by IOMMU group. Needs no configuration; one that is there names the configured functions. */
static int list_functions(const Options *o, const char *root, const Config *config) {
        _cleanup_host_facts_ HostFacts facts = {};
        _cleanup_(discovery_done) Discovery d = {};
        int r;

        r = host_facts_load(root, 0, &facts);
        if (r >= 0)
                r = discovery_load(&d, root, &facts, config);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot list the PCI functions: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        if (!o->quiet) {
                if (o->json)
                        output_list_json(stdout, &d, &o->filter);
                else
                        output_list_text(stdout, &d, &o->filter);
        }
        return fflush(stdout) == 0 ? EXIT_ALL_OK : EXIT_DEVICE_PROBLEM;
}

/* Ready sections for the admin to append, then what check would say with them added: as comments, so that
 * the whole output can go to the configuration file. Writes nothing. */
static int suggest(const Options *o, const char *root, const Config *config) {
        _cleanup_free_ PciAddress *addresses = calloc(o->n_addresses, sizeof(PciAddress));
        _cleanup_free_ char *sections = NULL, *missing = NULL, *text = NULL, *verdict = NULL, *existing = NULL;
        _cleanup_config_ Config *combined = NULL;
        _cleanup_run_ Run run = { .lock_fd = -1 };
        size_t existing_size = 0, verdict_size = 0;
        int r;

        if (!addresses)
                return EXIT_DEVICE_PROBLEM;
        for (size_t i = 0; i < o->n_addresses; i++)
                (void)pci_address_parse(o->addresses[i], &addresses[i]);
        r = suggest_sections(root, config, addresses, o->n_addresses, &sections, &missing);
        if (r == -ENODEV) {
                fprintf(stderr, "vfio-bind: no PCI device at %s; see 'vfio-bind list --all'\n", missing);
                return EXIT_USAGE_OR_CONFIG;
        }
        if (r < 0 || !sections) {
                fprintf(stderr, "vfio-bind: cannot suggest sections: %s\n", strerror(r < 0 ? -r : ENOMEM));
                return EXIT_DEVICE_PROBLEM;
        }
        fputs(sections, stdout);

        if (!config->missing) {
                r = read_full_file(config->path, &existing, &existing_size);
                if (r < 0) {
                        fprintf(stderr, "vfio-bind: cannot read %s: %s\n", config->path, strerror(-r));
                        return EXIT_USAGE_OR_CONFIG;
                }
        }
        if (strdup_printf(&text, "%s\n%s", existing ?: "", sections) < 0)
                return EXIT_DEVICE_PROBLEM;
        r = config_parse_string(config->path, text, strlen(text), &combined);
        if (r >= 0)
                r = run_init(&run, root, combined, 0);
        if (r >= 0)
                r = run_check(&run);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: cannot check the suggestion: %s\n", strerror(-r));
                return EXIT_DEVICE_PROBLEM;
        }
        FILE *m = open_memstream(&verdict, &verdict_size);
        if (!m)
                return EXIT_DEVICE_PROBLEM;
        output_config_errors(m, combined);
        output_text(m, &run, VERB_CHECK, false);
        if (fclose(m) != 0)
                return EXIT_DEVICE_PROBLEM;
        printf("\n# 'vfio-bind check' with these sections added to %s:\n", config->path);
        for (char *line = verdict, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                printf("#%s%.*s\n", (nl ? nl != line : *line != 0) ? " " : "",
                       nl ? (int)(nl - line) : (int)strlen(line), line);
        }
        return fflush(stdout) == 0 ? EXIT_ALL_OK : EXIT_DEVICE_PROBLEM;
}

/* No configuration file: nothing is configured, which is no error. */
static int report_unconfigured(const Options *o, const char *root, Config *config) {
        if (o->json) {
                _cleanup_run_ Run empty = { .lock_fd = -1 };
                (void)run_init(&empty, root, config, 0);
                output_json(stdout, &empty, o->verb);
        } else if (!o->quiet)
                printf("%s does not exist: no devices to claim, nothing to do.\n", config->path);
        return EXIT_ALL_OK;
}

int main(int argc, char **argv) {
        _cleanup_(options_done) Options o = { .filter.group = -1 };
        _cleanup_config_ Config *config = NULL;
        _cleanup_free_ char *root = NULL, *config_path = NULL;
        int r;

        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE_OR_CONFIG : EXIT_ALL_OK;

        /* "" is the real root; a trailing slash would only double up in paths. */
        root = strdup(o.root ? o.root : "");
        if (!root)
                return EXIT_DEVICE_PROBLEM;
        for (size_t n = strlen(root); n > 0 && root[n - 1] == '/'; n--)
                root[n - 1] = 0;

        if (o.config)
                config_path = strdup(o.config);
        else
                (void)strdup_printf(&config_path, "%s%s", root, CONFIG_FILE);
        if (!config_path)
                return EXIT_DEVICE_PROBLEM;

        /* From here on a stop request (systemd's SIGTERM) lets the current step finish and the report out. */
        unsigned budget = o.budget_sec ?: o.verb == VERB_BOOT ? BOOT_TIME_BUDGET_SEC : 0;
        run_budget_start((uint64_t)budget * 1000000);
        /* Only the verbs that change devices finish what they started; the others just stop. */
        if (o.verb == VERB_APPLY || o.verb == VERB_RELEASE || o.verb == VERB_BOOT)
                (void)run_stop_on_signals();

        if (o.verb == VERB_MODULES)
                return list_initramfs_modules(&o, root, config_path);
        if (o.verb == VERB_STORAGE)
                return list_storage(root);
        if (o.verb == VERB_NETWORK)
                return list_network(root);
        if (o.verb == VERB_LIBRARIES)
                return list_optional_libraries();
        if (o.verb == VERB_BOOT)
                return boot_stage(root, config_path, stage_from_string(o.stage));

        r = config_load(config_path, &config);
        if (r < 0) {
                fprintf(stderr, "vfio-bind: %scannot read %s: %s\n", o.verb == VERB_GUARD ? "warning: " : "",
                        config_path, strerror(-r));
                /* A guard steps aside rather than stop VMs over its own configuration. */
                return o.verb == VERB_GUARD ? EXIT_ALL_OK : EXIT_USAGE_OR_CONFIG;
        }
        if (config->missing && o.config) {
                /* Only the default file may be absent (nothing configured); a file named on the command line
                 * that is not there is a mistake in the command. */
                fprintf(stderr, "vfio-bind: cannot read %s: %s\n", config_path, strerror(ENOENT));
                return EXIT_USAGE_OR_CONFIG;
        }
        if (o.verb == VERB_GUARD)
                return guard(&o, root, config);
        if (o.verb == VERB_LIST)
                return list_functions(&o, root, config);
        if (o.verb == VERB_SUGGEST)
                return suggest(&o, root, config);
        if (config->missing && o.verb != VERB_RELEASE && !o.prometheus)
                return report_unconfigured(&o, root, config);
        if (o.verb == VERB_SNAPSHOT)
                return o.from_boot ? store_boot_snapshot(&o, root) : take_snapshot(&o, root, config);
        return run_verb(&o, root, config);
}
