/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "config.h"
#include "fileio.h"
#include "macro.h"

/* The kernel's MODULE_NAME_LEN is 56 with its NUL; a variant driver registers under its module's name. */
#define NAME_MAX_BYTES 50
#define DRIVER_NAME_MAX 55

/* Far beyond any real file (20,000 sections fit in 1 MiB); it only bounds what a mistake makes us read. */
#define CONFIG_SIZE_MAX (16u * 1024u * 1024u)
#define SYMLINKS_MAX 32

enum {
        KEY_ADDRESS = 1u << 0,
        KEY_FUNCTIONS = 1u << 1,
        KEY_EXPECT = 1u << 2,
        KEY_DRIVER = 1u << 3,
        KEY_FORCE = 1u << 4,
        KEY_RESET_METHOD = 1u << 5,
        KEY_GROUP_POLICY = 1u << 6,
        KEY_TIMEOUT = 1u << 7,
        KEY_SUBSYSTEM = 1u << 8,
        KEY_SERIAL = 1u << 9,
        KEY_PATH = 1u << 10,
        KEY_VFS = 1u << 11,
        KEY_VF = 1u << 12,
        KEY_DRIFT_POLICY = 1u << 13,
        KEY_METRICS_DIR = 1u << 14,
};

/* The PCIe limit: sriov_totalvfs is a 16-bit field. */
#define VFS_MAX 65535u

/* Open addressing over 64-bit keys; A and B say where the key was seen (section, address or line). */
typedef struct IndexEntry {
        uint64_t key;
        size_t a;
        size_t b;
        bool used;
} IndexEntry;

typedef struct Index {
        IndexEntry *entries;
        size_t n;
        size_t capacity; /* a power of two, at most half full */
} Index;

typedef struct ParseState {
        Config *config;
        const char *text;
        size_t size;
        size_t offset;
        unsigned line;
        char *line_buf;
        size_t line_buf_size;
        bool in_global;
        bool skipping; /* inside a section whose name was refused: its keys are not ours to judge */
        bool global_broken;
        unsigned global_line;
        unsigned global_keys;
        DeviceSection *section; /* NULL before the first section and inside [global] */
        Index names;            /* hash of a section name -> section index */
        Index addresses;        /* packed address -> section index, address index */
        int oom;
} ParseState;

const char *device_section_driver(const DeviceSection *s) {
        return s->driver ?: DEFAULT_VFIO_DRIVER;
}

