/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <fcntl.h>

#include "alloc-util.h"
#include "fileio.h"
#include "macro.h"
#include "network.h"
#include "string-util.h"
#include "sysroot.h"

/* A VLAN on a bond on a bridge is three; anything deeper is a loop or a lab. */
#define NET_STACK_MAX_DEPTH 6

#define RTF_UP     0x0001
#define RTF_REJECT 0x0200

bool route4_parse(const char *line, Route4 *ret) {
        Route4 r = {};
        unsigned gw;

        /* "Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT", numbers in hex. */
        if (sscanf(line, "%31s %8x %8x %4x %*d %*u %*d %8x", r.iface, &r.destination, &gw, &r.flags, &r.mask) != 5)
                return false;
        *ret = r;
        return true;
}

bool ipv6_default_route_parse(const char *line, char *ret_iface, size_t size) {
        char dst[33], iface[32];
        unsigned dst_len, flags;

        /* "DST DSTLEN SRC SRCLEN NEXTHOP METRIC REFCNT USE FLAGS IFACE". */
        if (sscanf(line, "%32s %2x %*32s %*2x %*32s %*8x %*8x %*8x %8x %31s", dst, &dst_len, &flags, iface) != 4)
                return false;
        if (dst_len != 0 || strspn(dst, "0") != 32 || !(flags & RTF_UP) || (flags & RTF_REJECT) || streq(iface, "lo"))
                return false;
        snprintf(ret_iface, size, "%s", iface);
        return true;
}

bool tcp_socket_parse(const char *line, bool ipv6, TcpSocket *ret) {
        TcpSocket s = { .ipv6 = ipv6 };
        char local[33];
        unsigned port, state;
        size_t hexlen = ipv6 ? 32 : 8;

        /* "SL: LOCAL:PORT REMOTE:PORT STATE ...": the address as 32-bit words printed from memory. */
        if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%4x %*[0-9A-Fa-f]:%*4x %2x", local, &port, &state) != 3 ||
            strlen(local) != hexlen)
                return false;
        for (size_t i = 0; i < hexlen / 8; i++) {
                char word[9];
                memcpy(word, local + i * 8, 8);
                word[8] = 0;
                uint32_t v = (uint32_t)strtoul(word, NULL, 16);
                memcpy(s.local + i * 4, &v, 4);
        }
        s.local_port = port;
        s.state = state;
        *ret = s;
        return true;
}

bool inet6_address_parse(const char *line, uint8_t ret_address[16], char *ret_iface, size_t size) {
        char hex[33], iface[32];

        /* "ADDRESS IFINDEX PREFIXLEN SCOPE FLAGS IFACE", the address byte by byte. */
        if (sscanf(line, "%32[0-9a-fA-F] %*x %*x %*x %*x %31s", hex, iface) != 2 || strlen(hex) != 32)
                return false;
        for (size_t i = 0; i < 16; i++) {
                char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
                ret_address[i] = (uint8_t)strtoul(byte, NULL, 16);
        }
        snprintf(ret_iface, size, "%s", iface);
        return true;
}

/* The copy of WHY belongs to n->nics, freed by network_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_nic(NetworkFacts *n, const char *name, const char *why) {
        for (size_t i = 0; i < n->n_nics; i++)
                if (streq(n->nics[i].name, name))
                        return 0; /* the first reason is enough */
        if (!GREEDY_REALLOC(n->nics, n->n_nics + 1))
                return -ENOMEM;
        ManagementNic *m = &n->nics[n->n_nics];
        *m = (ManagementNic){ .why = strdup(why) };
        if (!m->why)
                return -ENOMEM;
        snprintf(m->name, sizeof(m->name), "%s", name);
        n->n_nics++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

/* The deepest PCI function in a sysfs path: a USB NIC is behind its controller, which is what a claim takes. */
static bool last_pci_function(const char *path, char ret[PCI_ADDRESS_MAX]) {
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;
        bool found = false;

        if (!copy)
                return false;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (pci_address_is_canonical(c)) {
                        snprintf(ret, PCI_ADDRESS_MAX, "%s", c);
                        found = true;
                }
        return found;
}

typedef struct Lowers {
        char **names;
        size_t n;
} Lowers;

static void lowers_done(Lowers *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->names[i]);
        free(l->names);
}

/* The names in DIR that start with PREFIX, without it. */
/* The copies belong to l->names, freed by lowers_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int lowers_add(Lowers *l, const char *dir, const char *prefix) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                if (!GREEDY_REALLOC(l->names, l->n + 1) || !(l->names[l->n] = strdup(de->d_name + strlen(prefix))))
                        return -ENOMEM;
                l->n++;
        }
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Follow IFACE down to the PCI functions under it: its own device, or the interfaces it stacks on (a
 * bridge's ports, a bond's slaves, a VLAN's parent all appear as lower_NAME links). CHAIN says how. */
