/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim-util.h"
#include "simnet.h"

/* Statements are kept as their words and turned into files at build time, in order: an interface must be
 * declared before a bridge, bond or VLAN stacks on it. */
typedef struct Statement {
        char **tok;
        size_t n;
} Statement;

struct SimNet {
        Statement *st;
        size_t n;
};

static const char *const keywords[] = { "netdev", "route", "route6", "inet6", "tcp", "input" };

SimNet *sim_net_new(void) {
        return calloc(1, sizeof(SimNet));
}

void sim_net_free(SimNet *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++) {
                for (size_t j = 0; j < n->st[i].n; j++)
                        free(n->st[i].tok[j]);
                free(n->st[i].tok);
        }
        free(n->st);
        free(n);
}

bool sim_net_keyword(const char *word) {
        for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
                if (!strcmp(word, keywords[i]))
                        return true;
        return false;
}

static const char *value_of(const Statement *s, const char *key) {
        size_t len = strlen(key);
        for (size_t i = 1; i < s->n; i++)
                if (!strncmp(s->tok[i], key, len) && s->tok[i][len] == '=')
                        return s->tok[i] + len + 1;
        return NULL;
}

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int sim_net_parse(SimNet *n, char **tok, size_t n_tok, char *err, size_t err_size) {
        static const size_t min_words[] = { 2, 3, 3, 3, 3, 2 };
        size_t k = 0;

        while (strcmp(keywords[k], tok[0]))
                k++;
        if (n_tok < min_words[k])
                return fail(err, err_size, "%s: too few words", tok[0]);
        if (!strcmp(tok[0], "netdev") && strlen(tok[1]) > 15)
                return fail(err, err_size, "netdev: interface name '%s' is longer than 15 characters", tok[1]);

        Statement *grown = realloc(n->st, (n->n + 1) * sizeof(Statement));
        if (!grown)
                return -ENOMEM;
        n->st = grown;
        Statement *s = &n->st[n->n];
        s->tok = calloc(n_tok, sizeof(char *));
        if (!s->tok)
                return -ENOMEM;
        s->n = 0;
        n->n++;
        for (size_t i = 0; i < n_tok; i++) {
                if (!(s->tok[i] = strdup(tok[i])))
                        return -ENOMEM;
                s->n++;
        }
        return 0;
}

typedef struct Build {
        const char *root;
        SimDevicePath path_of;
        void *userdata;
        FILE *route, *route6, *inet6, *tcp, *tcp6, *input;
        unsigned ifindex, tcp_slot, tcp6_slot, input_no;
} Build;