uint64_t config_hash_bytes(const char *data, size_t size) {
        /* FNV-1a: only needs to tell two files apart, not resist an attacker. */
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < size; i++) {
                h ^= (unsigned char) data[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static uint64_t mix64(uint64_t k) {
        /* splitmix64's finaliser: packed addresses differ only in a few low bits. */
        k ^= k >> 30;
        k *= 0xbf58476d1ce4e5b9ULL;
        k ^= k >> 27;
        k *= 0x94d049bb133111ebULL;
        return k ^ (k >> 31);
}

static void index_free(Index *idx) {
        free(idx->entries);
        *idx = (Index) {};
}

static int index_add(Index *idx, uint64_t key, size_t a, size_t b) {
        if ((idx->n + 1) * 2 > idx->capacity) {
                size_t capacity = idx->capacity ? idx->capacity * 2 : 64;
                IndexEntry *entries = calloc(capacity, sizeof(*entries));
                if (!entries)
                        return -ENOMEM;
                for (size_t i = 0; i < idx->capacity; i++) {
                        if (!idx->entries[i].used)
                                continue;
                        size_t pos = mix64(idx->entries[i].key) & (capacity - 1);
                        while (entries[pos].used)
                                pos = (pos + 1) & (capacity - 1);
                        entries[pos] = idx->entries[i];
                }
                free(idx->entries);
                idx->entries = entries;
                idx->capacity = capacity;
        }
        size_t pos = mix64(key) & (idx->capacity - 1);
        while (idx->entries[pos].used)
                pos = (pos + 1) & (idx->capacity - 1);
        idx->entries[pos] = (IndexEntry) { .key = key, .a = a, .b = b, .used = true };
        idx->n++;
        return 0;
}

/* Entries with KEY one after another: start with *cursor = SIZE_MAX, stop at NULL. */
static const IndexEntry *index_next(const Index *idx, uint64_t key, size_t *cursor) {
        if (idx->capacity == 0)
                return NULL;
        size_t pos = *cursor == SIZE_MAX ? mix64(key) & (idx->capacity - 1) : (*cursor + 1) & (idx->capacity - 1);
        for (; idx->entries[pos].used; pos = (pos + 1) & (idx->capacity - 1))
                if (idx->entries[pos].key == key) {
                        *cursor = pos;
                        return &idx->entries[pos];
                }
        return NULL;
}

static uint64_t address_key(const PciAddress *a) {
        return ((uint64_t) a->domain << 16) | ((uint64_t) a->bus << 8) | ((uint64_t) a->slot << 3) | a->function;
}

static uint64_t slot_key(const PciAddress *a) {
        return address_key(a) >> 3;
}

_printf_(3, 4) static void add_error(ParseState *st, unsigned line, const char *fmt, ...) {
        Config *c = st->config;
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0) {
                va_end(ap);
                st->oom = -ENOMEM;
                return;
        }
        va_end(ap);

        if (!GREEDY_REALLOC(c->errors, c->n_errors + 1)) {
                free(msg);
                st->oom = -ENOMEM;
                return;
        }
        c->errors[c->n_errors++] = (ConfigError) { .line = line, .message = msg };
        if (st->section)
                st->section->invalid = true;
        if (st->in_global)
                st->global_broken = true;
}

static DeviceSection *find_section(ParseState *st, const char *name) {
        Config *c = st->config;
        size_t cursor = SIZE_MAX;
        uint64_t key = config_hash_bytes(name, strlen(name));
        for (const IndexEntry *e; (e = index_next(&st->names, key, &cursor));)
                if (streq(c->sections[e->a].name, name))
                        return &c->sections[e->a];
        return NULL;
}

static bool valid_label(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_-.:@", *s))
                        return false;
        return true;
}

static void begin_section(ParseState *st, const char *name) {
        Config *c = st->config;

        st->section = NULL;
        st->in_global = false;
        st->skipping = false;

        if (strlen(name) > NAME_MAX_BYTES) {
                add_error(st, st->line, "section name is longer than %d characters", NAME_MAX_BYTES);
                st->skipping = true; /* swallow its keys without creating a device */
                return;
        }
        if (streq(name, "global")) {
                st->in_global = true;
                if (st->global_line > 0)
                        add_error(st, st->line, "section [global] already started at line %u", st->global_line);
                st->global_line = st->global_line ?: st->line;
                return;
        }

        DeviceSection *old = find_section(st, name);
        unsigned old_line = old ? old->line : 0;
        if (!GREEDY_REALLOC(c->sections, c->n_sections + 1)) {
                st->oom = -ENOMEM;
                return;
        }
        DeviceSection *s = &c->sections[c->n_sections];
        *s = (DeviceSection) { .line = st->line, .name = strdup(name), .vfs = -1 };
        if (!s->name) {
                st->oom = -ENOMEM;
                return;
        }
        c->n_sections++;
        if (!old && index_add(&st->names, config_hash_bytes(name, strlen(name)), c->n_sections - 1, 0) < 0)
                st->oom = -ENOMEM;
        st->section = s;

        if (old_line > 0)
                add_error(st, st->line, "section [%s] already defined at line %u; use one section per label", name,
                          old_line);
        else if (!valid_label(name))
                add_error(st, st->line,
                          "section name '%s' may only contain letters, digits and _ - . : @", name);
}

static bool parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" };
        static const char *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(v, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        return false;
}

static bool parse_id_pair(const char *v, uint16_t *ret_vendor, uint16_t *ret_device) {
        unsigned vendor, device;
        int n = 0;

        if (strlen(v) != 9 || sscanf(v, "%4x:%4x%n", &vendor, &device, &n) != 2 || n != 9)
                return false;
        for (size_t i = 0; i < 9; i++)
                if (i != 4 && !isxdigit((unsigned char) v[i]))
                        return false;
        *ret_vendor = vendor;
        *ret_device = device;
        return true;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && streq(s + n - m, suffix);
}

/* driver_override must name a driver exactly as it registers. Only VFIO drivers give a device to VMs:
 * vfio-pci itself, or a variant driver, which registers under its module name, by convention
 * <vendor>_vfio_pci (mlx5_vfio_pci, hisi_acc_vfio_pci). Anything else would hand the device to another
 * host driver. Returns the name to write, or NULL. */
static const char *vfio_driver_name(const char *v) {
        if (streq(v, "vfio-pci") || streq(v, "vfio_pci")) /* the module's spelling of the same driver */
                return DEFAULT_VFIO_DRIVER;
        if (streq(v, AUTO_VFIO_DRIVER))
                return AUTO_VFIO_DRIVER;
        if (strlen(v) > DRIVER_NAME_MAX || !has_suffix(v, "_vfio_pci") || streq(v, "_vfio_pci"))
                return NULL;
        for (const char *p = v; *p; p++)
                if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p) && *p != '_')
                        return NULL;
        return v;
}

/* The man page lets methods be separated by commas too; the kernel's reset_method takes them separated by
 * single spaces, and refuses the whole write for one unknown name. */
static void parse_reset_methods(ParseState *st, DeviceSection *s, const char *value) {
        static const char *const methods[] = { "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus" };
        _cleanup_free_ char *copy = strdup(value), *joined = NULL;
        bool seen[ELEMENTSOF(methods)] = {};
        size_t len = 0;
        char *save = NULL;

        if (!copy || !(joined = malloc(strlen(value) + 1))) {
                st->oom = -ENOMEM;
                return;
        }
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(methods); i++)
                        if (streq(tok, methods[i]))
                                break;
                if (i == ELEMENTSOF(methods)) {
                        add_error(st, st->line,
                                  "reset_method: unknown method '%s'; known methods: device_specific, acpi, flr, "
                                  "af_flr, pm, bus, cxl_bus",
                                  tok);
                        return;
                }
                if (seen[i]) {
                        add_error(st, st->line, "reset_method: '%s' is listed twice", tok);
                        return;
                }
                seen[i] = true;
                if (len > 0)
                        joined[len++] = ' ';
                memcpy(joined + len, tok, strlen(tok));
                len += strlen(tok);
        }
        if (len == 0) {
                add_error(st, st->line, "reset_method needs at least one method, e.g. flr");
                return;
        }
        joined[len] = 0;
        free(s->reset_method);
        s->reset_method = TAKE_PTR(joined);
}

