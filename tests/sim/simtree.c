/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host description parser and fake tree builder. The layout written here is
 * what a Linux 6.1 kernel shows; see README.md for the description format. */
#include "simtree.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "sim-util.h"
#include "simtree-internal.h"
#include "simnet.h"

#define RO 0444
#define RW 0644
#define WO 0200

/* PCI resource flags as the kernel prints them in the resource file. */
#define RES_IO        0x40101ULL
#define RES_MEM32     0x40200ULL
#define RES_MEM32PREF 0x42208ULL
#define RES_MEM64     0x140204ULL
#define RES_MEM64PREF 0x14220cULL
#define RES_ROM       0x46200ULL
#define WIN_IO        0x101ULL
#define WIN_MEM       0x200ULL
#define WIN_PREF      0x102201ULL

#define N_RES 13 /* 6 BARs, ROM, 6 SR-IOV BARs: what CONFIG_PCI_IOV kernels print */

typedef struct Res {
        uint64_t start, end, flags;
} Res;

typedef struct Device {
        char addr[24];
        int parent;
        unsigned domain, bus, slot, fn;
        unsigned vendor, device, svendor, sdevice, class, rev;
        int group;
        char *driver, *override, *reset;
        int boot_vga;
        int numa;
        unsigned irq;
        Res res[N_RES];
        Res win[3]; /* bridges: io, mem, prefetchable */
        unsigned sec_bus, sub_bus;
        unsigned sriov_total, sriov_num;
        bool has_dsn;
        unsigned long long dsn; /* PCIe Device Serial Number: config space grows to 4096 bytes */
        int physfn, nvfs;
        bool multifunction;
        char *path;
        int line;
} Device;

typedef struct Driver {
        char *name, *module;
        char *ids, *classes; /* newline separated, state file format */
        int line;
} Driver;

/* A modules.alias line: "alias PATTERN MODULE". */
typedef struct Alias {
        char *pattern, *module;
        int line;
} Alias;

typedef struct Module {
        char *name, *state, *deps;
        int line;
} Module;

typedef struct Block {
        int dev;  /* device index */
        int disk; /* -1 for a disk, else index of its disk in blocks */
        char *path, *name;
        unsigned major, minor;
        char *mount, *fstype;
} Block;

typedef struct Fb {
        char *name, *fbname, *platform;
        uint64_t start, size;
} Fb;

typedef struct Knob {
        char *target, *name, *value;
} Knob;

#define ARRAY(T, n) \
        T *n;       \
        size_t n_##n, alloc_##n

typedef struct Host {
        const char *desc_name;
        bool iommu, ir;
        bool amd;
        char *cpu_model, *release;
        unsigned cpus;
        char *cmdline;
        ARRAY(Device, devs);
        ARRAY(Driver, drvs);
        ARRAY(Module, mods);
        ARRAY(Block, blocks);
        ARRAY(Fb, fbs);
        ARRAY(Knob, knobs);
        ARRAY(char *, mounts);
        ARRAY(Alias, aliases);
        SimNet *net;
} Host;

#define GROW(h, n)                                                                          \
        ({                                                                                  \
                int _r = 0;                                                                 \
                if ((h)->n_##n >= (h)->alloc_##n) {                                         \
                        size_t _a = (h)->alloc_##n ? (h)->alloc_##n * 2 : 16;               \
                        void *_p = realloc((h)->n, _a * sizeof((h)->n[0]));                 \
                        if (!_p)                                                            \
                                _r = -ENOMEM;                                               \
                        else {                                                              \
                                (h)->n = _p;                                                \
                                (h)->alloc_##n = _a;                                        \
                        }                                                                   \
                }                                                                           \
                if (_r == 0) {                                                              \
                        memset(&(h)->n[(h)->n_##n], 0, sizeof((h)->n[0]));                  \
                        (h)->n_##n++;                                                       \
                }                                                                           \
                _r;                                                                         \
        })

static void host_free(Host *h) {
        for (size_t i = 0; i < h->n_devs; i++) {
                free(h->devs[i].driver);
                free(h->devs[i].override);
                free(h->devs[i].reset);
                free(h->devs[i].path);
        }
        for (size_t i = 0; i < h->n_drvs; i++) {
                free(h->drvs[i].name);
                free(h->drvs[i].module);
                free(h->drvs[i].ids);
                free(h->drvs[i].classes);
        }
        for (size_t i = 0; i < h->n_mods; i++) {
                free(h->mods[i].name);
                free(h->mods[i].state);
                free(h->mods[i].deps);
        }
        for (size_t i = 0; i < h->n_blocks; i++) {
                free(h->blocks[i].path);
                free(h->blocks[i].name);
                free(h->blocks[i].mount);
                free(h->blocks[i].fstype);
        }
        for (size_t i = 0; i < h->n_fbs; i++) {
                free(h->fbs[i].name);
                free(h->fbs[i].fbname);
                free(h->fbs[i].platform);
        }
        for (size_t i = 0; i < h->n_knobs; i++) {
                free(h->knobs[i].target);
                free(h->knobs[i].name);
                free(h->knobs[i].value);
        }
        for (size_t i = 0; i < h->n_mounts; i++)
                free(h->mounts[i]);
        for (size_t i = 0; i < h->n_aliases; i++) {
                free(h->aliases[i].pattern);
                free(h->aliases[i].module);
        }
        free(h->aliases);
        sim_net_free(h->net);
        free(h->devs);
        free(h->drvs);
        free(h->mods);
        free(h->blocks);
        free(h->fbs);
        free(h->knobs);
        free(h->mounts);
        free(h->cpu_model);
        free(h->release);
        free(h->cmdline);
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct Parser {
        Host *host;
        int line;
} Parser;

static int perr(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(Parser *p, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s:%d: ", p->host->desc_name, p->line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

#define MAX_TOKENS 64

/* Splits a line in place into words; a word may hold "double quoted" parts
 * (key="EFI VGA"), the quotes are removed. */
static int tokenize(Parser *p, char *s, char **tok, size_t *ret_n) {
        size_t n = 0;
        for (;;) {
                char *w;
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s || *s == '#')
                        break;
                if (n >= MAX_TOKENS)
                        return perr(p, "too many words");
                w = s;
                tok[n++] = w;
                char *o = s;
                bool q = false;
                while (*s && (q || (*s != ' ' && *s != '\t'))) {
                        if (*s == '"') {
                                q = !q;
                                s++;
                                continue;
                        }
                        *o++ = *s++;
                }
                if (q)
                        return perr(p, "unterminated quote");
                if (*s)
                        s++;
                *o = '\0';
                if (o == w && !*s)
                        break;
        }
        *ret_n = n;
        return 0;
}

static int split_kv(Parser *p, char *tok, char **ret_key, char **ret_val) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
                return perr(p, "expected KEY=VALUE, got '%s'", tok);
        *eq = '\0';
        *ret_key = tok;
        *ret_val = eq + 1;
        return 0;
}

static int parse_hex(Parser *p, const char *what, const char *v, unsigned max, unsigned *ret) {
        char *end;
        unsigned long x;
        errno = 0;
        x = strtoul(v, &end, 16);
        if (errno || !*v || *end || x > max)
                return perr(p, "invalid %s '%s'", what, v);
        *ret = (unsigned) x;
        return 0;
}

static int parse_uint(Parser *p, const char *what, const char *v, unsigned *ret) {
        char *end;
        unsigned long x;
        errno = 0;
        x = strtoul(v, &end, 0);
        if (errno || !*v || *end || x > 0xffffffffUL)
                return perr(p, "invalid %s '%s'", what, v);
        *ret = (unsigned) x;
        return 0;
}

static int parse_bool(Parser *p, const char *what, const char *v, bool *ret) {
        if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "yes"))
                *ret = true;
        else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "no"))
                *ret = false;
        else
                return perr(p, "invalid %s '%s' (on/off)", what, v);
        return 0;
}

/* "VVVV:DDDD" */
static int parse_id_pair(Parser *p, const char *what, const char *v, unsigned *ret_a, unsigned *ret_b) {
        char buf[32];
        char *colon;
        int r;
        if (strlen(v) >= sizeof(buf))
                return perr(p, "invalid %s '%s'", what, v);
        strcpy(buf, v);
        colon = strchr(buf, ':');
        if (!colon)
                return perr(p, "invalid %s '%s' (VVVV:DDDD)", what, v);
        *colon = '\0';
        r = parse_hex(p, what, buf, 0xffff, ret_a);
        if (r < 0)
                return r;
        return parse_hex(p, what, colon + 1, 0xffff, ret_b);
}

static int find_device(Host *h, const char *addr) {
        /* Newest first: parents are usually declared just before children. */
        for (size_t i = h->n_devs; i > 0; i--)
                if (!strcmp(h->devs[i - 1].addr, addr))
                        return (int) i - 1;
        return -1;
}

static Driver *find_driver(Host *h, const char *name) {
        for (size_t i = 0; i < h->n_drvs; i++)
                if (!strcmp(h->drvs[i].name, name))
                        return &h->drvs[i];
        return NULL;
}

static Module *find_module(Host *h, const char *name) {
        for (size_t i = 0; i < h->n_mods; i++)
                if (!strcmp(h->mods[i].name, name))
                        return &h->mods[i];
        return NULL;
}

/* "START,SIZE[,TYPE]" with TYPE io, mem (32-bit), mem64, pref (64-bit
 * prefetchable, the default for big BARs is still explicit), pref32, rom. */
