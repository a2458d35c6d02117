/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <string.h>

#include "check-run.h"
#include "macro.h"
#include "network.h"

/* The parsers of /proc/net and /proc/bus/input/devices: one line each, as this kernel writes them. */

START_TEST(test_route4_parse) {
        Route4 r;
        ck_assert(!route4_parse("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
                                &r));
        ck_assert(route4_parse("vmbr0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0", &r));
        ck_assert_str_eq(r.iface, "vmbr0");
        ck_assert_uint_eq(r.destination, 0);
        ck_assert_uint_eq(r.mask, 0);
        ck_assert_uint_eq(r.flags, 3);
        ck_assert(route4_parse("vmbr0.20\t0014000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", &r));
        ck_assert_str_eq(r.iface, "vmbr0.20");
        ck_assert_uint_eq(r.destination, 0x0014000a);
        ck_assert_uint_eq(r.mask, 0x00ffffff);
        ck_assert(!route4_parse("", &r));
        ck_assert(!route4_parse("eth0 zz", &r));
}
END_TEST

START_TEST(test_ipv6_default_route_parse) {
        char iface[32];
        ck_assert(ipv6_default_route_parse("00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                                           "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 "
                                           "   vmbr0",
                                           iface, sizeof(iface)));
        ck_assert_str_eq(iface, "vmbr0");
        /* The loopback's reject route is no default route. */
        ck_assert(!ipv6_default_route_parse("00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                                            "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 "
                                            "      lo",
                                            iface, sizeof(iface)));
        /* A prefix route is not the default. */
        ck_assert(!ipv6_default_route_parse("20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
                                            "00000000000000000000000000000000 00000100 00000001 00000000 00000001 "
                                            "   vmbr0",
                                            iface, sizeof(iface)));
}
END_TEST

START_TEST(test_tcp_socket_parse) {
        TcpSocket s;
        ck_assert(!tcp_socket_parse("  sl  local_address rem_address   st tx_queue", false, &s));
        ck_assert(tcp_socket_parse("   1: 0514000A:0016 6414000A:C822 01 00000000:00000000 00:00000000 00000000     0 "
                                   "       0 20001 1 0 20 4 29 10 -1",
                                   false, &s));
        uint32_t want = 0x0514000a, got;
        memcpy(&got, s.local, 4);
        ck_assert_uint_eq(got, want);
        ck_assert_uint_eq(s.local_port, 22);
        ck_assert_uint_eq(s.state, TCP_ESTABLISHED);
        ck_assert(tcp_socket_parse("   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 "
                                   "0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 29 10 -1",
                                   true, &s));
        ck_assert_uint_eq(s.state, TCP_LISTEN);
        /* An IPv4 line is not read as IPv6. */
        ck_assert(!tcp_socket_parse("   1: 0514000A:0016 6414000A:C822 01", true, &s));
}
END_TEST

START_TEST(test_inet6_address_parse) {
        uint8_t a[16];
        char iface[32];
        ck_assert(
                inet6_address_parse("20010db8000000000000000000000010 05 40 00 80    vmbr0", a, iface, sizeof(iface)));
        ck_assert_str_eq(iface, "vmbr0");
        ck_assert_uint_eq(a[0], 0x20);
        ck_assert_uint_eq(a[1], 0x01);
        ck_assert_uint_eq(a[15], 0x10);
        ck_assert(!inet6_address_parse("2001 05 40 00 80 vmbr0", a, iface, sizeof(iface)));
}
END_TEST

START_TEST(test_keyboards_parse) {
        _cleanup_(keyboards_done) Keyboards k = {};
        char text[] = "I: Bus=0011 Vendor=0001 Product=0001 Version=ab41\n"
                      "N: Name=\"AT Translated Set 2 keyboard\"\n"
                      "S: Sysfs=/devices/platform/i8042/serio0/input/input0\n"
                      "H: Handlers=sysrq kbd event0 leds\n"
                      "B: EV=120013\n"
                      "\n"
                      "I: Bus=0019 Vendor=0000 Product=0001 Version=0000\n"
                      "N: Name=\"Power Button\"\n"
                      "S: Sysfs=/devices/LNXSYSTM:00/LNXPWRBN:00/input/input1\n"
                      "H: Handlers=kbd event1\n"
                      "B: EV=3\n"
                      "\n"
                      "I: Bus=0003 Vendor=046d Product=c077 Version=0111\n"
                      "N: Name=\"Logitech USB Optical Mouse\"\n"
                      "S: Sysfs=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:046D:C077.0002/input/input2\n"
                      "H: Handlers=mouse0 event2\n"
                      "B: EV=17\n"
                      "I: Bus=0003 Vendor=046d Product=c31c Version=0110\n"
                      "N: Name=\"Logitech USB Keyboard\"\n"
                      "S: Sysfs=/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/0003:046D:C31C.0001/input/input3\n"
                      "H: Handlers=sysrq kbd leds event3\n"
                      "B: EV=120013\n";
        size_t behind, elsewhere;

        ck_assert_int_eq(keyboards_parse(&k, text), 0);
        /* The power button reports a key but has no LEDs; the mouse has no kbd handler. A block without a
         * blank line before the next I: line still ends there. */
        ck_assert_uint_eq(k.n, 2);
        ck_assert_str_eq(k.names[0], "AT Translated Set 2 keyboard");
        ck_assert_str_eq(k.names[1], "Logitech USB Keyboard");
        keyboards_count(&k, "0000:00:14.0", &behind, &elsewhere);
        ck_assert_uint_eq(behind, 1);
        ck_assert_uint_eq(elsewhere, 1);
        keyboards_count(&k, "0000:00:14.2", &behind, &elsewhere);
        ck_assert_uint_eq(behind, 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("network");
        TCase *tc = tcase_create("parsers");
        tcase_add_test(tc, test_route4_parse);
        tcase_add_test(tc, test_ipv6_default_route_parse);
        tcase_add_test(tc, test_tcp_socket_parse);
        tcase_add_test(tc, test_inet6_address_parse);
        tcase_add_test(tc, test_keyboards_parse);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
