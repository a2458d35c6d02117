/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "config.h"
#include "fileio.h"
#include "macro.h"

/* inih cuts longer lines and names silently; we reject them ourselves with a line number. */
#define LINE_MAX_BYTES 190
#define NAME_MAX_BYTES 50

enum {
        KEY_ADDRESS = 1u << 0,
        KEY_FUNCTIONS = 1u << 1,
        KEY_EXPECT = 1u << 2,
        KEY_DRIVER = 1u << 3,
        KEY_FORCE = 1u << 4,
        KEY_RESET_METHOD = 1u << 5,
        KEY_GROUP_POLICY = 1u << 6,
        KEY_TIMEOUT = 1u << 7,
};

typedef struct ParseState {
        Config *config;
        const char *text;
        size_t size;
        size_t offset;
        unsigned line;
        bool in_global;
        unsigned global_line;
        unsigned global_keys;
        DeviceSection *section; /* NULL before the first section and inside [global] */
        int oom;
} ParseState;

const char *device_section_driver(const DeviceSection *s) {
        return s->driver ?: DEFAULT_VFIO_DRIVER;
}

const char *group_policy_to_string(GroupPolicy p) {
        return p == GROUP_POLICY_REFUSE ? "refuse" : "warn";
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

        ConfigError *e = realloc(c->errors, (c->n_errors + 1) * sizeof(*e));
        if (!e) {
                free(msg);
                st->oom = -ENOMEM;
                return;
        }
        c->errors = e;
        c->errors[c->n_errors++] = (ConfigError) { .line = line, .message = msg };
        if (st->section)
                st->section->invalid = true;
}

static DeviceSection *find_section(Config *c, const char *name) {
        for (size_t i = 0; i < c->n_sections; i++)
                if (streq(c->sections[i].name, name))
                        return &c->sections[i];
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

        if (strlen(name) > NAME_MAX_BYTES) {
                add_error(st, st->line, "section name is longer than %d characters", NAME_MAX_BYTES);
                st->in_global = true; /* swallow its keys without creating a device */
                st->global_keys = ~0u;
                return;
        }
        if (streq(name, "global")) {
                if (st->global_line > 0)
                        add_error(st, st->line, "section [global] already started at line %u", st->global_line);
                st->in_global = true;
                st->global_line = st->global_line ?: st->line;
                return;
        }

        /* Look before growing the array: realloc may move every section. */
        DeviceSection *old = find_section(c, name);
        unsigned old_line = old ? old->line : 0;
        DeviceSection *s = realloc(c->sections, (c->n_sections + 1) * sizeof(*s));
        if (!s) {
                st->oom = -ENOMEM;
                return;
        }
        c->sections = s;
        s = &c->sections[c->n_sections++];
        *s = (DeviceSection) { .line = st->line, .name = strdup(name) };
        if (!s->name)
                st->oom = -ENOMEM;
        st->section = s;

        if (old_line > 0)
                add_error(st, st->line, "section [%s] already defined at line %u; use one section per label", name,
                          old_line);
        else if (!valid_label(name))
                add_error(st, st->line,
                          "section name '%s' may only contain letters, digits and _ - . : @", name);
}

/* Prepare one line for inih: leading white space would turn it into a continuation of the previous value
 * (inih's multi-line mode), "#" after white space starts a comment, and malformed lines are reported here
 * with their number and then handed over blank so inih does not stop at them. */