static int parse_res(Parser *p, const char *key, const char *v, bool rom, Res *ret) {
        char buf[128], *size, *type;
        uint64_t start, len;
        if (strlen(v) >= sizeof(buf))
                return perr(p, "invalid %s '%s'", key, v);
        strcpy(buf, v);
        size = strchr(buf, ',');
        if (!size)
                return perr(p, "invalid %s '%s' (START,SIZE[,TYPE])", key, v);
        *size++ = '\0';
        type = strchr(size, ',');
        if (type)
                *type++ = '\0';
        if (sim_parse_u64(buf, &start) < 0 || sim_parse_u64(size, &len) < 0 || len == 0)
                return perr(p, "invalid %s '%s'", key, v);
        if (rom)
                ret->flags = RES_ROM;
        else if (!type || !strcmp(type, "mem"))
                ret->flags = RES_MEM32;
        else if (!strcmp(type, "mem64"))
                ret->flags = RES_MEM64;
        else if (!strcmp(type, "pref"))
                ret->flags = RES_MEM64PREF;
        else if (!strcmp(type, "pref32"))
                ret->flags = RES_MEM32PREF;
        else if (!strcmp(type, "io"))
                ret->flags = RES_IO;
        else
                return perr(p, "unknown BAR type '%s' (io, mem, mem64, pref, pref32)", type);
        ret->start = start;
        ret->end = start + len - 1;
        return 0;
}

static int parse_device(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        Device *d;
        bool have_id = false, have_class = false;
        int r;

        if (n < 2 || !sim_is_pci_addr(tok[1]))
                return perr(p, "device: expected a PCI address DDDD:BB:SS.F");
        if (find_device(h, tok[1]) >= 0)
                return perr(p, "device %s declared twice", tok[1]);
        r = GROW(h, devs);
        if (r < 0)
                return r;
        d = &h->devs[h->n_devs - 1];
        snprintf(d->addr, sizeof(d->addr), "%s", tok[1]);
        sscanf(d->addr, "%x:%x:%x.%x", &d->domain, &d->bus, &d->slot, &d->fn);
        d->parent = d->physfn = -1;
        d->group = -1;
        d->boot_vga = -1;
        d->numa = -1;
        d->line = p->line;
        d->irq = 16 + (unsigned) (h->n_devs % 100);

        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "id")) {
                        r = parse_id_pair(p, k, v, &d->vendor, &d->device);
                        have_id = true;
                } else if (!strcmp(k, "subsys"))
                        r = parse_id_pair(p, k, v, &d->svendor, &d->sdevice);
                else if (!strcmp(k, "class")) {
                        r = parse_hex(p, k, v, 0xffffff, &d->class);
                        have_class = true;
                } else if (!strcmp(k, "rev"))
                        r = parse_hex(p, k, v, 0xff, &d->rev);
                else if (!strcmp(k, "parent")) {
                        d->parent = find_device(h, v);
                        if (d->parent < 0)
                                return perr(p, "parent %s is not declared above", v);
                } else if (!strcmp(k, "group")) {
                        unsigned g;
                        r = parse_uint(p, k, v, &g);
                        d->group = (int) g;
                } else if (!strcmp(k, "driver")) {
                        free(d->driver);
                        d->driver = strdup(v);
                } else if (!strcmp(k, "override")) {
                        free(d->override);
                        d->override = strdup(v);
                } else if (!strcmp(k, "boot_vga")) {
                        bool b;
                        r = parse_bool(p, k, v, &b);
                        d->boot_vga = b;
                } else if (!strcmp(k, "reset")) {
                        free(d->reset);
                        d->reset = strdup(v);
                        for (char *c = d->reset; c && *c; c++)
                                if (*c == ',')
                                        *c = ' ';
                } else if (!strcmp(k, "numa")) {
                        char *end;
                        d->numa = (int) strtol(v, &end, 10);
                        if (*end || !*v)
                                return perr(p, "invalid numa '%s'", v);
                } else if (!strcmp(k, "irq"))
                        r = parse_uint(p, k, v, &d->irq);
                else if (!strcmp(k, "sriov_total"))
                        r = parse_uint(p, k, v, &d->sriov_total);
                else if (!strcmp(k, "sriov_num"))
                        r = parse_uint(p, k, v, &d->sriov_num);
                else if (!strcmp(k, "dsn")) {
                        char *end;
                        errno = 0;
                        d->dsn = strtoull(v, &end, 16);
                        if (errno || *end || !*v || strlen(v) != 16)
                                return perr(p, "dsn needs 16 hex digits, got '%s'", v);
                        d->has_dsn = true;
                }
                else if (!strcmp(k, "physfn")) {
                        d->physfn = find_device(h, v);
                        if (d->physfn < 0)
                                return perr(p, "physfn %s is not declared above", v);
                        d->nvfs = h->devs[d->physfn].nvfs++; /* this VF's virtfn index */
                } else if (!strcmp(k, "rom"))
                        r = parse_res(p, k, v, true, &d->res[6]);
                else if (!strncmp(k, "bar", 3) && k[3] >= '0' && k[3] <= '5' && !k[4])
                        r = parse_res(p, k, v, false, &d->res[k[3] - '0']);
                else if (!strncmp(k, "vf_bar", 6) && k[6] >= '0' && k[6] <= '5' && !k[7])
                        r = parse_res(p, k, v, false, &d->res[7 + k[6] - '0']);
                else
                        return perr(p, "device: unknown key '%s'", k);
                if (r < 0)
                        return r;
                if ((!strcmp(k, "driver") && !d->driver) || (!strcmp(k, "override") && !d->override) ||
                    (!strcmp(k, "reset") && !d->reset))
                        return -ENOMEM;
        }
        if (!have_id || !have_class)
                return perr(p, "device %s needs id= and class=", d->addr);
        if (d->boot_vga >= 0 && (d->class >> 8) != 0x0300)
                return perr(p, "boot_vga= is only shown for VGA class 0x0300xx devices");
        if ((d->class >> 8) == 0x0300 && d->boot_vga < 0)
                d->boot_vga = 0;
        if (d->sriov_num > d->sriov_total)
                return perr(p, "sriov_num > sriov_total");
        if (d->parent >= 0) {
                Device *pd = &h->devs[d->parent];
                if ((pd->class >> 8) != 0x0604 && d->physfn < 0)
                        return perr(p, "parent %s is not a PCI bridge (class 0x0604xx)", pd->addr);
        }
        return 0;
}

static char *join_list(const char *v, bool classes, Parser *p, int *ret_r) {
        /* "a,b,c" -> state file lines. */
        _cleanup_free_ char *copy = strdup(v);
        char *out = calloc(1, strlen(v) * 3 + 32), *q = out, *save = NULL;
        *ret_r = 0;
        if (!copy || !out) {
                free(out);
                *ret_r = -ENOMEM;
                return NULL;
        }
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (classes) {
                        unsigned c, m = 0xffffff;
                        char *slash = strchr(t, '/');
                        if (slash)
                                *slash++ = '\0';
                        if (!strncmp(t, "0x", 2))
                                t += 2;
                        if (parse_hex(p, "class", t, 0xffffff, &c) < 0 ||
                            (slash && parse_hex(p, "class mask", slash + (strncmp(slash, "0x", 2) ? 0 : 2), 0xffffff, &m) < 0)) {
                                free(out);
                                *ret_r = -EINVAL;
                                return NULL;
                        }
                        q += sprintf(q, "%06x %06x\n", c, m);
                } else {
                        unsigned a, b;
                        if (parse_id_pair(p, "id", t, &a, &b) < 0) {
                                free(out);
                                *ret_r = -EINVAL;
                                return NULL;
                        }
                        q += sprintf(q, "%04x %04x\n", a, b);
                }
        }
        return out;
}

static char *normalize_module(const char *name) {
        char *s = strdup(name);
        for (char *c = s; c && *c; c++)
                if (*c == '-')
                        *c = '_';
        return s;
}

static int parse_driver(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        Driver *d;
        int r;
        if (n < 2 || strchr(tok[1], '=') || strchr(tok[1], '/'))
                return perr(p, "driver: expected a driver name");
        if (find_driver(h, tok[1]))
                return perr(p, "driver %s declared twice", tok[1]);
        r = GROW(h, drvs);
        if (r < 0)
                return r;
        d = &h->drvs[h->n_drvs - 1];
        d->line = p->line;
        d->name = strdup(tok[1]);
        if (!d->name)
                return -ENOMEM;
        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "module")) {
                        free(d->module);
                        d->module = normalize_module(v);
                        if (!d->module)
                                return -ENOMEM;
                } else if (!strcmp(k, "ids")) {
                        free(d->ids);
                        d->ids = join_list(v, false, p, &r);
                } else if (!strcmp(k, "classes")) {
                        free(d->classes);
                        d->classes = join_list(v, true, p, &r);
                } else
                        return perr(p, "driver: unknown key '%s'", k);
                if (r < 0)
                        return r;
        }
        if (!d->module && !(d->module = normalize_module(d->name)))
                return -ENOMEM;
        return 0;
}

static int parse_alias(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        Alias *a;
        int r;
        if (n != 3 || strchr(tok[2], '='))
                return perr(p, "alias: expected PATTERN MODULE");
        r = GROW(h, aliases);
        if (r < 0)
                return r;
        a = &h->aliases[h->n_aliases - 1];
        a->line = p->line;
        a->pattern = strdup(tok[1]);
        a->module = normalize_module(tok[2]);
        return a->pattern && a->module ? 0 : -ENOMEM;
}