static void parse_addresses(ParseState *st, DeviceSection *s, const char *value) {
        Config *c = st->config;
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        size_t n = 0;

        if (!copy) {
                st->oom = -ENOMEM;
                return;
        }
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save), n++) {
                char buf[PCI_ADDRESS_MAX];
                PciAddress a;

                if (pci_address_parse(tok, &a) < 0) {
                        add_error(st, st->line,
                                  "'%s' is not a PCI address; expected [DOMAIN:]BUS:SLOT.FUNCTION in hex, "
                                  "bus <= ff, slot <= 1f, function <= 7, e.g. 0000:01:00.0",
                                  tok);
                        continue;
                }
                size_t cursor = SIZE_MAX;
                const IndexEntry *e = index_next(&st->addresses, address_key(&a), &cursor);
                if (e) {
                        const DeviceSection *other = &c->sections[e->a];
                        add_error(st, st->line, "%s is already named in [%s] at line %u; name each function once",
                                  pci_address_format(&a, buf), other->name, other->address_lines[e->b]);
                        continue;
                }
                if (!GREEDY_REALLOC(s->addresses, s->n_addresses + 1) ||
                    !GREEDY_REALLOC(s->address_lines, s->n_addresses + 1) ||
                    !GREEDY_REALLOC(s->address_domain_given, s->n_addresses + 1)) {
                        st->oom = -ENOMEM;
                        return;
                }
                if (index_add(&st->addresses, address_key(&a), (size_t) (s - c->sections), s->n_addresses) < 0) {
                        st->oom = -ENOMEM;
                        return;
                }
                s->addresses[s->n_addresses] = a;
                s->address_lines[s->n_addresses] = st->line;
                s->address_domain_given[s->n_addresses] = pci_address_has_domain(tok);
                s->n_addresses++;
        }
        if (n == 0)
                add_error(st, st->line, "address needs at least one PCI address, e.g. 0000:01:00.0");
}

int pci_path_parse(const char *s, PciPath *ret) {
        PciPath p = {};
        char first[PCI_ADDRESS_MAX];
        size_t n = strcspn(s, "/");

        if (n == 0 || n >= sizeof(first))
                return -EINVAL;
        memcpy(first, s, n);
        first[n] = 0;
        if (pci_address_parse(first, &p.start) < 0)
                return -EINVAL;
        for (const char *q = s + n; *q;) {
                /* Each hop: '/', one or two hex digits of device <= 1f, '.', one digit of function <= 7. */
                unsigned dev = 0, digits = 0;
                if (*q++ != '/')
                        return -EINVAL;
                for (; isxdigit((unsigned char) *q) && digits < 3; q++, digits++)
                        dev = dev * 16 + (unsigned) (isdigit((unsigned char) *q) ? *q - '0'
                                                                                 : tolower((unsigned char) *q) - 'a' + 10);
                if (digits == 0 || digits > 2 || dev > 0x1f || *q != '.')
                        return -EINVAL;
                q++;
                if (*q < '0' || *q > '7')
                        return -EINVAL;
                if (p.n_hops >= PCI_PATH_DEPTH_MAX)
                        return -EINVAL;
                p.slot[p.n_hops] = (uint8_t) dev;
                p.function[p.n_hops] = (uint8_t) (*q - '0');
                p.n_hops++;
                q++;
                if (*q && *q != '/')
                        return -EINVAL;
        }
        *ret = p;
        return 0;
}

char *pci_path_format(const PciPath *p, char buf[static PCI_PATH_MAX]) {
        char a[PCI_ADDRESS_MAX];
        size_t n = (size_t) snprintf(buf, PCI_PATH_MAX, "%s", pci_address_format(&p->start, a));
        for (size_t i = 0; i < p->n_hops && n < PCI_PATH_MAX; i++)
                n += (size_t) snprintf(buf + n, PCI_PATH_MAX - n, "/%02x.%u", p->slot[i], p->function[i]);
        return buf;
}

int pci_serial_parse(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        unsigned digits = 0;
        char sep = 0;

        for (const char *q = s; *q; q++) {
                if (isxdigit((unsigned char) *q)) {
                        if (++digits > 16)
                                return -EINVAL;
                        v = v << 4 | (uint64_t) (isdigit((unsigned char) *q) ? *q - '0' : tolower((unsigned char) *q) - 'a' + 10);
                        continue;
                }
                /* A separator only between pairs, and the same one throughout. */
                if ((*q != '-' && *q != ':') || digits == 0 || digits % 2 != 0 || (sep && *q != sep) ||
                    !isxdigit((unsigned char) q[1]))
                        return -EINVAL;
                if (!sep && digits != 2)
                        return -EINVAL;
                sep = *q;
        }
        if (digits != 16)
                return -EINVAL;
        if (sep && (strlen(s) != 23))
                return -EINVAL;
        *ret = v;
        return 0;
}

char *pci_serial_format(uint64_t serial, char buf[static PCI_SERIAL_MAX]) {
        size_t n = 0;
        for (int i = 7; i >= 0; i--)
                n += (size_t) snprintf(buf + n, PCI_SERIAL_MAX - n, "%s%02x", i == 7 ? "" : "-",
                                       (unsigned) (serial >> (i * 8)) & 0xff);
        return buf;
}