static char *reader(char *str, int num, void *stream) {
        ParseState *st = stream;
        const char *p, *eol;
        size_t len;

        if (st->offset >= st->size)
                return NULL;

        p = st->text + st->offset;
        eol = memchr(p, '\n', st->size - st->offset);
        len = eol ? (size_t) (eol - p) : st->size - st->offset;
        st->offset += len + (eol ? 1 : 0);
        st->line++;

        str[0] = 0;
        if (len > LINE_MAX_BYTES) {
                add_error(st, st->line, "line is longer than %d characters", LINE_MAX_BYTES);
                return str;
        }

        char line[LINE_MAX_BYTES + 1];
        memcpy(line, p, len);
        line[len] = 0;
        if (strlen(line) != len) {
                add_error(st, st->line, "line contains a NUL byte");
                return str;
        }

        /* Strip CR, leading and trailing white space, and end-of-line comments. */
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
                return str;

        if (*s == '[') {
                if (end[-1] != ']') {
                        add_error(st, st->line, "expected ']' at the end of the section header");
                        return str;
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
                        return str;
                }
                begin_section(st, name);
                snprintf(str, num, "[%s]", strlen(name) > NAME_MAX_BYTES ? "overlong" : name);
                return str;
        }

        char *eq = strchr(s, '=');
        if (!eq) {
                add_error(st, st->line, "expected 'key = value' or '[section]', got '%s'", s);
                return str;
        }
        char *key_end = eq;
        while (key_end > s && isspace((unsigned char) key_end[-1]))
                key_end--;
        if (key_end == s) {
                add_error(st, st->line, "expected a key before '='");
                return str;
        }
        if ((size_t) (key_end - s) > NAME_MAX_BYTES) {
                add_error(st, st->line, "key is longer than %d characters", NAME_MAX_BYTES);
                return str;
        }
        if (!st->section && !st->in_global) {
                add_error(st, st->line, "key '%.*s' outside of any section; start a device with [label]",
                          (int) (key_end - s), s);
                return str;
        }

        snprintf(str, num, "%s\n", s);
        return str;
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

static bool valid_driver_name(const char *v) {
        if (!*v || strlen(v) > 64)
                return false;
        for (; *v; v++)
                if (!isalnum((unsigned char) *v) && *v != '_' && *v != '-')
                        return false;
        return true;
}

static bool valid_reset_methods(const char *v) {
        static const char *const methods[] = { "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus" };
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;
        size_t n = 0;

        if (!copy)
                return false;
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save), n++) {
                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                        known = known || streq(tok, methods[i]);
                if (!known)
                        return false;
        }
        return n > 0;
}

static bool address_already_named(ParseState *st, const PciAddress *a, const char **ret_section, unsigned *ret_line) {
        Config *c = st->config;
        for (size_t i = 0; i < c->n_sections; i++)
                for (size_t j = 0; j < c->sections[i].n_addresses; j++)
                        if (pci_address_equal(&c->sections[i].addresses[j], a)) {
                                *ret_section = c->sections[i].name;
                                *ret_line = c->sections[i].address_lines[j];
                                return true;
                        }
        return false;
}