static int parse_module(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        Module *m;
        int r;
        if (n < 2 || strchr(tok[1], '='))
                return perr(p, "module: expected a module name");
        _cleanup_free_ char *name = normalize_module(tok[1]);
        if (!name)
                return -ENOMEM;
        if (find_module(h, name))
                return perr(p, "module %s declared twice", name);
        r = GROW(h, mods);
        if (r < 0)
                return r;
        m = &h->mods[h->n_mods - 1];
        m->line = p->line;
        m->name = TAKE_PTR(name);
        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "state")) {
                        if (strcmp(v, "builtin") && strcmp(v, "live") && strcmp(v, "loadable") && strcmp(v, "missing"))
                                return perr(p, "module state '%s': expected builtin, live, loadable or missing", v);
                        free(m->state);
                        m->state = strdup(v);
                        if (!m->state)
                                return -ENOMEM;
                } else if (!strcmp(k, "deps")) {
                        free(m->deps);
                        m->deps = strdup(v);
                        if (!m->deps)
                                return -ENOMEM;
                        for (char *c = m->deps; *c; c++)
                                if (*c == ',')
                                        *c = ' ';
                                else if (*c == '-')
                                        *c = '_';
                } else if (!strcmp(k, "load_errno")) {
                        Knob *kn;
                        if (sim_errno_from_string(v) < 0)
                                return perr(p, "invalid errno '%s'", v);
                        r = GROW(h, knobs);
                        if (r < 0)
                                return r;
                        kn = &h->knobs[h->n_knobs - 1];
                        kn->target = sim_path("module:%s", m->name);
                        kn->name = strdup("load_errno");
                        kn->value = strdup(v);
                        if (!kn->target || !kn->name || !kn->value)
                                return -ENOMEM;
                } else
                        return perr(p, "module: unknown key '%s'", k);
        }
        if (!m->state)
                return perr(p, "module %s needs state=", m->name);
        return 0;
}