static void parse_path(ParseState *st, DeviceSection *s, const char *value) {
        if (pci_path_parse(value, &s->path) < 0) {
                add_error(st, st->line,
                          "'%s' is not a PCI device path; expected [DOMAIN:]BUS:SLOT.FUNCTION followed by "
                          "/SLOT.FUNCTION for each bridge on the way, in hex, e.g. 0000:00:1c.0/00.0",
                          value);
                return;
        }
        s->has_path = true;
        s->path_line = st->line;
}

static int compare_unsigned(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
        return x < y ? -1 : x > y;
}

/* "0-3,6": decimal VF numbers (the kernel's virtfnN) and ranges; repeats are mistakes. */
static void parse_vf_list(ParseState *st, DeviceSection *s, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy) {
                st->oom = -ENOMEM;
                return;
        }
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                unsigned long lo, hi;
                char *end;

                errno = 0;
                lo = strtoul(tok, &end, 10);
                hi = lo;
                if (!errno && end != tok && *end == '-' && isdigit((unsigned char) end[1]))
                        hi = strtoul(end + 1, &end, 10);
                if (errno || end == tok || *end || !isdigit((unsigned char) tok[0]) || lo > hi || hi >= VFS_MAX) {
                        add_error(st, st->line,
                                  "'%s' is not a virtual function number or range; expected e.g. vf = 0-3,6", tok);
                        return;
                }
                for (unsigned long i = lo; i <= hi; i++) {
                        if (!GREEDY_REALLOC(s->vf_indexes, s->n_vf_indexes + 1)) {
                                st->oom = -ENOMEM;
                                return;
                        }
                        s->vf_indexes[s->n_vf_indexes++] = (unsigned) i;
                }
        }
        if (s->n_vf_indexes == 0) {
                add_error(st, st->line, "vf needs at least one virtual function number, e.g. vf = 0-3,6");
                return;
        }
        qsort(s->vf_indexes, s->n_vf_indexes, sizeof(unsigned), compare_unsigned);
        for (size_t i = 1; i < s->n_vf_indexes; i++)
                if (s->vf_indexes[i] == s->vf_indexes[i - 1]) {
                        add_error(st, st->line, "virtual function %u is listed twice", s->vf_indexes[i]);
                        return;
                }
}

static bool mark_key(ParseState *st, unsigned *seen, unsigned key, const char *name) {
        if (*seen & key) {
                add_error(st, st->line, "key '%s' given twice in this section", name);
                return false;
        }
        *seen |= key;
        return true;
}

static void handle_global(ParseState *st, const char *name, const char *value) {
        Config *c = st->config;

        if (streq(name, "nonviable_group")) {
                if (!mark_key(st, &st->global_keys, KEY_GROUP_POLICY, name))
                        return;
                if (streq(value, "warn"))
                        c->group_policy = GROUP_POLICY_WARN;
                else if (streq(value, "refuse"))
                        c->group_policy = GROUP_POLICY_REFUSE;
                else
                        add_error(st, st->line, "nonviable_group must be 'warn' or 'refuse', got '%s'", value);
        } else if (streq(name, "drift")) {
                if (!mark_key(st, &st->global_keys, KEY_DRIFT_POLICY, name))
                        return;
                if (streq(value, "warn"))
                        c->drift_policy = DRIFT_POLICY_WARN;
                else if (streq(value, "refuse"))
                        c->drift_policy = DRIFT_POLICY_REFUSE;
                else
                        add_error(st, st->line, "drift must be 'warn' or 'refuse', got '%s'", value);
        } else if (streq(name, "timeout")) {
                char *end;
                if (!mark_key(st, &st->global_keys, KEY_TIMEOUT, name))
                        return;
                errno = 0;
                unsigned long t = strtoul(value, &end, 10);
                if (errno || end == value || *end || t < 1 || t > 600)
                        add_error(st, st->line, "timeout must be a number of seconds from 1 to 600, got '%s'", value);
                else
                        c->timeout_sec = t;
        } else if (streq(name, "metrics_dir")) {
                if (!mark_key(st, &st->global_keys, KEY_METRICS_DIR, name))
                        return;
                /* Relative to what? The boot unit's working directory is no place for a collector to look. */
                size_t n = strlen(value);
                if (value[0] != '/' || strstr(value, "/../") || (n >= 3 && streq(value + n - 3, "/.."))) {
                        add_error(st, st->line, "metrics_dir must be an absolute path without '..', got '%s'", value);
                        return;
                }
                free(c->metrics_dir);
                c->metrics_dir = strdup(value);
                if (!c->metrics_dir)
                        st->oom = -ENOMEM;
        } else
                add_error(st, st->line,
                          "unknown key '%s' in [global]; known keys: nonviable_group, drift, timeout, metrics_dir",
                          name);
}