static void parse_addresses(ParseState *st, DeviceSection *s, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        size_t n = 0;

        if (!copy) {
                st->oom = -ENOMEM;
                return;
        }
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save), n++) {
                PciAddress a;
                const char *other;
                unsigned other_line;
                char buf[PCI_ADDRESS_MAX];

                if (pci_address_parse(tok, &a) < 0) {
                        add_error(st, st->line,
                                  "'%s' is not a PCI address; expected [DOMAIN:]BUS:SLOT.FUNCTION in hex, "
                                  "bus <= ff, slot <= 1f, function <= 7, e.g. 0000:01:00.0",
                                  tok);
                        continue;
                }
                if (address_already_named(st, &a, &other, &other_line)) {
                        add_error(st, st->line, "%s is already named in [%s] at line %u; name each function once",
                                  pci_address_format(&a, buf), other, other_line);
                        continue;
                }
                PciAddress *arr = realloc(s->addresses, (s->n_addresses + 1) * sizeof(*arr));
                if (!arr) {
                        st->oom = -ENOMEM;
                        return;
                }
                s->addresses = arr;
                unsigned *lines = realloc(s->address_lines, (s->n_addresses + 1) * sizeof(*lines));
                if (!lines) {
                        st->oom = -ENOMEM;
                        return;
                }
                s->address_lines = lines;
                bool *given = realloc(s->address_domain_given, (s->n_addresses + 1) * sizeof(*given));
                if (!given) {
                        st->oom = -ENOMEM;
                        return;
                }
                s->address_domain_given = given;
                s->addresses[s->n_addresses] = a;
                s->address_lines[s->n_addresses] = st->line;
                s->address_domain_given[s->n_addresses] = pci_address_has_domain(tok);
                s->n_addresses++;
        }
        if (n == 0)
                add_error(st, st->line, "address needs at least one PCI address, e.g. 0000:01:00.0");
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

        if (st->global_keys == ~0u)
                return; /* inside an overlong section name: already reported */

        if (streq(name, "nonviable_group")) {
                if (!mark_key(st, &st->global_keys, KEY_GROUP_POLICY, name))
                        return;
                if (streq(value, "warn"))
                        c->group_policy = GROUP_POLICY_WARN;
                else if (streq(value, "refuse"))
                        c->group_policy = GROUP_POLICY_REFUSE;
                else
                        add_error(st, st->line, "nonviable_group must be 'warn' or 'refuse', got '%s'", value);
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
        } else
                add_error(st, st->line, "unknown key '%s' in [global]; known keys: nonviable_group, timeout", name);
}

static void handle_device(ParseState *st, DeviceSection *s, const char *name, const char *value) {
        if (streq(name, "address")) {
                /* Repeating address adds functions: one line per function reads well for big sections. */
                s->seen_keys |= KEY_ADDRESS;
                parse_addresses(st, s, value);
        } else if (streq(name, "functions")) {
                if (!mark_key(st, &s->seen_keys, KEY_FUNCTIONS, name))
                        return;
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
                if (!valid_driver_name(value))
                        add_error(st, st->line, "driver must be a kernel driver name such as vfio-pci, got '%s'",
                                  value);
                else if (!(s->driver = strdup(value)))
                        st->oom = -ENOMEM;
        } else if (streq(name, "force")) {
                if (!mark_key(st, &s->seen_keys, KEY_FORCE, name))
                        return;
                if (!parse_bool(value, &s->force))
                        add_error(st, st->line, "force must be yes or no, got '%s'", value);
        } else if (streq(name, "reset_method")) {
                if (!mark_key(st, &s->seen_keys, KEY_RESET_METHOD, name))
                        return;
                if (!valid_reset_methods(value))
                        add_error(st, st->line,
                                  "reset_method must list methods from device_specific, acpi, flr, af_flr, pm, bus, "
                                  "cxl_bus, got '%s'",
                                  value);
                else if (!(s->reset_method = strdup(value)))
                        st->oom = -ENOMEM;
        } else
                add_error(st, st->line,
                          "unknown key '%s' in [%s]; known keys: address, functions, expect, driver, force, "
                          "reset_method",
                          name, s->name);
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        ParseState *st = user;

        if (!*value) {
                add_error(st, st->line, "key '%s' has no value", name);
                return 1;
        }
        if (st->in_global)
                handle_global(st, name, value);
        else if (st->section)
                handle_device(st, st->section, name, value);
        /* Always continue: every error in the file is reported, not only the first. */
        return 1;
}

static void check_sections_complete(ParseState *st) {
        Config *c = st->config;
        for (size_t i = 0; i < c->n_sections; i++) {
                DeviceSection *s = &c->sections[i];
                if (s->n_addresses == 0 && !(s->seen_keys & KEY_ADDRESS)) {
                        st->section = s;
                        add_error(st, s->line, "section [%s] has no address; add e.g. 'address = 0000:01:00.0'",
                                  s->name);
                }
        }
        st->section = NULL;
}