static int parse_block(Parser *p, char **tok, size_t n, bool part) {
        Host *h = p->host;
        Block *b;
        int r, dev = -1, disk = -1;
        if (n < 2)
                return perr(p, "%s: missing argument", tok[0]);
        if (part) {
                for (size_t i = h->n_blocks; i > 0; i--)
                        if (h->blocks[i - 1].disk < 0) {
                                disk = (int) i - 1;
                                break;
                        }
                if (disk < 0)
                        return perr(p, "part: no block line above");
                dev = h->blocks[disk].dev;
        } else {
                dev = find_device(h, tok[1]);
                if (dev < 0)
                        return perr(p, "block: device %s is not declared above", tok[1]);
        }
        r = GROW(h, blocks);
        if (r < 0)
                return r;
        b = &h->blocks[h->n_blocks - 1];
        b->dev = dev;
        b->disk = disk;
        if (part && !(b->name = strdup(tok[1])))
                return -ENOMEM;
        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "path") && !part) {
                        const char *base = strrchr(v, '/');
                        if (v[0] == '/' || strstr(v, ".."))
                                return perr(p, "block path must be relative to the device directory");
                        b->path = strdup(v);
                        b->name = strdup(base ? base + 1 : v);
                        if (!b->path || !b->name)
                                return -ENOMEM;
                } else if (!strcmp(k, "dev")) {
                        if (sscanf(v, "%u:%u", &b->major, &b->minor) != 2)
                                return perr(p, "invalid dev '%s' (MAJ:MIN)", v);
                } else if (!strcmp(k, "mount")) {
                        b->mount = strdup(v);
                        if (!b->mount)
                                return -ENOMEM;
                } else if (!strcmp(k, "fstype")) {
                        b->fstype = strdup(v);
                        if (!b->fstype)
                                return -ENOMEM;
                } else
                        return perr(p, "%s: unknown key '%s'", tok[0], k);
        }
        if (!b->name || (!part && !b->path))
                return perr(p, "block needs path=");
        if (!b->major && !b->minor)
                return perr(p, "%s needs dev=MAJ:MIN", tok[0]);
        if (part) {
                if (strchr(b->name, '/'))
                        return perr(p, "invalid partition name");
                b->path = sim_path("%s/%s", h->blocks[disk].path, b->name);
                if (!b->path)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_fb(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        Fb *f;
        int r;
        if (n < 2 || strchr(tok[1], '='))
                return perr(p, "framebuffer: expected an iomem name (BOOTFB, efifb, vesafb, simpledrm)");
        r = GROW(h, fbs);
        if (r < 0)
                return r;
        f = &h->fbs[h->n_fbs - 1];
        f->name = strdup(tok[1]);
        if (!f->name)
                return -ENOMEM;
        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "start"))
                        r = sim_parse_u64(v, &f->start);
                else if (!strcmp(k, "size"))
                        r = sim_parse_u64(v, &f->size);
                else if (!strcmp(k, "fb")) {
                        f->fbname = strdup(v);
                        r = f->fbname ? 0 : -ENOMEM;
                } else if (!strcmp(k, "platform")) {
                        f->platform = strdup(v);
                        r = f->platform ? 0 : -ENOMEM;
                } else
                        return perr(p, "framebuffer: unknown key '%s'", k);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return perr(p, "invalid %s '%s'", k, v);
        }
        if (!f->size)
                return perr(p, "framebuffer needs start= and size=");
        if (f->fbname && !f->platform) {
                const char *pl = !strcmp(f->fbname, "EFI VGA")    ? "efi-framebuffer.0"
                                 : !strcmp(f->fbname, "VESA VGA") ? "vesa-framebuffer.0"
                                                                  : "simple-framebuffer.0";
                f->platform = strdup(pl);
                if (!f->platform)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_knob(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        int r;
        if (n < 3 || (!sim_is_pci_addr(tok[1]) && strncmp(tok[1], "module:", 7) && strcmp(tok[1], "kernel")))
                return perr(p, "knob: expected TARGET (address, module:NAME or kernel) and NAME=VALUE");
        for (size_t i = 2; i < n; i++) {
                char *k = NULL, *v = NULL;
                Knob *kn;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                r = GROW(h, knobs);
                if (r < 0)
                        return r;
                kn = &h->knobs[h->n_knobs - 1];
                kn->target = strdup(tok[1]);
                kn->name = strdup(k);
                kn->value = strdup(v);
                if (!kn->target || !kn->name || !kn->value)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_host_line(Parser *p, char **tok, size_t n) {
        Host *h = p->host;
        int r = 0;
        for (size_t i = 1; i < n; i++) {
                char *k = NULL, *v = NULL;
                r = split_kv(p, tok[i], &k, &v);
                if (r < 0)
                        return r;
                if (!strcmp(k, "iommu"))
                        r = parse_bool(p, k, v, &h->iommu);
                else if (!strcmp(k, "ir"))
                        r = parse_bool(p, k, v, &h->ir);
                else if (!strcmp(k, "cpu")) {
                        if (!strcmp(v, "intel") || !strcmp(v, "GenuineIntel"))
                                h->amd = false;
                        else if (!strcmp(v, "amd") || !strcmp(v, "AuthenticAMD"))
                                h->amd = true;
                        else
                                return perr(p, "cpu '%s': expected intel or amd", v);
                } else if (!strcmp(k, "cpus")) {
                        r = parse_uint(p, k, v, &h->cpus);
                        if (r == 0 && (h->cpus == 0 || h->cpus > 512))
                                return perr(p, "cpus out of range");
                } else if (!strcmp(k, "release")) {
                        if (strchr(v, '/') || !*v)
                                return perr(p, "invalid release '%s'", v);
                        free(h->release);
                        h->release = strdup(v);
                        if (!h->release)
                                return -ENOMEM;
                } else if (!strcmp(k, "model")) {
                        free(h->cpu_model);
                        h->cpu_model = strdup(v);
                        if (!h->cpu_model)
                                return -ENOMEM;
                } else
                        return perr(p, "host: unknown key '%s'", k);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Rest of the line after the keyword, trimmed. */
static const char *rest_of_line(const char *line, const char *kw) {
        const char *s = line;
        while (*s == ' ' || *s == '\t')
                s++;
        s += strlen(kw);
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

static int parse_description(Host *h, const char *text) {
        Parser p = { .host = h };
        const char *s = text;
        int r;

        h->cpus = 4;
        while (*s) {
                size_t len = strcspn(s, "\n");
                _cleanup_free_ char *line = strndup(s, len), *copy = NULL;
                char *tok[MAX_TOKENS];
                size_t n = 0;

                if (!line)
                        return -ENOMEM;
                s += len + (s[len] == '\n');
                p.line++;
                copy = strdup(line);
                if (!copy)
                        return -ENOMEM;
                r = tokenize(&p, copy, tok, &n);
                if (r < 0)
                        return r;
                if (n == 0)
                        continue;
                if (!strcmp(tok[0], "host"))
                        r = parse_host_line(&p, tok, n);
                else if (!strcmp(tok[0], "cmdline")) {
                        free(h->cmdline);
                        h->cmdline = strdup(rest_of_line(line, "cmdline"));
                        r = h->cmdline ? 0 : -ENOMEM;
                } else if (!strcmp(tok[0], "mount")) {
                        r = GROW(h, mounts);
                        if (r == 0 && !(h->mounts[h->n_mounts - 1] = strdup(rest_of_line(line, "mount"))))
                                r = -ENOMEM;
                } else if (!strcmp(tok[0], "device"))
                        r = parse_device(&p, tok, n);
                else if (!strcmp(tok[0], "driver"))
                        r = parse_driver(&p, tok, n);
                else if (!strcmp(tok[0], "module"))
                        r = parse_module(&p, tok, n);
                else if (!strcmp(tok[0], "alias"))
                        r = parse_alias(&p, tok, n);
                else if (!strcmp(tok[0], "block"))
                        r = parse_block(&p, tok, n, false);
                else if (!strcmp(tok[0], "part"))
                        r = parse_block(&p, tok, n, true);
                else if (!strcmp(tok[0], "framebuffer"))
                        r = parse_fb(&p, tok, n);
                else if (!strcmp(tok[0], "knob"))
                        r = parse_knob(&p, tok, n);
                else if (sim_net_keyword(tok[0])) {
                        char err[256];
                        if (!h->net && !(h->net = sim_net_new()))
                                r = -ENOMEM;
                        else if ((r = sim_net_parse(h->net, tok, n, err, sizeof(err))) == -EINVAL)
                                r = perr(&p, "%s", err);
                }
                else
                        r = perr(&p, "unknown keyword '%s'", tok[0]);
                if (r == -ENOMEM)
                        fprintf(stderr, "%s:%d: out of memory\n", h->desc_name, p.line);
                if (r < 0)
                        return r;
        }

        /* A VFIO variant module registers one PCI driver under its own name, matching no ids: it binds
         * only through driver_override. Give each aliased module that driver unless one is declared. */
        for (size_t i = 0; i < h->n_aliases; i++) {
                const Alias *a = &h->aliases[i];
                bool has_driver = false;
                for (size_t j = 0; j < h->n_drvs && !has_driver; j++)
                        has_driver = !strcmp(h->drvs[j].module, a->module);
                if (!has_driver && !find_module(h, a->module)) {
                        p.line = a->line;
                        return perr(&p, "alias names undeclared module %s", a->module);
                }
                if (has_driver || strncmp(a->pattern, "vfio_pci:", 9))
                        continue;
                r = GROW(h, drvs);
                if (r < 0)
                        return r;
                h->drvs[h->n_drvs - 1].name = strdup(a->module);
                h->drvs[h->n_drvs - 1].module = strdup(a->module);
                h->drvs[h->n_drvs - 1].line = a->line;
                if (!h->drvs[h->n_drvs - 1].name || !h->drvs[h->n_drvs - 1].module)
                        return -ENOMEM;
        }

        /* Every driver's module exists; undeclared ones are plainly loaded. */
        for (size_t i = 0; i < h->n_drvs; i++) {
                if (find_module(h, h->drvs[i].module))
                        continue;
                r = GROW(h, mods);
                if (r < 0)
                        return r;
                h->mods[h->n_mods - 1].name = strdup(h->drvs[i].module);
                h->mods[h->n_mods - 1].state = strdup("live");
                if (!h->mods[h->n_mods - 1].name || !h->mods[h->n_mods - 1].state)
                        return -ENOMEM;
        }
        /* Dependencies must be modules the host knows. */
        for (size_t i = 0; i < h->n_mods; i++) {
                _cleanup_free_ char *deps = h->mods[i].deps ? strdup(h->mods[i].deps) : NULL;
                char *save = NULL;
                p.line = h->mods[i].line;
                if (h->mods[i].deps && !deps)
                        return -ENOMEM;
                for (char *d = deps ? strtok_r(deps, " ", &save) : NULL; d; d = strtok_r(NULL, " ", &save))
                        if (!find_module(h, d))
                                return perr(&p, "module %s depends on undeclared module %s", h->mods[i].name, d);
        }
        /* A device bound at start needs its driver registered at start. */
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                Driver *drv;
                Module *m;
                if (!d->driver)
                        continue;
                p.line = d->line;
                drv = find_driver(h, d->driver);
                if (!drv)
                        return perr(&p, "driver %s is not declared", d->driver);
                m = find_module(h, drv->module);
                if (strcmp(m->state, "builtin") && strcmp(m->state, "live"))
                        return perr(&p, "driver %s is bound but its module %s is %s", d->driver, m->name, m->state);
        }
        return 0;
}

/* ---- building --------------------------------------------------------- */

typedef struct Builder {
        const char *root;
        Host *h;
} Builder;

/* The builder runs with umask 0 (see build()), so modes need no chmod. */
static int vmkfileat(int dfd, const char *name, mode_t mode, const char *fmt, va_list ap) {
        char buf[8192];
        int n = vsnprintf(buf, sizeof(buf), fmt, ap), fd;
        if (n < 0 || (size_t) n >= sizeof(buf))
                return -E2BIG;
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        if (n > 0 && sim_raw_write(fd, buf, (size_t) n) != n) {
                int r = -errno;
                close(fd);
                return r < 0 ? r : -EIO;
        }
        close(fd);
        return 0;
}

static int mkfileat(int dfd, const char *name, mode_t mode, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int mkfileat(int dfd, const char *name, mode_t mode, const char *fmt, ...) {
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = vmkfileat(dfd, name, mode, fmt, ap);
        va_end(ap);
        return r;
}

static int mkfile(const char *dir, const char *name, mode_t mode, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int mkfile(const char *dir, const char *name, mode_t mode, const char *fmt, ...) {
        _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
        va_list ap;
        int r;
        if (dfd < 0)
                return -errno;
        va_start(ap, fmt);
        r = vmkfileat(dfd, name, mode, fmt, ap);
        va_end(ap);
        return r;
}

static int mklink(const char *target, const char *link) {
        int r = sim_symlink_rel(target, link);
        return r == -EEXIST ? 0 : r;
}

static bool module_loaded(Host *h, const char *name) {
        Module *m = find_module(h, name);
        return m && (!strcmp(m->state, "builtin") || !strcmp(m->state, "live"));
}

static const char *host_bridge_name(const Device *d, char *buf, size_t size) {
        snprintf(buf, size, "pci%04x:%02x", d->domain, d->bus);
        return buf;
}

static int top_ancestor(Host *h, int i) {
        while (h->devs[i].parent >= 0)
                i = h->devs[i].parent;
        return i;
}

static void compute_paths_and_windows(Host *h, const char *root, int *r) {
        *r = 0;
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                char hb[32];
                if (d->parent >= 0)
                        d->path = sim_path("%s/%s", h->devs[d->parent].path, d->addr);
                else
                        d->path = sim_path("%s/sys/devices/%s/%s", root, host_bridge_name(d, hb, sizeof(hb)), d->addr);
                if (!d->path) {
                        *r = -ENOMEM;
                        return;
                }
                /* Multi-function: another function in the same slot. */
                for (size_t j = 0; j < h->n_devs; j++)
                        if (j != i && h->devs[j].domain == d->domain && h->devs[j].bus == d->bus &&
                            h->devs[j].slot == d->slot && h->devs[j].physfn < 0 && d->physfn < 0)
                                d->multifunction = true;
        }
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                for (int a = d->parent; a >= 0; a = h->devs[a].parent) {
                        Device *b = &h->devs[a];
                        if (!b->sec_bus || d->bus < b->sec_bus)
                                b->sec_bus = d->bus;
                        if (d->bus > b->sub_bus)
                                b->sub_bus = d->bus;
                        for (int k = 0; k < N_RES; k++) {
                                const Res *res = &d->res[k];
                                int w;
                                if (!res->flags)
                                        continue;
                                w = res->flags == RES_IO ? 0 : (res->flags & 0x2000) ? 2 : 1;
                                if (k == 6)
                                        w = 1;
                                Res *win = &b->win[w];
                                if (!win->flags || res->start < win->start)
                                        win->start = res->start;
                                if (!win->flags || res->end > win->end)
                                        win->end = res->end;
                                win->flags = w == 0 ? WIN_IO : w == 1 ? WIN_MEM : WIN_PREF;
                        }
                }
        }
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                if (d->win[0].flags) {
                        d->win[0].start &= ~0xfffULL;
                        d->win[0].end |= 0xfffULL;
                }
                for (int w = 1; w < 3; w++)
                        if (d->win[w].flags) {
                                d->win[w].start &= ~0xfffffULL;
                                d->win[w].end |= 0xfffffULL;
                        }
        }
}

static bool is_bridge(const Device *d) {
        return (d->class >> 8) == 0x0604;
}

static int build_config(Builder *b, Device *d) {
        unsigned char c[4096] = { 0 };
        _cleanup_free_ char *path = sim_path("%s/config", d->path);
#define PUT16(o, v) (c[o] = (unsigned char) ((v) & 0xff), c[(o) + 1] = (unsigned char) (((v) >> 8) & 0xff))
#define PUT32(o, v) (PUT16(o, (v) & 0xffff), PUT16((o) + 2, ((v) >> 16) & 0xffff))
        if (!path)
                return -ENOMEM;
        PUT16(0, d->vendor);
        PUT16(2, d->device);
        PUT16(4, d->driver ? 0x0406 : 0x0000);
        c[8] = (unsigned char) d->rev;
        c[9] = (unsigned char) (d->class & 0xff);
        c[10] = (unsigned char) ((d->class >> 8) & 0xff);
        c[11] = (unsigned char) ((d->class >> 16) & 0xff);
        c[14] = (unsigned char) ((is_bridge(d) ? 1 : 0) | (d->multifunction ? 0x80 : 0));
        for (int k = 0; k < (is_bridge(d) ? 2 : 6); k++) {
                const Res *res = &d->res[k];
                if (!res->flags)
                        continue;
                uint32_t lo = (uint32_t) res->start;
                if (res->flags == RES_IO)
                        lo |= 1;
                else
                        lo |= (uint32_t) (res->flags & 0xf);
                PUT32(0x10 + 4 * k, lo);
                if ((res->flags & 0x100000) && k < 5) {
                        PUT32(0x10 + 4 * (k + 1), (uint32_t) (res->start >> 32));
                        k++;
                }
        }
        if (is_bridge(d)) {
                c[0x18] = (unsigned char) d->bus;
                c[0x19] = (unsigned char) d->sec_bus;
                c[0x1a] = (unsigned char) d->sub_bus;
        } else {
                PUT16(0x2c, d->svendor);
                PUT16(0x2e, d->sdevice);
        }
        c[0x3c] = (unsigned char) d->irq;
        c[0x3d] = 1;
        if (d->has_dsn) {
                /* Extended capability 0x0003, version 1, last in the list; serial low dword first. */
                PUT32(0x100, 0x00010003u);
                PUT32(0x104, (uint32_t) (d->dsn & 0xffffffffu));
                PUT32(0x108, (uint32_t) (d->dsn >> 32));
        }
#undef PUT16
#undef PUT32
        /* Conventional devices show 256 bytes; one with an extended capability all 4096. */
        return sim_write_file(path, c, d->has_dsn ? sizeof(c) : 256, RW);
}

static int build_device(Builder *b, size_t idx) {
        Host *h = b->h;
        Device *d = &h->devs[idx];
        char buf[2048], *q;
        int r = 0;

        /* Parents are built first: one mkdir is enough. */
        if (mkdir(d->path, 0755) < 0 && (errno != ENOENT || (r = sim_mkdir_p(d->path, 0755)) < 0))
                return errno == ENOENT ? r : -errno;
        _cleanup_close_ int dfd = open(d->path, O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

#define F(name, mode, ...)                                 \
        do {                                               \
                r = mkfileat(dfd, name, mode, __VA_ARGS__); \
                if (r < 0)                                 \
                        return r;                          \
        } while (0)

        F("vendor", RO, "0x%04x\n", d->vendor);
        F("device", RO, "0x%04x\n", d->device);
        F("subsystem_vendor", RO, "0x%04x\n", d->svendor);
        F("subsystem_device", RO, "0x%04x\n", d->sdevice);
        F("class", RO, "0x%06x\n", d->class);
        F("revision", RO, "0x%02x\n", d->rev);
        F("driver_override", RW, "%s\n", d->override ?: "(null)");
        snprintf(buf, sizeof(buf), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor, d->device, d->svendor,
                 d->sdevice, (d->class >> 16) & 0xff, (d->class >> 8) & 0xff, d->class & 0xff);
        F("modalias", RO, "%s\n", buf);
        F("uevent", RW, "%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\nMODALIAS=%s\n",
          d->driver ? "DRIVER=" : "", d->driver ?: "", d->driver ? "\n" : "", d->class, d->vendor, d->device,
          d->svendor, d->sdevice, d->addr, buf);
        F("numa_node", RW, "%d\n", d->numa);
        F("enable", RW, "%d\n", d->driver ? 1 : 0);
        F("irq", RO, "%u\n", d->irq);
        F("local_cpulist", RO, "0-%u\n", h->cpus - 1);
        F("d3cold_allowed", RW, "1\n");
        F("remove", WO, "%s", "");
        q = buf;
        for (int k = 0; k < N_RES + (is_bridge(d) ? 4 : 0); k++) {
                const Res *res = k < N_RES ? &d->res[k] : (k - N_RES < 3 ? &d->win[k - N_RES] : NULL);
                if (res && res->flags)
                        q += sprintf(q, "0x%016llx 0x%016llx 0x%016llx\n", (unsigned long long) res->start,
                                     (unsigned long long) res->end, (unsigned long long) res->flags);
                else
                        q = stpcpy(q, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
        }
        F("resource", RO, "%s", buf);
        if (d->boot_vga >= 0)
                F("boot_vga", RO, "%d\n", d->boot_vga);
        if (d->reset && *d->reset) {
                F("reset_method", RW, "%s\n", d->reset);
                F("reset", WO, "%s", "");
        }
        if (is_bridge(d)) {
                F("secondary_bus_number", RO, "%u\n", d->sec_bus);
                F("subordinate_bus_number", RO, "%u\n", d->sub_bus);
        }
        if (d->sriov_total) {
                F("sriov_totalvfs", RO, "%u\n", d->sriov_total);
                F("sriov_numvfs", RW, "%u\n", d->sriov_num);
                F("sriov_drivers_autoprobe", RW, "1\n");
                F("sriov_offset", RO, "128\n");
                F("sriov_stride", RO, "2\n");
                F("sriov_vf_total_msix", RO, "0\n");
        }
#undef F
        r = build_config(b, d);
        if (r < 0)
                return r;

        /* Links: subsystem, bus entry, IOMMU group, driver, SR-IOV. */
        {
                _cleanup_free_ char *bus = sim_path("%s/sys/bus/pci", b->root), *l1 = sim_path("%s/subsystem", d->path),
                                    *l2 = sim_path("%s/sys/bus/pci/devices/%s", b->root, d->addr);
                if (!bus || !l1 || !l2)
                        return -ENOMEM;
                if ((r = mklink(bus, l1)) < 0 || (r = mklink(d->path, l2)) < 0)
                        return r;
        }
        if (h->iommu && d->group >= 0) {
                _cleanup_free_ char *g = sim_path("%s/sys/kernel/iommu_groups/%d", b->root, d->group),
                                    *gd = sim_path("%s/sys/kernel/iommu_groups/%d/devices", b->root, d->group),
                                    *gl = sim_path("%s/sys/kernel/iommu_groups/%d/devices/%s", b->root, d->group, d->addr),
                                    *l = sim_path("%s/iommu_group", d->path), *il = sim_path("%s/iommu", d->path),
                                    *iommu = h->amd ? sim_path("%s/sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0", b->root)
                                                    : sim_path("%s/sys/devices/virtual/iommu/dmar0", b->root);
                if (!g || !gd || !gl || !l || !il || !iommu)
                        return -ENOMEM;
                if (!sim_exists(gd)) {
                        if ((r = sim_mkdir_p(gd, 0755)) < 0 || (r = mkfile(g, "type", RW, "DMA\n")) < 0 ||
                            (r = mkfile(g, "reserved_regions", RO, "0x00000000fee00000 0x00000000feefffff msi\n")) < 0)
                                return r;
                }
                if ((r = mklink(d->path, gl)) < 0 || (r = mklink(g, l)) < 0 || (r = mklink(iommu, il)) < 0)
                        return r;
        }
        if (d->driver) {
                _cleanup_free_ char *drv = sim_path("%s/sys/bus/pci/drivers/%s", b->root, d->driver),
                                    *l = sim_path("%s/driver", d->path),
                                    *dl = sim_path("%s/sys/bus/pci/drivers/%s/%s", b->root, d->driver, d->addr);
                if (!drv || !l || !dl)
                        return -ENOMEM;
                if ((r = mklink(drv, l)) < 0 || (r = mklink(d->path, dl)) < 0)
                        return r;
        }
        if (d->physfn >= 0) {
                Device *pf = &h->devs[d->physfn];
                _cleanup_free_ char *l = sim_path("%s/physfn", d->path), *vl = sim_path("%s/virtfn%d", pf->path, d->nvfs);
                if (!l || !vl)
                        return -ENOMEM;
                if ((r = mklink(pf->path, l)) < 0 || (r = mklink(d->path, vl)) < 0)
                        return r;
        }
        if (is_bridge(d) && d->sec_bus) {
                _cleanup_free_ char *pb = sim_path("%s/pci_bus/%04x:%02x", d->path, d->domain, d->sec_bus);
                if (!pb)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(pb, 0755)) < 0 || (r = mkfile(pb, "cpuaffinity", RO, "ff\n")) < 0)
                        return r;
        }
        return 0;
}

static int build_drivers_and_modules(Builder *b) {
        Host *h = b->h;
        _cleanup_free_ char *order = NULL;
        size_t olen = 0;
        int r;

        order = calloc(1, 1);
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_mods; i++) {
                Module *m = &h->mods[i];
                _cleanup_free_ char *sp = sim_path("%s/" SIM_MODULES_DIR "/%s", b->root, m->name),
                                    *md = sim_path("%s/sys/module/%s", b->root, m->name),
                                    *pd = sim_path("%s/sys/module/%s/parameters", b->root, m->name),
                                    *hd = sim_path("%s/sys/module/%s/holders", b->root, m->name);
                if (!sp || !md || !pd || !hd)
                        return -ENOMEM;
                if ((r = sim_write_strf(sp, RW, "%s\ndeps %s\n", m->state, m->deps ?: "")) < 0)
                        return r;
                if (!module_loaded(h, m->name))
                        continue;
                if ((r = sim_mkdir_p(pd, 0755)) < 0)
                        return r;
                if (!strcmp(m->state, "live")) {
                        if ((r = sim_mkdir_p(hd, 0755)) < 0 || (r = mkfile(md, "initstate", RO, "live\n")) < 0 ||
                            (r = mkfile(md, "refcnt", RO, "0\n")) < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < h->n_drvs; i++) {
                Driver *d = &h->drvs[i];
                _cleanup_free_ char *sd = sim_path("%s/" SIM_DRIVERS_DIR "/%s", b->root, d->name);
                if (!sd)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(sd, 0755)) < 0 || (r = mkfile(sd, "module", RW, "%s\n", d->module)) < 0 ||
                    (r = mkfile(sd, "ids", RW, "%s", d->ids ?: "")) < 0 ||
                    (r = mkfile(sd, "classes", RW, "%s", d->classes ?: "")) < 0 ||
                    (r = mkfile(sd, "dynids", RW, "%s", "")) < 0)
                        return r;
                if (!module_loaded(h, d->module))
                        continue;
                _cleanup_free_ char *dd = sim_path("%s/sys/bus/pci/drivers/%s", b->root, d->name),
                                    *ml = sim_path("%s/sys/bus/pci/drivers/%s/module", b->root, d->name),
                                    *mt = sim_path("%s/sys/module/%s", b->root, d->module),
                                    *mdl = sim_path("%s/sys/module/%s/drivers/pci:%s", b->root, d->module, d->name);
                if (!dd || !ml || !mt || !mdl)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(dd, 0755)) < 0 || (r = mkfile(dd, "bind", WO, "%s", "")) < 0 ||
                    (r = mkfile(dd, "unbind", WO, "%s", "")) < 0 || (r = mkfile(dd, "new_id", WO, "%s", "")) < 0 ||
                    (r = mkfile(dd, "remove_id", WO, "%s", "")) < 0 || (r = mkfile(dd, "uevent", WO, "%s", "")) < 0 ||
                    (r = mklink(mt, ml)) < 0 || (r = sim_mkdir_parents(mdl, 0755)) < 0 || (r = mklink(dd, mdl)) < 0)
                        return r;
                char *n = realloc(order, olen + strlen(d->name) + 2);
                if (!n)
                        return -ENOMEM;
                order = n;
                olen += (size_t) sprintf(order + olen, "%s\n", d->name);
        }
        _cleanup_free_ char *op = sim_path("%s/" SIM_DRIVERS_ORDER, b->root);
        if (!op)
                return -ENOMEM;
        return sim_write_str(op, order, RW);
}

/* ---- /proc ------------------------------------------------------------ */

typedef struct IomemEntry {
        uint64_t start, end;
        char name[48];
} IomemEntry;

static int iomem_cmp(const void *a, const void *b) {
        const IomemEntry *x = a, *y = b;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1;
        return 0;
}

static int build_iomem(Builder *b) {
        Host *h = b->h;
        size_t cap = 16 + h->n_devs * 10 + h->n_fbs, n = 0;
        _cleanup_free_ IomemEntry *e = calloc(cap, sizeof(IomemEntry));
        _cleanup_free_ char *path = sim_path("%s/proc/iomem", b->root), *out = NULL;
        size_t depth_stack = 0;
        uint64_t stack[64];
        char *q;

        if (!e || !path)
                return -ENOMEM;
#define ADD(s, en, ...)                                                     \
        do {                                                                \
                e[n].start = (s);                                           \
                e[n].end = (en);                                            \
                snprintf(e[n].name, sizeof(e[n].name), __VA_ARGS__);        \
                n++;                                                        \
        } while (0)
        ADD(0x0, 0xfff, "Reserved");
        ADD(0x1000, 0x9efff, "System RAM");
        ADD(0x100000, 0x5fffffffULL, "System RAM");
        ADD(0xfed00000ULL, 0xfed003ffULL, "HPET 0");
        ADD(0xfee00000ULL, 0xfee00fffULL, "Local APIC");
        ADD(0x100000000ULL, 0x87fffffffULL, "System RAM");
        /* Root bus windows: one below and one above 4 GiB per host bridge. */
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                if (d->parent >= 0)
                        continue;
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        if (h->devs[j].parent < 0 && h->devs[j].domain == d->domain && h->devs[j].bus == d->bus)
                                seen = true;
                if (seen)
                        continue;
                uint64_t lo[2] = { UINT64_MAX, UINT64_MAX }, hi[2] = { 0, 0 };
                for (size_t j = 0; j < h->n_devs; j++) {
                        Device *t = &h->devs[top_ancestor(h, (int) j)];
                        if (t->domain != d->domain || t->bus != d->bus)
                                continue;
                        for (int k = 0; k < N_RES; k++) {
                                const Res *res = &h->devs[j].res[k];
                                if (!res->flags || res->flags == RES_IO)
                                        continue;
                                int w = res->start >= 0x100000000ULL;
                                if (res->start < lo[w])
                                        lo[w] = res->start;
                                if (res->end > hi[w])
                                        hi[w] = res->end;
                        }
                }
                for (int w = 0; w < 2; w++)
                        if (lo[w] != UINT64_MAX)
                                ADD(lo[w] & ~0xfffffffULL, hi[w] | 0xfffffffULL, "PCI Bus %04x:%02x", d->domain, d->bus);
        }
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                for (int w = 1; w < 3; w++)
                        if (d->win[w].flags)
                                ADD(d->win[w].start, d->win[w].end, "PCI Bus %04x:%02x", d->domain, d->sec_bus);
                for (int k = 0; k < N_RES; k++)
                        if (d->res[k].flags && d->res[k].flags != RES_IO)
                                ADD(d->res[k].start, d->res[k].end, "%s", d->addr);
        }
        for (size_t i = 0; i < h->n_fbs; i++)
                ADD(h->fbs[i].start, h->fbs[i].start + h->fbs[i].size - 1, "%s", h->fbs[i].name);