static int add_interface(NetworkFacts *n, const char *root, const char *iface, const char *use, const char *chain,
                         unsigned depth) {
        _cleanup_free_ char *here = NULL;
        char path[PATH_MAX], real[PATH_MAX], fn[PCI_ADDRESS_MAX];
        int r;

        if (depth > NET_STACK_MAX_DEPTH || strchr(iface, '/'))
                return 0;
        if (strextendf_with_separator(&here, NULL, "%s%s%s", chain ?: "", chain ? " > " : "", iface) < 0)
                return -ENOMEM;
        if (realpath(root_path(path, root, "/sys/class/net/%s/device", iface), real) && last_pci_function(real, fn)) {
                _cleanup_free_ char *why = format_alloc("%s on %s", use, here);
                return why ? add_nic(n, fn, why) : -ENOMEM;
        }
        /* The interfaces under it, in name order so that reports do not depend on directory order. Older
         * kernels name a bridge's ports only in brif/. */
        _cleanup_(lowers_done) Lowers lowers = {};
        r = lowers_add(&lowers, root_path(path, root, "/sys/class/net/%s", iface), "lower_");
        if (r >= 0)
                r = lowers_add(&lowers, root_path(path, root, "/sys/class/net/%s/brif", iface), "");
        if (r < 0)
                return r;
        if (lowers.n > 1) /* qsort() wants an array even for nothing to sort, and there may be none */
                qsort(lowers.names, lowers.n, sizeof(char *), compare_names);
        for (size_t i = 0; i < lowers.n; i++) {
                if (i > 0 && streq(lowers.names[i], lowers.names[i - 1]))
                        continue;
                r = add_interface(n, root, lowers.names[i], use, here, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct Live {
        Route4 *routes;
        size_t n_routes;
        TcpSocket *sockets;
        size_t n_sockets;
        char (*ipv6_defaults)[32];
        size_t n_ipv6_defaults;
} Live;

static void live_done(Live *l) {
        free(l->routes);
        free(l->sockets);
        free(l->ipv6_defaults);
}

static int add_route_line(char *line, void *userdata) {
        Live *l = userdata;
        Route4 r;

        if (!route4_parse(line, &r) || !(r.flags & RTF_UP) || (r.flags & RTF_REJECT) || streq(r.iface, "lo"))
                return 0;
        if (!GREEDY_REALLOC(l->routes, l->n_routes + 1))
                return -ENOMEM;
        l->routes[l->n_routes++] = r;
        return 0;
}

static int add_ipv6_route_line(char *line, void *userdata) {
        Live *l = userdata;
        char iface[32];

        if (!ipv6_default_route_parse(line, iface, sizeof(iface)))
                return 0;
        if (!GREEDY_REALLOC(l->ipv6_defaults, l->n_ipv6_defaults + 1))
                return -ENOMEM;
        memcpy(l->ipv6_defaults[l->n_ipv6_defaults++], iface, sizeof(iface));
        return 0;
}

typedef struct SocketLoad {
        Live *live;
        bool ipv6;
} SocketLoad;

static int add_tcp_line(char *line, void *userdata) {
        SocketLoad *load = userdata;
        TcpSocket s;

        if (!tcp_socket_parse(line, load->ipv6, &s) || (s.state != TCP_ESTABLISHED && s.state != TCP_LISTEN))
                return 0;
        if (!GREEDY_REALLOC(load->live->sockets, load->live->n_sockets + 1))
                return -ENOMEM;
        load->live->sockets[load->live->n_sockets++] = s;
        return 0;
}

/* An established session is inbound when its local port is one the host listens on. */
static bool is_inbound(const Live *l, const TcpSocket *s) {
        if (s->state != TCP_ESTABLISHED)
                return false;
        for (size_t i = 0; i < l->n_sockets; i++)
                if (l->sockets[i].state == TCP_LISTEN && l->sockets[i].local_port == s->local_port)
                        return true;
        return false;
}

static const char *route_for_ipv4(const Live *l, uint32_t address) {
        const Route4 *best = NULL;

        for (size_t i = 0; i < l->n_routes; i++) {
                const Route4 *r = &l->routes[i];
                if ((address & r->mask) != r->destination)
                        continue;
                if (!best || __builtin_popcount(r->mask) > __builtin_popcount(best->mask))
                        best = r;
        }
        return best ? best->iface : NULL;
}

typedef struct Inet6Find {
        const uint8_t *address;
        char iface[32];
} Inet6Find;

static int find_inet6_line(char *line, void *userdata) {
        Inet6Find *f = userdata;
        uint8_t a[16];
        char iface[32];

        if (inet6_address_parse(line, a, iface, sizeof(iface)) && memcmp(a, f->address, 16) == 0)
                memcpy(f->iface, iface, sizeof(iface));
        return 0;
}

static bool is_v4_mapped(const uint8_t a[16]) {
        static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        return memcmp(a, prefix, 12) == 0;
}

static int add_session(NetworkFacts *n, const char *root, const Live *l, const TcpSocket *s) {
        char path[PATH_MAX], text[INET6_ADDRSTRLEN], use[INET6_ADDRSTRLEN + 64];
        const char *iface = NULL;
        Inet6Find find = { .address = s->local };
        uint32_t v4;

        if (!s->ipv6 || is_v4_mapped(s->local)) {
                memcpy(&v4, s->ipv6 ? s->local + 12 : s->local, 4);
                iface = route_for_ipv4(l, v4);
                inet_ntop(AF_INET, &v4, text, sizeof(text));
        } else {
                int r = read_file_lines(root_path(path, root, "/proc/net/if_inet6"), find_inet6_line, &find);
                if (r < 0 && r != -ENOENT)
                        return r;
                iface = find.iface[0] && !streq(find.iface, "lo") ? find.iface : NULL;
                inet_ntop(AF_INET6, s->local, text, sizeof(text));
        }
        if (!iface)
                return 0;
        snprintf(use, sizeof(use), "the address %s of an inbound session (port %u)", text, s->local_port);
        return add_interface(n, root, iface, use, NULL, 0);
}

int network_load_live(NetworkFacts *n, const char *root) {
        _cleanup_(live_done) Live l = {};
        char path[PATH_MAX];
        int r;

        r = read_file_lines(root_path(path, root, "/proc/net/route"), add_route_line, &l);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_file_lines(root_path(path, root, "/proc/net/ipv6_route"), add_ipv6_route_line, &l);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_file_lines(root_path(path, root, "/proc/net/tcp"), add_tcp_line, &(SocketLoad){ &l, false });
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_file_lines(root_path(path, root, "/proc/net/tcp6"), add_tcp_line, &(SocketLoad){ &l, true });
        if (r < 0 && r != -ENOENT)
                return r;

        for (size_t i = 0; i < l.n_routes; i++)
                if (l.routes[i].destination == 0 && l.routes[i].mask == 0) {
                        r = add_interface(n, root, l.routes[i].iface, "the default route", NULL, 0);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < l.n_ipv6_defaults; i++) {
                r = add_interface(n, root, l.ipv6_defaults[i], "the IPv6 default route", NULL, 0);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < l.n_sockets; i++) {
                if (!is_inbound(&l, &l.sockets[i]))
                        continue;
                r = add_session(n, root, &l, &l.sockets[i]);
                if (r < 0)
                        return r;
        }
        n->known = n->known || l.n_routes > 0 || l.n_ipv6_defaults > 0;
        return 0;
}

/* Does the record's line name a function that is here now, with the ids it had when recorded? */
static bool record_line_matches(const char *root, const char *line, char ret_name[PCI_ADDRESS_MAX],
                                const char **ret_why) {
        char addr[PCI_ADDRESS_MAX + 8], path[PATH_MAX];
        unsigned vendor, device;
        unsigned long v, d;
        int n = 0;

        if (sscanf(line, "%31s %4x:%4x%n", addr, &vendor, &device, &n) != 3 || !pci_address_is_canonical(addr) ||
            line[n] != '\t' || strlen(addr) >= PCI_ADDRESS_MAX)
                return false;
        if (read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", addr), &v) < 0 ||
            read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", addr), &d) < 0 || v != vendor ||
            d != device)
                return false;
        memcpy(ret_name, addr, strlen(addr) + 1);
        *ret_why = line + n + 1;
        return true;
}

int network_load_record(NetworkFacts *n, const char *root, const char *record) {
        _cleanup_free_ char *text = NULL, *copy = NULL;
        char path[PATH_MAX], name[PCI_ADDRESS_MAX];
        const char *why;
        char *save = NULL;
        size_t lines = 0;
        int r;

        r = read_full_file(root_path(path, root, "%s", record), &text, NULL);
        if (r < 0)
                return r;
        /* All or nothing: one line of another machine (the image was built in a chroot, or on another
         * host) means none of it describes this one. */
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++)
                if (!record_line_matches(root, line, name, &why))
                        return -ESTALE;
        if (lines == 0)
                return -ESTALE;
        save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                (void)record_line_matches(root, line, name, &why);
                /* The root stage reads the record the initramfs stage handed over, which says so already. */
                _cleanup_free_ char *recorded =
                        strstr(why, "(recorded ") ? strdup(why)
                                                  : format_alloc("%s (recorded when the initramfs was built)", why);
                if (!recorded)
                        return -ENOMEM;
                r = add_nic(n, name, recorded);
                if (r < 0)
                        return r;
        }
        n->known = true;
        n->recorded = true;
        return 0;
}

void network_done(NetworkFacts *n) {
        for (size_t i = 0; i < n->n_nics; i++)
                free(n->nics[i].why);
        free(n->nics);
        *n = (NetworkFacts){};
}

const char *network_use_of(const NetworkFacts *n, const char *device) {
        for (size_t i = 0; i < n->n_nics; i++)
                if (streq(n->nics[i].name, device))
                        return n->nics[i].why;
        return NULL;
}

int network_write_record(const NetworkFacts *n, const char *root, FILE *out) {
        for (size_t i = 0; i < n->n_nics; i++) {
                char path[PATH_MAX];
                unsigned long vendor, device;
                /* The ids let the initramfs tell a record of this machine from one made elsewhere. */
                if (read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/vendor", n->nics[i].name), &vendor) <
                            0 ||
                    read_attr_hex(root_path(path, root, "/sys/bus/pci/devices/%s/device", n->nics[i].name), &device) <
                            0)
                        continue;
                fprintf(out, "%s\t%04lx:%04lx\t%s\n", n->nics[i].name, vendor, device, n->nics[i].why);
        }
        return 0;
}

/* The copies belong to k, freed by keyboards_done(). */
ANALYZER_OWNED_BY_ARRAY_BEGIN
static int add_keyboard(Keyboards *k, const char *sysfs, const char *name) {
        if (!GREEDY_REALLOC(k->paths, k->n + 1) || !GREEDY_REALLOC(k->names, k->n + 1))
                return -ENOMEM;
        k->paths[k->n] = strdup(sysfs);
        k->names[k->n] = strdup(name);
        if (!k->paths[k->n] || !k->names[k->n]) {
                free(k->paths[k->n]);
                free(k->names[k->n]);
                return -ENOMEM;
        }
        k->n++;
        return 0;
}
ANALYZER_OWNED_BY_ARRAY_END

static bool has_word(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
                if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
                        return true;
        return false;
}

#define EV_LED_BIT 17

int keyboards_parse(Keyboards *k, char *text) {
        const char *sysfs = NULL, *name = "";
        bool kbd = false;
        unsigned long ev = 0;
        char *save = NULL;
        int r;

        /* Blocks of "X: ..." lines, one per input device, separated by blank lines. The block ends at the
         * next "I:" line too, so a missing blank line does not merge two devices. */
        for (char *line = strtok_r(text, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
                if (!line || strncmp(line, "I:", 2) == 0) {
                        if (sysfs && kbd && (ev & (1UL << EV_LED_BIT))) {
                                r = add_keyboard(k, sysfs, name);
                                if (r < 0)
                                        return r;
                        }
                        sysfs = NULL;
                        name = "";
                        kbd = false;
                        ev = 0;
                        if (!line)
                                return 0;
                        continue;
                }
                if (strncmp(line, "N: Name=", 8) == 0) {
                        name = line + 8;
                        if (*name == '"') {
                                name++;
                                char *q = strrchr(line + 9, '"');
                                if (q)
                                        *q = 0;
                        }
                } else if (strncmp(line, "S: Sysfs=", 9) == 0)
                        sysfs = line + 9;
                else if (strncmp(line, "H: Handlers=", 12) == 0)
                        kbd = has_word(line + 12, "kbd");
                else if (strncmp(line, "B: EV=", 6) == 0)
                        ev = strtoul(line + 6, NULL, 16);
        }
}

int keyboards_load(Keyboards *k, const char *root) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        int r;

        r = read_full_file(root_path(path, root, "/proc/bus/input/devices"), &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return keyboards_parse(k, text);
}

void keyboards_done(Keyboards *k) {
        for (size_t i = 0; i < k->n; i++) {
                free(k->paths[i]);
                free(k->names[i]);
        }
        free(k->paths);
        free(k->names);
        *k = (Keyboards){};
}

static bool path_has_component(const char *path, const char *component) {
        size_t n = strlen(component);
        for (const char *p = strstr(path, component); p; p = strstr(p + 1, component))
                if (p > path && p[-1] == '/' && (p[n] == '/' || p[n] == 0))
                        return true;
        return false;
}

void keyboards_count(const Keyboards *k, const char *device, size_t *ret_behind, size_t *ret_elsewhere) {
        size_t behind = 0;
        for (size_t i = 0; i < k->n; i++)
                behind += path_has_component(k->paths[i], device);
        *ret_behind = behind;
        *ret_elsewhere = k->n - behind;
}