int config_parse_string(const char *path, const char *text, size_t size, Config **ret) {
        Config *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->timeout_sec = DEFAULT_DEVICE_TIMEOUT_SEC;
        c->group_policy = GROUP_POLICY_WARN;
        c->path = strdup(path);
        if (!c->path) {
                config_free(c);
                return -ENOMEM;
        }
        c->hash = config_hash_bytes(text, size);

        ParseState st = { .config = c, .text = text, .size = size };
        /* A UTF-8 byte order mark is harmless; skip it so line 1 parses. */
        if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                st.offset = 3;

        int r = ini_parse_stream(reader, &st, handler, &st);
        if (st.oom < 0) {
                config_free(c);
                return st.oom;
        }
        if (r > 0 && c->n_errors == 0)
                add_error(&st, (unsigned) r, "cannot parse this line");
        else if (r < 0 && c->n_errors == 0)
                add_error(&st, 0, "cannot parse the file");
        check_sections_complete(&st);
        if (st.oom < 0) {
                config_free(c);
                return st.oom;
        }
        *ret = c;
        return 0;
}

/* Root acts on this file at boot: a file or directory that others can change would let them pick which
 * devices the host loses. Owners we trust: root, and whoever runs us (tests, unprivileged checks). */
static int check_trusted(const char *path, const struct stat *st_file, char **ret_problem) {
        _cleanup_free_ char *dir = strdup(path);
        struct stat st_dir;

        if (!dir)
                return -ENOMEM;
        if (st_file->st_uid != 0 && st_file->st_uid != geteuid())
                return strdup_printf(ret_problem, "is owned by uid %u, not root", (unsigned) st_file->st_uid);
        if (st_file->st_mode & (S_IWGRP | S_IWOTH))
                return strdup_printf(ret_problem, "is writable by group or others (mode %04o); run chmod go-w",
                                     (unsigned) (st_file->st_mode & 07777));

        char *slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                strcpy(dir, ".");
        if (stat(dir, &st_dir) < 0)
                return 0;
        if ((st_dir.st_mode & S_IWOTH) && !(st_dir.st_mode & S_ISVTX))
                return strdup_printf(ret_problem, "is in directory %s, which anyone can write to", dir);
        if (st_dir.st_uid != 0 && st_dir.st_uid != geteuid())
                return strdup_printf(ret_problem, "is in directory %s, owned by uid %u, not root", dir,
                                     (unsigned) st_dir.st_uid);
        return 0;
}

int config_load(const char *path, Config **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL, *problem = NULL;
        struct stat st;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                Config *c = calloc(1, sizeof(*c));
                if (!c || !(c->path = strdup(path))) {
                        free(c);
                        return -ENOMEM;
                }
                c->missing = true;
                c->timeout_sec = DEFAULT_DEVICE_TIMEOUT_SEC;
                *ret = c;
                return 0;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;

        size_t size = 0;
        char fdpath[64];
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        r = read_full_file(fdpath, &text, &size);
        if (r < 0)
                r = read_full_file(path, &text, &size);
        if (r < 0)
                return r;

        r = check_trusted(path, &st, &problem);
        if (r < 0)
                return r;

        r = config_parse_string(path, text, size, ret);
        if (r < 0)
                return r;

        if (problem) {
                /* Refuse everything: parse anyway so other mistakes are reported together. */
                Config *c = *ret;
                ConfigError *e = realloc(c->errors, (c->n_errors + 1) * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                c->errors = e;
                memmove(c->errors + 1, c->errors, c->n_errors * sizeof(*e));
                c->errors[0] = (ConfigError) { .line = 0, .message = TAKE_PTR(problem) };
                c->n_errors++;
                for (size_t i = 0; i < c->n_sections; i++)
                        c->sections[i].invalid = true;
        }
        return 0;
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
        }
        for (size_t i = 0; i < c->n_errors; i++)
                free(c->errors[i].message);
        free(c->sections);
        free(c->errors);
        free(c->path);
        free(c);
        return NULL;
}

void config_freep(Config **c) {
        config_free(*c);
}