#undef ADD
        qsort(e, n, sizeof(e[0]), iomem_cmp);
        out = malloc(n * 96 + 1);
        if (!out)
                return -ENOMEM;
        q = out;
        *q = '\0';
        for (size_t i = 0; i < n; i++) {
                while (depth_stack > 0 && stack[depth_stack - 1] < e[i].start)
                        depth_stack--;
                for (size_t k = 0; k < depth_stack; k++)
                        q = stpcpy(q, "  ");
                q += sprintf(q, "%08llx-%08llx : %s\n", (unsigned long long) e[i].start,
                             (unsigned long long) e[i].end, e[i].name);
                if (depth_stack < 64)
                        stack[depth_stack++] = e[i].end;
        }
        return sim_write_str(path, out, RO);
}

static int build_interrupts(Builder *b) {
        Host *h = b->h;
        _cleanup_free_ char *path = sim_path("%s/proc/interrupts", b->root);
        size_t cap = (h->n_devs + 16) * (h->cpus * 11 + 64) + 1024;
        _cleanup_free_ char *out = malloc(cap);
        const char *ioapic = h->ir ? "IR-IO-APIC" : "IO-APIC", *msi = h->ir ? "IR-PCI-MSI" : "PCI-MSI";
        unsigned irq = 120;
        char *q;

        if (!path || !out)
                return -ENOMEM;
        q = out;
        q += sprintf(q, "    ");
        for (unsigned c = 0; c < h->cpus; c++)
                q += sprintf(q, "       CPU%-3u", c);
        q = stpcpy(q, "\n");
#define LINE(label, chip, what)                                        \
        do {                                                           \
                q += sprintf(q, "%4s:", label);                       \
                for (unsigned c = 0; c < h->cpus; c++)                 \
                        q += sprintf(q, " %10u", c == 0 ? 17u : 0u);   \
                q += sprintf(q, "  %-10s %s\n", chip, what);           \
        } while (0)
        LINE("0", ioapic, "   2-edge      timer");
        LINE("8", ioapic, "   8-edge      rtc0");
        LINE("9", ioapic, "   9-fasteoi   acpi");
        if (h->iommu && !h->amd)
                LINE("119", "DMAR-MSI", "   0-edge      dmar0");
        if (h->iommu && h->amd)
                LINE("119", "PCI-MSI", "   2-edge      AMD-Vi");
        for (size_t i = 0; i < h->n_devs; i++) {
                Device *d = &h->devs[i];
                char label[16], what[96];
                if (!d->driver)
                        continue;
                unsigned long hw = ((unsigned long) ((d->bus << 8) | (d->slot << 3) | d->fn) << 11) |
                                   ((unsigned long) d->domain << 27);
                snprintf(label, sizeof(label), "%u", irq++);
                snprintf(what, sizeof(what), "%lu-edge      %s", hw,
                         !strcmp(d->driver, "pcieport") ? "PCIe PME" : d->driver);
                LINE(label, msi, what);
        }
#undef LINE
        q += sprintf(q, " NMI:");
        for (unsigned c = 0; c < h->cpus; c++)
                q += sprintf(q, " %10u", 3u);
        q = stpcpy(q, "   Non-maskable interrupts\n ERR:          0\n MIS:          0\n");
        return sim_write_str(path, out, RO);
}