static void handle_device(ParseState *st, DeviceSection *s, const char *name, const char *value) {
        if (streq(name, "address")) {
                /* Repeating address adds functions: one line per function reads well for big sections. */
                s->seen_keys |= KEY_ADDRESS;
                if (s->seen_keys & KEY_PATH) {
                        add_error(st, st->line, "address and path name the device twice; keep one of them");
                        return;
                }
                parse_addresses(st, s, value);
        } else if (streq(name, "path")) {
                if (!mark_key(st, &s->seen_keys, KEY_PATH, name))
                        return;
                if (s->seen_keys & KEY_ADDRESS) {
                        add_error(st, st->line, "address and path name the device twice; keep one of them");
                        return;
                }
                parse_path(st, s, value);
        } else if (streq(name, "subsystem")) {
                if (!mark_key(st, &s->seen_keys, KEY_SUBSYSTEM, name))
                        return;
                if (parse_id_pair(value, &s->subsystem_vendor, &s->subsystem_device))
                        s->has_subsystem = true;
                else
                        add_error(st, st->line,
                                  "subsystem must be VENDOR:DEVICE in hex, e.g. 1043:889d, got '%s'", value);
        } else if (streq(name, "serial")) {
                if (!mark_key(st, &s->seen_keys, KEY_SERIAL, name))
                        return;
                if (pci_serial_parse(value, &s->serial) >= 0)
                        s->has_serial = true;
                else
                        add_error(st, st->line,
                                  "serial must be the Device Serial Number as 16 hex digits, e.g. "
                                  "00-11-22-33-44-55-66-77 (as lspci -vv prints it), got '%s'",
                                  value);
        } else if (streq(name, "vfs")) {
                if (!mark_key(st, &s->seen_keys, KEY_VFS, name))
                        return;
                char *end;
                errno = 0;
                unsigned long n = strtoul(value, &end, 10);
                if (errno || end == value || *end || !isdigit((unsigned char) value[0]) || n < 1 || n > VFS_MAX)
                        add_error(st, st->line, "vfs must be a number of virtual functions from 1 to %u, got '%s'",
                                  VFS_MAX, value);
                else {
                        s->vfs = (int) n;
                        s->vfs_line = st->line;
                }
        } else if (streq(name, "vf")) {
                if (!mark_key(st, &s->seen_keys, KEY_VF, name))
                        return;
                s->vf_line = st->line;
                parse_vf_list(st, s, value);
        } else if (streq(name, "functions")) {
                if (!mark_key(st, &s->seen_keys, KEY_FUNCTIONS, name))
                        return;
                s->functions_line = st->line;
                if (streq(value, "all"))
                        s->all_functions = true;
                else if (streq(value, "listed"))
                        s->all_functions = false;
                else
                        add_error(st, st->line, "functions must be 'all' or 'listed', got '%s'", value);
        } else if (streq(name, "expect")) {
                if (!mark_key(st, &s->seen_keys, KEY_EXPECT, name))
                        return;
                if (parse_id_pair(value, &s->expect_vendor, &s->expect_device))
                        s->has_expect = true;
                else
                        add_error(st, st->line, "expect must be VENDOR:DEVICE in hex, e.g. 10de:2684, got '%s'",
                                  value);
        } else if (streq(name, "driver")) {
                if (!mark_key(st, &s->seen_keys, KEY_DRIVER, name))
                        return;
                const char *driver = vfio_driver_name(value);
                if (strlen(value) > DRIVER_NAME_MAX)
                        add_error(st, st->line,
                                  "driver '%s' is longer than a kernel module name can be (%d characters)", value,
                                  DRIVER_NAME_MAX);
                else if (!driver)
                        add_error(
                                st, st->line,
                                "driver must be vfio-pci, auto or a VFIO variant driver, whose name ends in _vfio_pci "
                                "(e.g. mlx5_vfio_pci), got '%s'",
                                value);
                else if (!(s->driver = strdup(driver)))
                        st->oom = -ENOMEM;
        } else if (streq(name, "force")) {
                if (!mark_key(st, &s->seen_keys, KEY_FORCE, name))
                        return;
                if (!parse_bool(value, &s->force))
                        add_error(st, st->line, "force must be yes or no, got '%s'", value);
        } else if (streq(name, "reset_method")) {
                if (!mark_key(st, &s->seen_keys, KEY_RESET_METHOD, name))
                        return;
                parse_reset_methods(st, s, value);
        } else
                add_error(st, st->line,
                          "unknown key '%s' in [%s]; known keys: address, path, functions, expect, subsystem, "
                          "serial, driver, force, reset_method, vfs, vf",
                          name, s->name);
}

static void parse_line(ParseState *st, char *line) {
        /* Leading and trailing white space go, and so does a comment: '#' or ';' at the start or after white
         * space. An indented line is an ordinary line, never the continuation of the one before. */
        char *s = line;
        while (isspace((unsigned char) *s))
                s++;
        for (char *q = s; *q; q++)
                if ((*q == '#' || *q == ';') && (q == s || isspace((unsigned char) q[-1]))) {
                        *q = 0;
                        break;
                }
        char *end = s + strlen(s);
        while (end > s && isspace((unsigned char) end[-1]))
                *--end = 0;

        if (*s == 0)
                return;

        if (*s == '[') {
                if (end[-1] != ']') {
                        add_error(st, st->line, "expected ']' at the end of the section header");
                        return;
                }
                end[-1] = 0;
                char *name = s + 1;
                while (isspace((unsigned char) *name))
                        name++;
                char *ne = name + strlen(name);
                while (ne > name && isspace((unsigned char) ne[-1]))
                        *--ne = 0;
                if (!*name) {
                        add_error(st, st->line, "empty section name");
                        return;
                }
                begin_section(st, name);
                return;
        }

        char *eq = strchr(s, '=');
        if (!eq) {
                add_error(st, st->line, "expected 'key = value' or '[section]', got '%s'", s);
                return;
        }
        char *key_end = eq;
        while (key_end > s && isspace((unsigned char) key_end[-1]))
                key_end--;
        if (key_end == s) {
                add_error(st, st->line, "expected a key before '='");
                return;
        }
        if ((size_t) (key_end - s) > NAME_MAX_BYTES) {
                add_error(st, st->line, "key is longer than %d characters", NAME_MAX_BYTES);
                return;
        }
        if (st->skipping)
                return; /* the section header was refused already */
        if (!st->section && !st->in_global) {
                add_error(st, st->line, "key '%.*s' outside of any section; start a device with [label]",
                          (int) (key_end - s), s);
                return;
        }
        *key_end = 0;
        char *value = eq + 1;
        while (isspace((unsigned char) *value))
                value++;

        if (!*value)
                add_error(st, st->line, "key '%s' has no value", s);
        else if (st->in_global)
                handle_global(st, s, value);
        else
                handle_device(st, st->section, s, value);
}