static int berr(const Statement *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int berr(const Statement *s, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s: ", s->tok[0]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

static char *iface_dir(const Build *b, const char *name) {
        return sim_path("%s/sys/class/net/%s", b->root, name);
}

static int link_rel(const char *target, const char *link) {
        int r = sim_symlink_rel(target, link);
        return r == -EEXIST ? 0 : r;
}

/* lower_LOWER in UPPER, upper_UPPER in LOWER: how the kernel shows any stacking (bridge, bond, VLAN). */
static int stack(const Build *b, const Statement *s, const char *upper, const char *lower, const char *kind) {
        char *up = iface_dir(b, upper), *low = iface_dir(b, lower);
        char real_up[4096], real_low[4096];
        int r = 0;

        if (!up || !low) {
                r = -ENOMEM;
                goto out;
        }
        if (!realpath(low, real_low)) {
                r = berr(s, "%s: lower interface %s is not declared above", upper, lower);
                goto out;
        }
        if (!realpath(up, real_up)) {
                r = -errno;
                goto out;
        }
        char *l1 = sim_path("%s/lower_%s", real_up, lower), *l2 = sim_path("%s/upper_%s", real_low, upper);
        if (!l1 || !l2)
                r = -ENOMEM;
        if (r == 0)
                r = link_rel(real_low, l1);
        if (r == 0)
                r = link_rel(real_up, l2);
        free(l1);
        free(l2);
        if (r < 0 || !strcmp(kind, "vlan"))
                goto out;
        /* A bridge port and a bond slave have a master. */
        char *master = sim_path("%s/master", real_low);
        r = master ? link_rel(real_up, master) : -ENOMEM;
        free(master);
        if (r == 0 && !strcmp(kind, "bridge")) {
                char *brport = sim_path("%s/brport", real_low), *brif = sim_path("%s/brif/%s", real_up, lower);
                if (!brport || !brif)
                        r = -ENOMEM;
                if (r == 0)
                        r = sim_mkdir_p(brport, 0755);
                if (r == 0)
                        r = link_rel(brport, brif);
                free(brport);
                free(brif);
        }
out:
        free(up);
        free(low);
        return r;
}

static int build_netdev(Build *b, const Statement *s) {
        const char *name = s->tok[1], *pci = value_of(s, "pci"), *kind = value_of(s, "kind") ?: "ether";
        const char *lower = value_of(s, "lower");
        _cleanup_free_ char *list = NULL, *slaves = NULL;
        char *dir = NULL, *cls = NULL;
        int r;

        if (pci) {
                const char *dev = b->path_of(b->userdata, pci);
                if (!dev)
                        return berr(s, "%s: device %s is not declared", name, pci);
                dir = sim_path("%s/net/%s", dev, name);
        } else
                dir = sim_path("%s/sys/devices/virtual/net/%s", b->root, name);
        cls = iface_dir(b, name);
        if (!dir || !cls) {
                r = -ENOMEM;
                goto out;
        }
        if ((r = sim_mkdir_p(dir, 0755)) < 0 || (r = sim_mkdir_parents(cls, 0755)) < 0 || (r = link_rel(dir, cls)) < 0)
                goto out;
        b->ifindex++;
        char *f = sim_path("%s/ifindex", dir);
        r = f ? sim_write_strf(f, 0444, "%u\n", b->ifindex) : -ENOMEM;
        free(f);
        if (r == 0) {
                f = sim_path("%s/operstate", dir);
                r = f ? sim_write_str(f, "up\n", 0444) : -ENOMEM;
                free(f);
        }
        if (r == 0 && pci) {
                f = sim_path("%s/device", dir);
                r = f ? link_rel(b->path_of(b->userdata, pci), f) : -ENOMEM;
                free(f);
        }
        if (r == 0 && !strcmp(kind, "bridge")) {
                char *br = sim_path("%s/bridge", dir), *brif = sim_path("%s/brif", dir);
                r = br && brif ? sim_mkdir_p(br, 0755) : -ENOMEM;
                if (r == 0)
                        r = sim_mkdir_p(brif, 0755);
                free(br);
                free(brif);
        }
        if (r < 0 || !lower)
                goto out;
        if (strcmp(kind, "bridge") && strcmp(kind, "bond") && strcmp(kind, "vlan")) {
                r = berr(s, "%s: lower= needs kind=bridge, bond or vlan", name);
                goto out;
        }
        list = strdup(lower);
        if (!list) {
                r = -ENOMEM;
                goto out;
        }
        for (char *save = NULL, *l = strtok_r(list, ",", &save); l && r == 0; l = strtok_r(NULL, ",", &save)) {
                r = stack(b, s, name, l, kind);
                if (r == 0 && !strcmp(kind, "bond")) {
                        char *grown = sim_path("%s%s%s", slaves ?: "", slaves ? " " : "", l);
                        free(slaves);
                        slaves = grown;
                        if (!slaves)
                                r = -ENOMEM;
                }
        }
        if (r == 0 && slaves) {
                char *bonding = sim_path("%s/bonding", dir), *file = sim_path("%s/bonding/slaves", dir);
                r = bonding && file ? sim_mkdir_p(bonding, 0755) : -ENOMEM;
                if (r == 0)
                        r = sim_write_strf(file, 0444, "%s\n", slaves);
                free(bonding);
                free(file);
        }
out:
        free(dir);
        free(cls);
        return r;
}

/* Addresses as the kernel prints them in /proc/net: the 32-bit words of the address read from memory. */
static int parse_v4(const char *text, uint32_t *ret) {
        struct in_addr a;
        if (inet_pton(AF_INET, text, &a) != 1)
                return -EINVAL;
        memcpy(ret, &a, 4);
        return 0;
}

static void print_v6_words(FILE *f, const struct in6_addr *a) {
        uint32_t w[4];
        memcpy(w, a, 16);
        fprintf(f, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
}

static void print_v6_bytes(FILE *f, const struct in6_addr *a) {
        for (size_t i = 0; i < 16; i++)
                fprintf(f, "%02x", a->s6_addr[i]);
}

/* route IFACE DEST/PREFIX|default [gw=ADDR] */
static int build_route(Build *b, const Statement *s) {
        const char *gw_text = value_of(s, "gw");
        uint32_t dest = 0, mask = 0, gw = 0;
        unsigned prefix = 0;
        char dest_text[64];

        if (strcmp(s->tok[2], "default")) {
                if (sscanf(s->tok[2], "%63[0-9.]/%u", dest_text, &prefix) != 2 || prefix > 32 ||
                    parse_v4(dest_text, &dest) < 0)
                        return berr(s, "'%s' is not DEST/PREFIX or default", s->tok[2]);
                uint32_t host_mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
                uint32_t be = htonl(host_mask);
                memcpy(&mask, &be, 4);
        }
        if (gw_text && parse_v4(gw_text, &gw) < 0)
                return berr(s, "gw: '%s' is not an IPv4 address", gw_text);
        fprintf(b->route, "%s\t%08X\t%08X\t%04X\t0\t0\t%u\t%08X\t0\t0\t0\n", s->tok[1], dest, gw, gw ? 0x3 : 0x1,
                gw ? 100 : 0, mask);
        return 0;
}

/* route6 IFACE default */
static int build_route6(Build *b, const Statement *s) {
        if (strcmp(s->tok[2], "default"))
                return berr(s, "only the default route is described");
        fprintf(b->route6,
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 %8s\n",
                s->tok[1]);
        return 0;
}

/* inet6 IFACE ADDR/PREFIX */
static int build_inet6(Build *b, const Statement *s) {
        char text[64];
        unsigned prefix;
        struct in6_addr a;

        if (sscanf(s->tok[2], "%63[0-9a-fA-F:]/%u", text, &prefix) != 2 || inet_pton(AF_INET6, text, &a) != 1)
                return berr(s, "'%s' is not ADDR/PREFIX", s->tok[2]);
        print_v6_bytes(b->inet6, &a);
        fprintf(b->inet6, " %02x %02x %02x %02x %8s\n", b->ifindex, prefix, 0, 0x80, s->tok[1]);
        return 0;
}

/* tcp LOCAL:PORT REMOTE:PORT state=listen|established; IPv6 addresses in brackets. */
static int build_tcp(Build *b, const Statement *s) {
        const char *state = value_of(s, "state") ?: "established";
        char local[64], remote[64];
        unsigned lport, rport;
        bool v6 = s->tok[1][0] == '[';
        unsigned st = !strcmp(state, "listen") ? 0x0a : !strcmp(state, "established") ? 0x01 : 0;

        if (!st)
                return berr(s, "state must be listen or established, got '%s'", state);
        if (v6) {
                struct in6_addr la, ra;
                if (sscanf(s->tok[1], "[%63[0-9a-fA-F:.]]:%u", local, &lport) != 2 ||
                    sscanf(s->tok[2], "[%63[0-9a-fA-F:.]]:%u", remote, &rport) != 2 ||
                    inet_pton(AF_INET6, local, &la) != 1 || inet_pton(AF_INET6, remote, &ra) != 1)
                        return berr(s, "expected [LOCAL]:PORT [REMOTE]:PORT");
                fprintf(b->tcp6, "%4u: ", b->tcp6_slot++);
                print_v6_words(b->tcp6, &la);
                fprintf(b->tcp6, ":%04X ", lport);
                print_v6_words(b->tcp6, &ra);
                fprintf(b->tcp6, ":%04X %02X 00000000:00000000 00:00000000 00000000     0        0 %u 1 0 20 4 29 10 -1\n",
                        rport, st, 10000 + b->tcp6_slot);
                return 0;
        }
        uint32_t la, ra;
        if (sscanf(s->tok[1], "%63[0-9.]:%u", local, &lport) != 2 || sscanf(s->tok[2], "%63[0-9.]:%u", remote, &rport) != 2 ||
            parse_v4(local, &la) < 0 || parse_v4(remote, &ra) < 0)
                return berr(s, "expected LOCAL:PORT REMOTE:PORT");
        fprintf(b->tcp, "%4u: %08X:%04X %08X:%04X %02X 00000000:00000000 00:00000000 00000000     0        0 %u 1 0 20 4 "
                        "29 10 -1\n",
                b->tcp_slot, la, lport, ra, rport, st, 20000 + b->tcp_slot);
        b->tcp_slot++;
        return 0;
}

/* input NAME kind=keyboard|mouse (behind=PCI-ADDRESS | platform=PATH) */
static int build_input(Build *b, const Statement *s) {
        const char *kind = value_of(s, "kind") ?: "keyboard", *behind = value_of(s, "behind");
        const char *platform = value_of(s, "platform");
        bool keyboard = !strcmp(kind, "keyboard");
        char *sysfs = NULL;
        unsigned no = b->input_no++;

        if (!keyboard && strcmp(kind, "mouse"))
                return berr(s, "kind must be keyboard or mouse, got '%s'", kind);
        if (behind) {
                const char *dev = b->path_of(b->userdata, behind);
                if (!dev)
                        return berr(s, "device %s is not declared", behind);
                size_t skip = strlen(b->root) + strlen("/sys");
                sysfs = sim_path("%s/usb1/1-%u/1-%u:1.0/0003:046D:C31C.%04X/input/input%u", dev + skip, no + 1, no + 1,
                                 no + 1, no);
        } else
                sysfs = sim_path("/devices/platform/%s/input/input%u", platform ?: "i8042/serio0", no);
        if (!sysfs)
                return -ENOMEM;
        char *dir = sim_path("%s/sys%s", b->root, sysfs);
        int r = dir ? sim_mkdir_p(dir, 0755) : -ENOMEM;
        free(dir);
        if (r == 0)
                fprintf(b->input,
                        "I: Bus=%s Vendor=046d Product=c31c Version=0110\nN: Name=\"%s\"\nP: Phys=input%u\nS: "
                        "Sysfs=%s\nU: Uniq=\nH: Handlers=%sevent%u\nB: PROP=0\nB: EV=%s\n\n",
                        behind ? "0003" : "0011", s->tok[1], no, sysfs, keyboard ? "sysrq kbd leds " : "mouse0 ", no,
                        keyboard ? "120013" : "17");
        free(sysfs);
        return r;
}

static int write_out(const char *root, const char *rel, char *text, size_t size) {
        char *path = sim_path("%s/%s", root, rel);
        int r = path ? sim_mkdir_parents(path, 0755) : -ENOMEM;
        if (r == 0)
                r = sim_write_file(path, text, size, 0444);
        free(path);
        return r;
}

int sim_net_build(const SimNet *n, const char *root, SimDevicePath path_of, void *userdata) {
        char *text[6] = {};
        size_t size[6] = {};
        Build b = { .root = root, .path_of = path_of, .userdata = userdata, .ifindex = 1 };
        int r = 0;

        b.route = open_memstream(&text[0], &size[0]);
        b.route6 = open_memstream(&text[1], &size[1]);
        b.inet6 = open_memstream(&text[2], &size[2]);
        b.tcp = open_memstream(&text[3], &size[3]);
        b.tcp6 = open_memstream(&text[4], &size[4]);
        b.input = open_memstream(&text[5], &size[5]);
        if (!b.route || !b.route6 || !b.inet6 || !b.tcp || !b.tcp6 || !b.input)
                r = -ENOMEM;

        if (r == 0) {
                fputs("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n", b.route);
                /* Every host has the loopback's reject route and address. */
                fputs("00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                      "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n",
                      b.route6);
                fputs("00000000000000000000000000000001 01 80 10 80       lo\n", b.inet6);
                fputs("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
                      b.tcp);
                fputs("  sl  local_address                         remote_address                        st tx_queue "
                      "rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
                      b.tcp6);
        }
        for (size_t i = 0; n && i < n->n && r == 0; i++) {
                const Statement *s = &n->st[i];
                if (!strcmp(s->tok[0], "netdev"))
                        r = build_netdev(&b, s);
                else if (!strcmp(s->tok[0], "route"))
                        r = build_route(&b, s);
                else if (!strcmp(s->tok[0], "route6"))
                        r = build_route6(&b, s);
                else if (!strcmp(s->tok[0], "inet6"))
                        r = build_inet6(&b, s);
                else if (!strcmp(s->tok[0], "tcp"))
                        r = build_tcp(&b, s);
                else if (!strcmp(s->tok[0], "input"))
                        r = build_input(&b, s);
        }
        FILE **files[] = { &b.route, &b.route6, &b.inet6, &b.tcp, &b.tcp6, &b.input };
        for (size_t i = 0; i < 6; i++)
                if (*files[i] && fclose(*files[i]) != 0 && r == 0)
                        r = -errno;
        static const char *const names[] = { "proc/net/route", "proc/net/ipv6_route", "proc/net/if_inet6",
                                             "proc/net/tcp",   "proc/net/tcp6",       "proc/bus/input/devices" };
        for (size_t i = 0; i < 6 && r == 0; i++)
                if (i < 5 || size[i] > 0)
                        r = write_out(root, names[i], text[i], size[i]);
        for (size_t i = 0; i < 6; i++)
                free(text[i]);
        return r;
}