static int build_cpuinfo(Builder *b) {
        Host *h = b->h;
        _cleanup_free_ char *path = sim_path("%s/proc/cpuinfo", b->root), *out = malloc(h->cpus * 1024 + 1);
        const char *model = h->cpu_model ?: (h->amd ? "AMD Ryzen 9 7950X 16-Core Processor"
                                                    : "13th Gen Intel(R) Core(TM) i7-13700K");
        char *q;
        if (!path || !out)
                return -ENOMEM;
        q = out;
        for (unsigned c = 0; c < h->cpus; c++)
                q += sprintf(q,
                             "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                             "model name\t: %s\nstepping\t: 1\nmicrocode\t: 0x11d\ncpu MHz\t\t: 3400.000\n"
                             "cache size\t: 30720 KB\nphysical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
                             "cpu cores\t: %u\napicid\t\t: %u\nfpu\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce "
                             "cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx "
                             "lm constant_tsc rep_good nopl xtopology cpuid pni pclmulqdq %s ssse3 fma cx16 "
                             "sse4_1 sse4_2 x2apic popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm "
                             "avx2\nbogomips\t: 6800.00\naddress sizes\t: 46 bits physical, 48 bits virtual\n\n",
                             c, h->amd ? "AuthenticAMD" : "GenuineIntel", h->amd ? 25u : 6u, h->amd ? 97u : 183u,
                             model, h->cpus, c, h->cpus, c, h->amd ? "svm" : "vmx");
        return sim_write_str(path, out, RO);
}