/* The next line into st->line_buf, NUL-terminated; false at the end of the text. */
static bool next_line(ParseState *st) {
        if (st->offset >= st->size)
                return false;

        const char *p = st->text + st->offset;
        const char *eol = memchr(p, '\n', st->size - st->offset);
        size_t len = eol ? (size_t) (eol - p) : st->size - st->offset;
        st->offset += len + (eol ? 1 : 0);
        st->line++;

        if (len + 1 > st->line_buf_size) {
                char *b = realloc(st->line_buf, len + 1);
                if (!b) {
                        st->oom = -ENOMEM;
                        return false;
                }
                st->line_buf = b;
                st->line_buf_size = len + 1;
        }
        memcpy(st->line_buf, p, len);
        st->line_buf[len] = 0;
        if (strlen(st->line_buf) != len) {
                add_error(st, st->line, "line contains a NUL byte");
                st->line_buf[0] = 0;
        }
        return true;
}

/* "functions = all" takes every function of the slot: a sibling named in another section is named twice. */
static void check_slots_taken_whole(ParseState *st) {
        Config *c = st->config;
        Index whole = {};
        char buf[PCI_ADDRESS_MAX];

        for (size_t i = 0; i < c->n_sections; i++) {
                const DeviceSection *s = &c->sections[i];
                if (!s->all_functions)
                        continue;
                for (size_t j = 0; j < s->n_addresses; j++)
                        if (index_add(&whole, slot_key(&s->addresses[j]), i, j) < 0) {
                                st->oom = -ENOMEM;
                                goto finish;
                        }
        }
        if (whole.n == 0)
                goto finish;

        for (size_t i = 0; i < c->n_sections; i++)
                for (size_t j = 0; j < c->sections[i].n_addresses; j++) {
                        DeviceSection *s = &c->sections[i];
                        size_t cursor = SIZE_MAX;
                        for (const IndexEntry *e; (e = index_next(&whole, slot_key(&s->addresses[j]), &cursor));) {
                                if (e->a == i)
                                        continue;
                                DeviceSection *owner = &c->sections[e->a];
                                /* Report it where the second mention is, like any other duplicate. */
                                if (owner->functions_line < s->address_lines[j]) {
                                        st->section = s;
                                        add_error(st, s->address_lines[j],
                                                  "%s is already taken by [%s] with 'functions = all' at line %u; "
                                                  "name each function once",
                                                  pci_address_format(&s->addresses[j], buf), owner->name,
                                                  owner->functions_line);
                                } else {
                                        st->section = owner;
                                        add_error(st, owner->functions_line,
                                                  "'functions = all' takes %s, already named in [%s] at line %u; "
                                                  "name each function once",
                                                  pci_address_format(&s->addresses[j], buf), s->name,
                                                  s->address_lines[j]);
                                }
                                break;
                        }
                }
finish:
        st->section = NULL;
        index_free(&whole);
}

static void check_sections_complete(ParseState *st) {
        Config *c = st->config;
        for (size_t i = 0; i < c->n_sections; i++) {
                DeviceSection *s = &c->sections[i];
                st->section = s;
                if (s->n_addresses == 0 && !(s->seen_keys & (KEY_ADDRESS | KEY_PATH)))
                        add_error(st, s->line,
                                  "section [%s] has no address; add e.g. 'address = 0000:01:00.0' (or path = ...)",
                                  s->name);
                if (s->has_path && s->all_functions)
                        add_error(st, s->functions_line, "functions = all goes with address, not with path");
                for (size_t j = 0; s->has_path && j < i; j++)
                        if (c->sections[j].has_path && memcmp(&c->sections[j].path, &s->path, sizeof(PciPath)) == 0)
                                add_error(st, s->path_line, "this path is already named in [%s] at line %u",
                                          c->sections[j].name, c->sections[j].path_line);
                if (s->vfs > 0 && (s->n_addresses + s->has_path != 1 || s->all_functions))
                        add_error(st, s->vfs_line,
                                  "vfs needs a section naming one function, the physical function; give the "
                                  "virtual functions their own section if they need other settings");
                if (s->n_vf_indexes > 0 && s->vfs <= 0)
                        add_error(st, s->vf_line, "vf picks among the virtual functions vfs = creates; add vfs = N");
                else if (s->n_vf_indexes > 0 && s->vf_indexes[s->n_vf_indexes - 1] >= (unsigned) s->vfs)
                        add_error(st, s->vf_line, "virtual function %u does not exist with vfs = %d (they count from 0)",
                                  s->vf_indexes[s->n_vf_indexes - 1], s->vfs);
        }
        st->section = NULL;
}