static int build_mountinfo(Builder *b) {
        Host *h = b->h;
        _cleanup_free_ char *path = sim_path("%s/proc/self/mountinfo", b->root), *out = NULL;
        size_t cap = 4096 + h->n_blocks * 256 + h->n_mounts * 512;
        const Block *rootb = NULL;
        unsigned id = 27;
        char *q;

        if (!path || !(out = malloc(cap)))
                return -ENOMEM;
        for (size_t i = 0; i < h->n_blocks; i++)
                if (h->blocks[i].mount && !strcmp(h->blocks[i].mount, "/"))
                        rootb = &h->blocks[i];
        q = out;
        q = stpcpy(q, "21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                      "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n"
                      "23 26 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev "
                      "rw,size=16315344k,nr_inodes=4078836,mode=755,inode64\n"
                      "24 23 0:22 / /dev/pts rw,nosuid,noexec,relatime shared:3 - devpts devpts "
                      "rw,gid=5,mode=620,ptmxmode=000\n"
                      "25 26 0:23 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs "
                      "rw,size=3268264k,mode=755,inode64\n");
        if (rootb)
                q += sprintf(q, "26 1 %u:%u / / rw,relatime shared:1 - %s /dev/%s rw,errors=remount-ro\n", rootb->major,
                             rootb->minor, rootb->fstype ?: "ext4", rootb->name);
        else
                q = stpcpy(q, "26 1 0:2 / / rw shared:1 - rootfs rootfs rw\n");
        for (size_t i = 0; i < h->n_blocks; i++) {
                const Block *bl = &h->blocks[i];
                if (!bl->mount || bl == rootb)
                        continue;
                q += sprintf(q, "%u 26 %u:%u / %s rw,relatime shared:%u - %s /dev/%s rw\n", id, bl->major, bl->minor,
                             bl->mount, id - 10, bl->fstype ?: "ext4", bl->name);
                id++;
        }
        for (size_t i = 0; i < h->n_mounts; i++)
                q += sprintf(q, "%s\n", h->mounts[i]);
        return sim_write_str(path, out, RO);
}

static int build_blocks(Builder *b) {
        Host *h = b->h;
        int r;
        for (size_t i = 0; i < h->n_blocks; i++) {
                const Block *bl = &h->blocks[i];
                const Device *d = &h->devs[bl->dev];
                _cleanup_free_ char *dir = sim_path("%s/%s", d->path, bl->path),
                                    *dl = sim_path("%s/sys/dev/block/%u:%u", b->root, bl->major, bl->minor),
                                    *cl = sim_path("%s/sys/class/block/%s", b->root, bl->name),
                                    *bll = sim_path("%s/sys/block/%s", b->root, bl->name);
                if (!dir || !dl || !cl || !bll)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(dir, 0755)) < 0 || (r = mkfile(dir, "dev", RO, "%u:%u\n", bl->major, bl->minor)) < 0 ||
                    (r = mkfile(dir, "size", RO, "%u\n", bl->disk < 0 ? 1000215216u : 2097152u)) < 0 ||
                    (r = mkfile(dir, "uevent", RW, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", bl->major, bl->minor,
                                bl->name, bl->disk < 0 ? "disk" : "partition")) < 0 ||
                    (r = sim_mkdir_parents(dl, 0755)) < 0 || (r = mklink(dir, dl)) < 0 ||
                    (r = sim_mkdir_parents(cl, 0755)) < 0 || (r = mklink(dir, cl)) < 0)
                        return r;
                if (bl->disk < 0) {
                        if ((r = sim_mkdir_parents(bll, 0755)) < 0 || (r = mklink(dir, bll)) < 0)
                                return r;
                } else if ((r = mkfile(dir, "partition", RO, "%zu\n", i - (size_t) bl->disk)) < 0)
                        return r;
        }
        return 0;
}

static int build_fbs(Builder *b) {
        Host *h = b->h;
        _cleanup_free_ char *procfb = sim_path("%s/proc/fb", b->root), *simfb = sim_path("%s/" SIM_FB_FILE, b->root);
        char pbuf[4096] = "", sbuf[4096] = "";
        size_t pl = 0, sl = 0;
        unsigned idx = 0;
        int r;
        if (!procfb || !simfb)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_fbs && pl < sizeof(pbuf) - 256 && sl < sizeof(sbuf) - 256; i++) {
                const Fb *f = &h->fbs[i];
                int index = -1;
                if (f->fbname) {
                        index = (int) idx++;
                        pl += (size_t) snprintf(pbuf + pl, sizeof(pbuf) - pl, "%d %s\n", index, f->fbname);
                        _cleanup_free_ char *pd = sim_path("%s/sys/devices/platform/%s", b->root, f->platform),
                                            *gd = sim_path("%s/sys/devices/platform/%s/graphics/fb%d", b->root, f->platform, index),
                                            *cl = sim_path("%s/sys/class/graphics/fb%d", b->root, index),
                                            *dl = sim_path("%s/device", gd);
                        if (!pd || !gd || !cl || !dl)
                                return -ENOMEM;
                        if ((r = sim_mkdir_p(gd, 0755)) < 0 || (r = mkfile(gd, "name", RO, "%s\n", f->fbname)) < 0 ||
                            (r = mkfile(gd, "dev", RO, "29:%d\n", index)) < 0 || (r = sim_mkdir_parents(cl, 0755)) < 0 ||
                            (r = mklink(gd, cl)) < 0 || (r = mklink(pd, dl)) < 0)
                                return r;
                }
                sl += (size_t) snprintf(sbuf + sl, sizeof(sbuf) - sl, "%d 0x%llx 0x%llx %s %s\n", index,
                                        (unsigned long long) f->start, (unsigned long long) (f->start + f->size - 1),
                                        f->name, f->fbname ?: "-");
        }
        if ((r = sim_write_str(procfb, pbuf, RO)) < 0)
                return r;
        return sim_write_str(simfb, sbuf, RW);
}

/* Where Debian's kernel keeps a module, for modules.dep/modules.builtin. */
static char *module_file(const char *name) {
        static const struct {
                const char *name, *path;
        } known[] = {
                { "vfio", "kernel/drivers/vfio/vfio.ko" },
                { "vfio_iommu_type1", "kernel/drivers/vfio/vfio_iommu_type1.ko" },
                { "vfio_pci_core", "kernel/drivers/vfio/pci/vfio-pci-core.ko" },
                { "vfio_pci", "kernel/drivers/vfio/pci/vfio-pci.ko" },
                { "mlx5_vfio_pci", "kernel/drivers/vfio/pci/mlx5/mlx5-vfio-pci.ko" },
                { "irqbypass", "kernel/virt/lib/irqbypass.ko" },
                { "pcieportdrv", "kernel/drivers/pci/pcie/pcieportdrv.ko" },
                { "nouveau", "kernel/drivers/gpu/drm/nouveau/nouveau.ko" },
                { "i915", "kernel/drivers/gpu/drm/i915/i915.ko" },
                { "snd_hda_intel", "kernel/sound/pci/hda/snd-hda-intel.ko" },
                { "nvme", "kernel/drivers/nvme/host/nvme.ko" },
                { "ahci", "kernel/drivers/ata/ahci.ko" },
                { "xhci_pci", "kernel/drivers/usb/host/xhci-pci.ko" },
                { "igb", "kernel/drivers/net/ethernet/intel/igb/igb.ko" },
        };
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (!strcmp(known[i].name, name))
                        return strdup(known[i].path);
        return sim_path("kernel/drivers/misc/%s.ko", name);
}

/* ROOT/proc/sys/kernel/osrelease and ROOT/lib/modules/RELEASE/modules.{dep,builtin}
 * as the host's module tree would list them: missing modules are in neither. */
static int build_module_index(Builder *b) {
        Host *h = b->h;
        const char *rel = h->release ?: "6.1.0-18-amd64";
        size_t cap = 256 + h->n_mods * 512;
        _cleanup_free_ char *dep = malloc(cap), *bi = malloc(cap),
                            *dir = sim_path("%s/lib/modules/%s", b->root, rel), *ks = sim_path("%s/proc/sys/kernel", b->root);
        char *qd, *qb;
        int r;
        if (!dep || !bi || !dir || !ks)
                return -ENOMEM;
        qd = dep;
        qb = bi;
        *qd = *qb = '\0';
        for (size_t i = 0; i < h->n_mods; i++) {
                const Module *m = &h->mods[i];
                _cleanup_free_ char *f = module_file(m->name);
                if (!f)
                        return -ENOMEM;
                if (!strcmp(m->state, "missing"))
                        continue;
                if (!strcmp(m->state, "builtin")) {
                        qb += sprintf(qb, "%s\n", f);
                        continue;
                }
                qd += sprintf(qd, "%s:", f);
                if (m->deps) {
                        _cleanup_free_ char *deps = strdup(m->deps);
                        char *save = NULL;
                        if (!deps)
                                return -ENOMEM;
                        for (char *d = strtok_r(deps, " ", &save); d; d = strtok_r(NULL, " ", &save)) {
                                _cleanup_free_ char *df = module_file(d);
                                if (!df)
                                        return -ENOMEM;
                                if (qd - dep + strlen(df) + 4 < cap)
                                        qd += sprintf(qd, " %s", df);
                        }
                }
                qd = stpcpy(qd, "\n");
        }
        /* modules.alias: what modprobe and libvirt match device modaliases against. */
        size_t acap = 1;
        for (size_t i = 0; i < h->n_aliases; i++)
                acap += strlen(h->aliases[i].pattern) + strlen(h->aliases[i].module) + 8;
        _cleanup_free_ char *al = malloc(acap);
        if (!al)
                return -ENOMEM;
        char *qa = al;
        *qa = '\0';
        for (size_t i = 0; i < h->n_aliases; i++) {
                const Module *m = find_module(h, h->aliases[i].module);
                if (m && !strcmp(m->state, "missing"))
                        continue;
                qa += sprintf(qa, "alias %s %s\n", h->aliases[i].pattern, h->aliases[i].module);
        }
        if ((r = sim_mkdir_p(dir, 0755)) < 0 || (r = mkfile(dir, "modules.alias", RO, "%s", al)) < 0)
                return r;
        if ((r = sim_mkdir_p(dir, 0755)) < 0 || (r = mkfile(dir, "modules.dep", RO, "%s", dep)) < 0 ||
            (r = mkfile(dir, "modules.builtin", RO, "%s", bi)) < 0 || (r = sim_mkdir_p(ks, 0755)) < 0 ||
            (r = mkfile(ks, "osrelease", RO, "%s\n", rel)) < 0 || (r = mkfile(ks, "tainted", RO, "0\n")) < 0)
                return r;
        return 0;
}

static int build_misc(Builder *b) {
        Host *h = b->h;
        const char *root = b->root;
        static const char *const dirs[] = {
                "sys/devices", "sys/bus/pci/devices", "sys/bus/pci/drivers", "sys/bus/pci/slots",
                "sys/kernel/iommu_groups", "sys/class/iommu", "sys/module", "sys/dev/block", "sys/dev/char",
                "sys/block", "sys/class/block", "sys/class/graphics", "sys/firmware", "proc/self",
                "dev", "run", "etc", SIM_MODULES_DIR, SIM_DRIVERS_DIR, SIM_KNOBS_DIR, SIM_MODPROBE_DIR, SIM_KMOD_DIR,
        };
        int r;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                _cleanup_free_ char *p = sim_path("%s/%s", root, dirs[i]);
                if (!p)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(p, 0755)) < 0)
                        return r;
        }
        _cleanup_free_ char *bus = sim_path("%s/sys/bus/pci", root), *proc = sim_path("%s/proc", root),
                            *sim = sim_path("%s/sim", root);
        if (!bus || !proc || !sim)
                return -ENOMEM;
        if ((r = mkfile(bus, "drivers_probe", WO, "%s", "")) < 0 || (r = mkfile(bus, "drivers_autoprobe", RW, "1\n")) < 0 ||
            (r = mkfile(bus, "rescan", WO, "%s", "")) < 0 || (r = mkfile(bus, "uevent", WO, "%s", "")) < 0 ||
            (r = mkfile(proc, "cmdline", RO, "%s\n",
                        h->cmdline ?: "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro quiet")) < 0 ||
            (r = mkfile(sim, "log", RW, "%s", "")) < 0 || (r = mkfile(sim, "lock", RW, "%s", "")) < 0)
                return r;
        /* Host bridges. */
        for (size_t i = 0; i < h->n_devs; i++) {
                char hb[32];
                if (h->devs[i].parent >= 0)
                        continue;
                _cleanup_free_ char *p = sim_path("%s/sys/devices/%s", root, host_bridge_name(&h->devs[i], hb, sizeof(hb))),
                                    *pb = sim_path("%s/pci_bus/%04x:%02x", p, h->devs[i].domain, h->devs[i].bus);
                if (!p || !pb)
                        return -ENOMEM;
                if (sim_exists(pb))
                        continue;
                if ((r = sim_mkdir_p(pb, 0755)) < 0 || (r = mkfile(p, "uevent", RW, "%s", "")) < 0 ||
                    (r = mkfile(pb, "cpuaffinity", RO, "ff\n")) < 0)
                        return r;
        }
        if (h->iommu) {
                _cleanup_free_ char *dev = h->amd ? sim_path("%s/sys/devices/pci0000:00/0000:00:00.2/iommu/ivhd0", root)
                                                  : sim_path("%s/sys/devices/virtual/iommu/dmar0", root),
                                    *cls = sim_path("%s/sys/class/iommu/%s", root, h->amd ? "ivhd0" : "dmar0"),
                                    *devs = sim_path("%s/devices", dev);
                if (!dev || !cls || !devs)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(devs, 0755)) < 0 || (r = mkfile(dev, "uevent", RW, "%s", "")) < 0 ||
                    (r = mklink(dev, cls)) < 0)
                        return r;
        }
        /* libkmod in the simulated context resolves names through aliases. */
        {
                size_t cap = 64 + h->n_mods * 160;
                _cleanup_free_ char *conf = malloc(cap), *cp = sim_path("%s/" SIM_MODPROBE_DIR "/sim.conf", root);
                char *q;
                if (!conf || !cp)
                        return -ENOMEM;
                q = stpcpy(conf, "# module names the simulated host knows\n");
                for (size_t i = 0; i < h->n_mods; i++)
                        if (strcmp(h->mods[i].state, "missing"))
                                q += sprintf(q, "alias %s %s\n", h->mods[i].name, h->mods[i].name);
                if ((r = sim_write_str(cp, conf, RW)) < 0)
                        return r;
        }
        if (module_loaded(h, "vfio")) {
                _cleanup_free_ char *v = sim_path("%s/dev/vfio", root), *vv = sim_path("%s/dev/vfio/vfio", root);
                if (!v || !vv)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(v, 0755)) < 0 || (r = sim_write_str(vv, "", 0666)) < 0)
                        return r;
        }
        /* Devices bound to vfio at start have their group nodes. */
        for (size_t i = 0; i < h->n_devs; i++) {
                const Device *d = &h->devs[i];
                if (!d->driver || !strstr(d->driver, "vfio") || !h->iommu || d->group < 0)
                        continue;
                _cleanup_free_ char *v = sim_path("%s/dev/vfio", root), *g = sim_path("%s/dev/vfio/%d", root, d->group);
                if (!v || !g)
                        return -ENOMEM;
                if ((r = sim_mkdir_p(v, 0755)) < 0 || (r = sim_write_str(g, "", 0600)) < 0)
                        return r;
        }
        for (size_t i = 0; i < h->n_knobs; i++) {
                const Knob *k = &h->knobs[i];
                if ((r = sim_knob_set(root, k->target, k->name, k->value)) < 0)
                        return r;
        }
        return 0;
}

static const char *device_path_of(void *userdata, const char *addr) {
        Host *h = userdata;
        int i = find_device(h, addr);
        return i < 0 ? NULL : h->devs[i].path;
}

static int build_all(Builder *bp);

static int build(const char *root, Host *h) {
        Builder b = { .root = root, .h = h };
        mode_t old = umask(0);
        int r = build_all(&b);
        umask(old);
        return r;
}

static int build_all(Builder *bp) {
        Builder b = *bp;
        Host *h = b.h;
        const char *root = b.root;
        int r;

        if ((r = sim_mkdir_p(root, 0755)) < 0)
                return r;
        {
                _cleanup_free_ char *sys = sim_path("%s/sys", root);
                if (!sys)
                        return -ENOMEM;
                if (sim_exists(sys))
                        return -EEXIST; /* one tree per root: state would mix */
        }
        compute_paths_and_windows(h, root, &r);
        if (r < 0)
                return r;
        if ((r = build_misc(&b)) < 0 || (r = build_module_index(&b)) < 0 || (r = build_drivers_and_modules(&b)) < 0)
                return r;
        for (size_t i = 0; i < h->n_devs; i++)
                if ((r = build_device(&b, i)) < 0)
                        return r;
        if ((r = build_blocks(&b)) < 0 || (r = build_fbs(&b)) < 0 || (r = build_iomem(&b)) < 0 ||
            (r = build_interrupts(&b)) < 0 || (r = build_cpuinfo(&b)) < 0 || (r = build_mountinfo(&b)) < 0)
                return r;
        return sim_net_build(h->net, root, device_path_of, h);
}

static int build_named(const char *root, const char *text, const char *name) {
        Host h = { .desc_name = name };
        int r;
        if (!root || !text)
                return -EINVAL;
        r = parse_description(&h, text);
        if (r == 0) {
                r = build(root, &h);
                if (r < 0)
                        fprintf(stderr, "%s: failed to build tree in '%s': %s\n", name, root, strerror(-r));
        }
        host_free(&h);
        return r;
}

int sim_tree_build(const char *root, const char *description_text) {
        return build_named(root, description_text, "<description>");
}

int sim_tree_build_file(const char *root, const char *description_path) {
        _cleanup_free_ char *text = NULL;
        int r = sim_read_file(description_path, &text, NULL);
        if (r < 0) {
                fprintf(stderr, "Failed to read '%s': %s\n", description_path, strerror(-r));
                return r;
        }
        return build_named(root, text, description_path);
}