static Config *config_new(const char *path) {
        Config *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->timeout_sec = DEFAULT_DEVICE_TIMEOUT_SEC;
        c->group_policy = GROUP_POLICY_WARN;
        c->drift_policy = DRIFT_POLICY_WARN;
        c->path = strdup(path);
        if (!c->path)
                return config_free(c);
        return c;
}

int config_parse_string(const char *path, const char *text, size_t size, Config **ret) {
        _cleanup_config_ Config *c = config_new(path);
        if (!c)
                return -ENOMEM;
        c->hash = config_hash_bytes(text, size);

        ParseState st = { .config = c, .text = text, .size = size };
        /* A UTF-8 byte order mark is harmless; skip it so line 1 parses. */
        if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                st.offset = 3;

        /* Every error in the file is reported, not only the first. */
        while (st.oom == 0 && next_line(&st))
                parse_line(&st, st.line_buf);
        st.in_global = false;
        st.skipping = false;
        st.section = NULL;
        if (st.oom == 0)
                check_slots_taken_whole(&st);
        if (st.oom == 0)
                check_sections_complete(&st);

        /* A mistake in [global] leaves its meaning unknown (a misspelt "refuse" must not become "warn"):
         * nothing in the file is acted on until it is fixed. */
        if (st.global_broken)
                for (size_t i = 0; i < c->n_sections; i++)
                        c->sections[i].invalid = true;

        free(st.line_buf);
        index_free(&st.names);
        index_free(&st.addresses);
        if (st.oom < 0)
                return st.oom;
        *ret = TAKE_PTR(c);
        return 0;
}

static const char *file_type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFDIR:
                return "a directory";
        case S_IFIFO:
                return "a FIFO";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFSOCK:
                return "a socket";
        default:
                return "not a regular file";
        }
}

/* Why a file, directory or symlink on the way to the config is not one root may act on; 0 and no
 * *ret_problem when it is. Owners we trust: root, and TRUSTED_UID (whoever runs an unprivileged check). */
static int component_problem(const struct stat *st, const char *shown, uid_t trusted_uid, char **ret_problem) {
        const char *what = S_ISDIR(st->st_mode) ? "directory" : S_ISLNK(st->st_mode) ? "symlink" : "file";

        if (st->st_uid != 0 && st->st_uid != trusted_uid)
                return strdup_printf(ret_problem, "%s %s is owned by uid %u, not root", what, shown,
                                     (unsigned) st->st_uid);
        if (S_ISLNK(st->st_mode))
                return 0; /* a symlink's own mode means nothing */
        if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
                return 0;
        /* In a sticky directory of root's (/tmp) others may add names, but not rename or remove root's. */
        if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
                return 0;
        return strdup_printf(ret_problem, "%s %s is writable by group or others (mode %04o); run chmod go-w %s", what,
                             shown, (unsigned) (st->st_mode & 07777), shown);
}

/* Drop the last component of a path shown in messages, never going above ROOT. */
static void shown_up(char *shown, const char *root) {
        char *slash = strrchr(shown, '/');
        size_t root_len = strlen(root);
        if (!slash || strlen(shown) <= root_len)
                return;
        if ((size_t) (slash - shown) < root_len)
                shown[root_len] = 0;
        else
                *slash = 0;
}

static int append_component(char **shown, const char *name) {
        char *s;
        size_t n = strlen(*shown);
        if (asprintf(&s, "%s%s%s", *shown, n > 0 && (*shown)[n - 1] == '/' ? "" : "/", name) < 0)
                return -ENOMEM;
        free(*shown);
        *shown = s;
        return 0;
}

int config_open_trusted(const char *root, const char *path, uid_t trusted_uid, int *ret_fd, char **ret_problem) {
        _cleanup_close_ int root_fd = -1, dir_fd = -1;
        _cleanup_free_ char *todo = NULL, *shown = NULL, *problem = NULL;
        unsigned symlinks = 0;
        size_t depth = 0; /* directories below ROOT: ".." never leaves it */
        struct stat st;
        int r;

        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        if (fstat(root_fd, &st) < 0)
                return -errno;
        shown = strdup(root);
        if (!shown)
                return -ENOMEM;
        r = component_problem(&st, shown, trusted_uid, &problem);
        if (r < 0)
                return r;
        if (problem)
                goto refuse;

        if (path[0] != '/' && streq(root, "/")) {
                /* The directories above the working directory count too. */
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)))
                        return -errno;
                if (asprintf(&todo, "%s/%s", cwd, path) < 0)
                        return -ENOMEM;
        } else if (!(todo = strdup(path)))
                return -ENOMEM;

        dir_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (dir_fd < 0)
                return -errno;

        for (char *rest = todo;;) {
                _cleanup_close_ int fd = -1;
                char *name;

                while (*rest == '/')
                        rest++;
                if (!*rest)
                        /* The path ended in a directory ("/etc/"). */
                        return strdup_printf(ret_problem, "%s is a directory, not a regular file", shown);
                name = rest;
                rest += strcspn(rest, "/");
                bool last = strspn(rest, "/") == strlen(rest);
                if (*rest)
                        *rest++ = 0;

                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        if (depth == 0)
                                continue;
                        fd = openat(dir_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0)
                                return -errno;
                        shown_up(shown, root);
                        depth--;
                        closep(&dir_fd);
                        dir_fd = TAKE_FD(fd);
                        if (last)
                                return strdup_printf(ret_problem, "%s is a directory, not a regular file", shown);
                        continue;
                }

                /* O_PATH opens nothing for reading: a FIFO or a device cannot block us or act on the open. */
                fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (fstat(fd, &st) < 0)
                        return -errno;
                r = append_component(&shown, name);
                if (r < 0)
                        return r;

                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n;

                        r = component_problem(&st, shown, trusted_uid, &problem);
                        if (r < 0)
                                return r;
                        if (problem)
                                goto refuse;
                        if (++symlinks > SYMLINKS_MAX)
                                return -ELOOP;
                        n = readlinkat(fd, "", target, sizeof(target) - 1);
                        if (n < 0)
                                return -errno;
                        if ((size_t) n >= sizeof(target) - 1)
                                return -ENAMETOOLONG;
                        target[n] = 0;

                        /* Go on from the link's directory (or from ROOT) with the target, then the rest. */
                        char *next;
                        if (asprintf(&next, "%s/%s", target, rest) < 0)
                                return -ENOMEM;
                        free(todo);
                        todo = rest = next;
                        shown_up(shown, root);
                        if (target[0] == '/') {
                                closep(&dir_fd);
                                dir_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
                                if (dir_fd < 0)
                                        return -errno;
                                free(shown);
                                if (!(shown = strdup(root)))
                                        return -ENOMEM;
                                depth = 0;
                        }
                        continue;
                }

                if (S_ISDIR(st.st_mode)) {
                        r = component_problem(&st, shown, trusted_uid, &problem);
                        if (r < 0)
                                return r;
                        if (problem)
                                goto refuse;
                        if (last)
                                return strdup_printf(ret_problem, "%s is a directory, not a regular file", shown);
                        closep(&dir_fd);
                        dir_fd = TAKE_FD(fd);
                        depth++;
                        continue;
                }

                if (!last)
                        return -ENOTDIR;
                if (!S_ISREG(st.st_mode))
                        return strdup_printf(ret_problem, "%s is %s, not a regular file", shown,
                                             file_type_name(st.st_mode));
                r = component_problem(&st, shown, trusted_uid, &problem);
                if (r < 0)
                        return r;
                if (problem)
                        goto refuse;

                /* Now open it for reading, and make sure it is still the file that was checked. */
                _cleanup_close_ int read_fd = openat(dir_fd, name,
                                                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                struct stat st_read;
                if (read_fd < 0)
                        return -errno;
                if (fstat(read_fd, &st_read) < 0)
                        return -errno;
                if (st_read.st_dev != st.st_dev || st_read.st_ino != st.st_ino)
                        return strdup_printf(ret_problem, "%s was replaced while it was being checked", shown);
                *ret_fd = TAKE_FD(read_fd);
                return 0;
        }

refuse:
        *ret_problem = TAKE_PTR(problem);
        return 0;
}

int config_load_at(const char *root, const char *path, uid_t trusted_uid, Config **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL, *problem = NULL;
        size_t size = 0;
        int r;

        r = config_open_trusted(root, path, trusted_uid, &fd, &problem);
        if (r == -ENOENT) {
                Config *c = config_new(path);
                if (!c)
                        return -ENOMEM;
                c->missing = true;
                *ret = c;
                return 0;
        }
        if (r < 0)
                return r;

        if (problem) {
                /* Refuse everything, and never parse it: its errors would quote the bytes of a file that may
                 * not be meant for us (a symlink to /etc/shadow). */
                _cleanup_config_ Config *c = config_new(path);
                if (!c)
                        return -ENOMEM;
                c->errors = calloc(1, sizeof(ConfigError));
                if (!c->errors)
                        return -ENOMEM;
                c->errors[0] = (ConfigError) { .line = 0, .message = TAKE_PTR(problem) };
                c->n_errors = 1;
                *ret = TAKE_PTR(c);
                return 0;
        }

        /* The bytes come through the descriptor that was checked, never by path again. */
        r = read_full_fd(fd, CONFIG_SIZE_MAX, &text, &size);
        if (r < 0)
                return r;
        return config_parse_string(path, text, size, ret);
}

int config_load(const char *path, Config **ret) {
        return config_load_at("/", path, geteuid(), ret);
}

size_t config_count_valid_sections(const Config *c) {
        size_t n = 0;
        for (size_t i = 0; i < c->n_sections; i++)
                n += !c->sections[i].invalid;
        return n;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_sections; i++) {
                free(c->sections[i].name);
                free(c->sections[i].addresses);
                free(c->sections[i].address_lines);
                free(c->sections[i].address_domain_given);
                free(c->sections[i].driver);
                free(c->sections[i].reset_method);
                free(c->sections[i].vf_indexes);
        }
        for (size_t i = 0; i < c->n_errors; i++)
                free(c->errors[i].message);
        free(c->sections);
        free(c->errors);
        free(c->metrics_dir);
        free(c->path);
        free(c);
        return NULL;
}

void config_freep(Config **c) {
        config_free(*c);
}
