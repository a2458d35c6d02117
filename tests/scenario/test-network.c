/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"
#include "simtree.h"

/* The host's own network: a Proxmox-style vmbr0 bridge on a bond of two igb ports, a VLAN on top, the
 * admin's SSH session on the VLAN. The third port of the card (the same ids, in no bond) and the e1000e
 * (ens3, unused) are free to go to VMs; the bonded ports are not. A USB receiver keyboard sits behind the
 * xHCI controller, next to the i8042 keyboard. */

static void network_setup(void) {
        _cleanup_free_ char *host = NULL;
        ck_assert_int_ge(asprintf(&host,
                                  "%s"
                                  "driver igb module=igb ids=8086:1521\n"
                                  "device 0000:00:06.0 id=1b36:000c class=0x060400 group=6 driver=pcieport\n"
                                  "device 0000:02:00.0 parent=0000:00:06.0 id=8086:1521 subsys=8086:0001 "
                                  "class=0x020000 group=7 driver=igb reset=flr\n"
                                  "device 0000:02:00.1 parent=0000:00:06.0 id=8086:1521 subsys=8086:0001 "
                                  "class=0x020000 group=8 driver=igb reset=flr\n"
                                  "device 0000:02:00.2 parent=0000:00:06.0 id=8086:1521 subsys=8086:0001 "
                                  "class=0x020000 group=9 driver=igb reset=flr\n"
                                  "netdev enp2s0f0 pci=0000:02:00.0\n"
                                  "netdev enp2s0f1 pci=0000:02:00.1\n"
                                  "netdev enp2s0f2 pci=0000:02:00.2\n"
                                  "netdev ens3 pci=0000:00:03.0\n"
                                  "netdev bond0 kind=bond lower=enp2s0f0,enp2s0f1\n"
                                  "netdev vmbr0 kind=bridge lower=bond0\n"
                                  "netdev vmbr0.20 kind=vlan lower=vmbr0\n"
                                  "route vmbr0 default gw=192.168.1.1\n"
                                  "route vmbr0 192.168.1.0/24\n"
                                  "route vmbr0.20 10.0.20.0/24\n"
                                  "route6 vmbr0 default\n"
                                  "inet6 vmbr0 2001:db8::10/64\n"
                                  "tcp 0.0.0.0:22 0.0.0.0:0 state=listen\n"
                                  "tcp 10.0.20.5:22 10.0.20.100:51234 state=established\n"
                                  "input \"AT Translated Set 2 keyboard\" platform=i8042/serio0 kind=keyboard\n"
                                  "input \"Logitech USB Receiver\" behind=0000:00:04.0 kind=keyboard\n",
                                  scenario_host),
                         0);
        scenario_setup_with(host);
        scenario_write_file("dev/kmsg", "");
        scenario_write_file("usr/sbin/update-initramfs", "#!/bin/sh\n");
}

#define ROUTE_HEADER "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

static const char *const all_nics = "[bond-port]\naddress = 02:00.0\n"
                                    "[twin]\naddress = 02:00.2\n"
                                    "[spare]\naddress = 00:03.0\n";

START_TEST(test_check_refuses_the_bonded_ports_of_the_bridge) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[port0]\naddress = 02:00.0\n[port1]\naddress = 02:00.1\n[twin]\naddress = 02:00.2\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "0000:02:00.0 carries the host's own network (the default route on vmbr0 > bond0 > "
                             "enp2s0f0); passing it to a VM would cut the host off");
        assert_contains(out, "the default route on vmbr0 > bond0 > enp2s0f1");
        assert_contains(out, "set force = yes in [port0]");
        assert_contains(out, "management-nic");
        /* The twin has the same ids and driver, but carries nothing. */
        assert_contains(out, "twin   0000:02:00.2  8086:1521  Ethernet controller  igb     9      -     flr    ready");
        assert_contains(out, "1 of 3 functions can be claimed");
}
END_TEST

START_TEST(test_apply_keeps_the_management_nic_and_claims_the_others) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(all_nics);
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 1);
        _cleanup_free_ char *port = scenario_driver("0000:02:00.0"), *twin = scenario_driver("0000:02:00.2"),
                            *spare = scenario_driver("0000:00:03.0");
        ck_assert_str_eq(port, "igb");
        ck_assert_str_eq(twin, "vfio-pci");
        ck_assert_str_eq(spare, "vfio-pci");
        ck_assert_int_eq(sim_log_count(scenario_root, "0000:02:00.0"), 0);
}
END_TEST

START_TEST(test_force_claims_it_with_a_warning) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[port0]\naddress = 02:00.0\nforce = yes\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "carries the host's network (the default route on vmbr0 > bond0 > enp2s0f0) and is "
                             "claimed anyway (force = yes)");
        _cleanup_free_ char *port = scenario_driver("0000:02:00.0");
        ck_assert_str_eq(port, "vfio-pci");
}
END_TEST

/* The default route elsewhere (a tunnel): the SSH session on the VLAN still holds the ports under it. */
START_TEST(test_inbound_session_through_the_vlan) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("proc/net/route",
                            ROUTE_HEADER "wg0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                                         "vmbr0.20\t0014000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        scenario_write_file("proc/net/ipv6_route", "");
        scenario_write_config("[port1]\naddress = 02:00.1\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "the address 10.0.20.5 of an inbound session (port 22) on vmbr0.20 > vmbr0 > bond0 > "
                             "enp2s0f1");

        /* An outbound session (no listener on its local port) says nothing about management. */
        scenario_write_file("proc/net/tcp", "  sl  local_address rem_address   st\n"
                                            "   0: 0514000A:C822 6414000A:0016 01 00000000:00000000\n");
        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
}
END_TEST

START_TEST(test_ipv6_default_route) {
        _cleanup_free_ char *out = NULL;
        scenario_write_file("proc/net/route", ROUTE_HEADER);
        scenario_write_file("proc/net/tcp", "");
        scenario_write_config("[port0]\naddress = 02:00.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 1);
        assert_contains(out, "the IPv6 default route on vmbr0 > bond0 > enp2s0f0");
}
END_TEST

START_TEST(test_network_verb_is_the_record) {
        _cleanup_free_ char *out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "network", NULL), 0);
        ck_assert_str_eq(out, "0000:02:00.0\t8086:1521\tthe default route on vmbr0 > bond0 > enp2s0f0\n"
                              "0000:02:00.1\t8086:1521\tthe default route on vmbr0 > bond0 > enp2s0f1\n");
}
END_TEST

static void network_down(void) {
        /* Early boot: nothing is configured yet, no routes, no sessions. */
        scenario_write_file("proc/net/route", ROUTE_HEADER);
        scenario_write_file("proc/net/ipv6_route", "");
        scenario_write_file("proc/net/tcp", "");
}

START_TEST(test_initramfs_without_record_leaves_network_functions_to_the_root_stage) {
        _cleanup_free_ char *out = NULL;
        network_down();
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[twin]\naddress = 02:00.2\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *gpu = scenario_driver("0000:01:00.0"), *twin = scenario_driver("0000:02:00.2");
        ck_assert_str_eq(gpu, "vfio-pci");
        ck_assert_str_eq(twin, "igb");
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        /* At info level (<30>), not as an error. */
        assert_contains(kmsg, "<30>vfio-bind: 2 of 3 functions on vfio-pci, claimed in the initramfs before udev; 1 "
                              "network function left to the root stage\n");
        _cleanup_free_ char *state = scenario_read_file("run/vfio-bind/initramfs.state");
        assert_contains(state, "network-deferred");
}
END_TEST

START_TEST(test_initramfs_trusts_a_record_of_this_machine) {
        _cleanup_free_ char *record = NULL, *out = NULL, *root_out = NULL;
        ck_assert_int_eq(scenario_tool(&record, NULL, "network", NULL), 0);
        scenario_write_file("etc/vfio-bind.network", record);
        network_down();
        scenario_write_config(all_nics);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *port = scenario_driver("0000:02:00.0"), *twin = scenario_driver("0000:02:00.2");
        ck_assert_str_eq(port, "igb");
        ck_assert_str_eq(twin, "vfio-pci");
        _cleanup_free_ char *kmsg = scenario_read_file("dev/kmsg");
        assert_contains(kmsg, "the default route on vmbr0 > bond0 > enp2s0f0 (recorded when the initramfs was built)");

        /* The root stage, still before the network is up, keeps to the record the initramfs handed over. */
        _cleanup_free_ char *handoff = scenario_read_file("run/vfio-bind/network.record");
        ck_assert_ptr_nonnull(handoff);
        ck_assert_int_eq(scenario_tool(&root_out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(root_out, "VFIO_BIND_REASON=management-nic\n");
        _cleanup_free_ char *spare = scenario_driver("0000:00:03.0");
        ck_assert_str_eq(spare, "vfio-pci");
        free(port);
        port = scenario_driver("0000:02:00.0");
        ck_assert_str_eq(port, "igb");
}
END_TEST

/* A network function on vfio-pci already (a second boot stage, a re-run) has nothing to guess about. */
START_TEST(test_root_stage_keeps_a_network_function_already_claimed) {
        _cleanup_free_ char *out = NULL, *root_out = NULL;
        scenario_write_config("[twin]\naddress = 02:00.2\nforce = yes\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        network_down();
        scenario_write_config("[twin]\naddress = 02:00.2\n");
        ck_assert_int_eq(scenario_tool(&root_out, NULL, "boot", "--stage=root", NULL), 0);
        assert_contains(root_out, "VFIO_BIND_RESULT=already-claimed\n");
}
END_TEST

/* An image built in a chroot records the build machine's NIC: its ids are not this machine's. */
START_TEST(test_record_of_another_machine_is_not_trusted) {
        _cleanup_free_ char *out = NULL, *root_out = NULL;
        scenario_write_file("etc/vfio-bind.network", "0000:00:03.0\t8086:15b8\tthe default route on eno1\n");
        network_down();
        scenario_write_config(all_nics);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=initramfs", NULL), 0);
        _cleanup_free_ char *spare = scenario_driver("0000:00:03.0"), *twin = scenario_driver("0000:02:00.2");
        ck_assert_str_eq(spare, "e1000e");
        ck_assert_str_eq(twin, "igb");
        ck_assert_ptr_null(scenario_read_file("run/vfio-bind/network.record"));

        /* The root stage with the network still down and nothing to go by: it does not guess. */
        ck_assert_int_eq(scenario_tool(&root_out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(root_out, "VFIO_BIND_REASON=network-unknown\n");
        assert_contains(root_out, "the host's network is not configured yet and no record of this machine says which "
                                  "function carries it");
        free(spare);
        spare = scenario_driver("0000:00:03.0");
        ck_assert_str_eq(spare, "e1000e");
}
END_TEST

START_TEST(test_root_stage_sees_the_live_network) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(all_nics);
        ck_assert_int_eq(scenario_tool(&out, NULL, "boot", "--stage=root", NULL), 1);
        assert_contains(out, "MESSAGE=bond-port 0000:02:00.0 (8086:1521 Ethernet controller): refused: 0000:02:00.0 "
                             "carries the host's own network (the default route on vmbr0 > bond0 > enp2s0f0)");
        _cleanup_free_ char *twin = scenario_driver("0000:02:00.2"), *port = scenario_driver("0000:02:00.0");
        ck_assert_str_eq(twin, "vfio-pci");
        ck_assert_str_eq(port, "igb");
}
END_TEST

START_TEST(test_only_keyboard_behind_the_usb_controller) {
        _cleanup_free_ char *out = NULL, *devices = scenario_read_file("proc/bus/input/devices");
        scenario_write_config("[usb]\naddress = 00:04.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_not_contains(out, "keyboard");

        /* Without the i8042 one, the USB receiver is the host's only keyboard: a warning, still claimed. */
        char *usb = strstr(devices, "I: Bus=0003");
        ck_assert_ptr_nonnull(usb);
        scenario_write_file("proc/bus/input/devices", usb);
        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "apply", NULL), 0);
        assert_contains(out, "every keyboard of the host (1) is behind 0000:00:04.0");
        _cleanup_free_ char *drv = scenario_driver("0000:00:04.0");
        ck_assert_str_eq(drv, "vfio-pci");
}
END_TEST

START_TEST(test_list_shows_what_the_host_uses) {
        _cleanup_free_ char *out = NULL, *all = NULL, *json = NULL, *group = NULL, *cls = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "list", NULL), 0);
        /* By default what could go to a VM: not the bonded ports, not the root disk, not bridges alone. */
        assert_contains(out, "IOMMU group 2: a VM needs all its functions (bridges excepted)\n");
        assert_contains(out, "configured [gpu]");
        assert_contains(out, "IOMMU group 9: isolated: can go to a VM on its own\n");
        assert_contains(out, "network enp2s0f2");
        assert_not_contains(out, "0000:02:00.0");
        assert_not_contains(out, "0000:00:05.0");
        assert_contains(out, "more groups: bridges only, or needed by the host; 'vfio-bind list --all' shows them");

        ck_assert_int_eq(scenario_tool(&all, NULL, "list", "--all", NULL), 0);
        assert_contains(all, "IOMMU group 7: the host needs it: not for a VM\n");
        assert_contains(all, "host network: the default route on vmbr0 > bond0 > enp2s0f0");
        assert_contains(all, "holds filesystems /");
        assert_contains(all, "boot display");
        assert_contains(all, "IOMMU group 0: bridges only\n");
        assert_contains(all, "1 keyboard behind it");

        ck_assert_int_eq(scenario_tool(&group, NULL, "list", "--group", "8", NULL), 0);
        assert_contains(group, "0000:02:00.1");
        assert_not_contains(group, "0000:02:00.0");

        ck_assert_int_eq(scenario_tool(&cls, NULL, "list", "--class", "network", NULL), 0);
        assert_contains(cls, "0000:02:00.0");
        assert_contains(cls, "0000:00:03.0");
        assert_not_contains(cls, "0000:01:00.0");

        ck_assert_int_eq(scenario_tool(&json, NULL, "list", "--json", "--all", NULL), 0);
        assert_contains(json, "{\"group\":7,\"verdict\":\"host-critical\",\"functions\":[{\"address\":\"0000:02:00.0\","
                              "\"vendor\":\"8086\",\"device\":\"1521\",\"subsystem_vendor\":\"8086\","
                              "\"subsystem_device\":\"0001\",\"class\":\"020000\",\"class_name\":\"Ethernet "
                              "controller\",\"driver\":\"igb\",\"driver_override\":null,\"filesystems\":[],"
                              "\"boot_display\":false,\"network_interfaces\":[\"enp2s0f0\"],\"host_network\":\"the "
                              "default route on vmbr0 > bond0 > enp2s0f0\",\"keyboards\":0,\"only_keyboards\":false,"
                              "\"configured\":null,\"host_critical\":true}]}");
        assert_contains(json, "\"filesystems\":[\"/\"]");
        assert_contains(json, "\"verdict\":\"needs-all-functions\"");
        assert_contains(json, "\"configured\":\"gpu\"");
        assert_contains(json, "\"hidden_groups\":0}");
}
END_TEST

START_TEST(test_list_rejects_unknown_class) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        ck_assert_int_eq(scenario_tool(&out, &err, "list", "--class", "gpu", NULL), 2);
        assert_contains(err, "unknown class 'gpu'; known: storage, network, display");
        free(out);
        free(err);
        out = err = NULL;
        ck_assert_int_eq(scenario_tool(&out, &err, "check", "--all", NULL), 2);
        assert_contains(err, "--all, --class and --group go with list");
}
END_TEST

START_TEST(test_suggest_prints_sections_and_the_verdict) {
        _cleanup_free_ char *out = NULL, *err = NULL, *config = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "suggest", "01:00.1", "02:00.2", "02:00.0", "00:04.0", NULL), 0);
        assert_contains(out, "# 0000:01:00.1 is configured in [gpu] already\n");
        assert_contains(out, "# Ethernet controller\n[nic]\naddress = 0000:02:00.2\nexpect = 8086:1521\n");
        assert_contains(out, "[nic-2]\naddress = 0000:02:00.0\nexpect = 8086:1521\n");
        assert_contains(out, "[usb]\naddress = 0000:00:04.0\nexpect = 1b36:000d\n");
        assert_contains(out, "# 'vfio-bind check' with these sections added to");
        assert_contains(out, "#   error: 0000:02:00.0 carries the host's own network");
        /* It writes nothing. */
        config = scenario_read_file("etc/vfio-bind.conf");
        ck_assert_str_eq(config, "[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(sim_log_count(scenario_root, "write"), 0);

        /* A slot whose functions share a group gets functions = all. */
        free(out);
        out = NULL;
        scenario_write_config("");
        ck_assert_int_eq(scenario_tool(&out, NULL, "suggest", "01:00.1", "01:00.0", NULL), 0);
        /* Named by the slot's first function even when the audio function is given first. */
        assert_contains(
                out,
                "# VGA compatible controller\n[gpu]\naddress = 0000:01:00.0\nfunctions = all\nexpect = 1234:1111\n");
        assert_not_contains(out, "address = 0000:01:00.1");
        assert_contains(out, "# 2 of 2 functions can be claimed");

        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, &err, "suggest", "07:00.0", NULL), 2);
        assert_contains(err, "no PCI device at 0000:07:00.0");
}
END_TEST

int main(void) {
        Suite *s = suite_create("network");
        TCase *tc = tcase_create("network");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, network_setup, scenario_teardown);
        tcase_add_test(tc, test_check_refuses_the_bonded_ports_of_the_bridge);
        tcase_add_test(tc, test_apply_keeps_the_management_nic_and_claims_the_others);
        tcase_add_test(tc, test_force_claims_it_with_a_warning);
        tcase_add_test(tc, test_inbound_session_through_the_vlan);
        tcase_add_test(tc, test_ipv6_default_route);
        tcase_add_test(tc, test_network_verb_is_the_record);
        tcase_add_test(tc, test_initramfs_without_record_leaves_network_functions_to_the_root_stage);
        tcase_add_test(tc, test_initramfs_trusts_a_record_of_this_machine);
        tcase_add_test(tc, test_record_of_another_machine_is_not_trusted);
        tcase_add_test(tc, test_root_stage_keeps_a_network_function_already_claimed);
        tcase_add_test(tc, test_root_stage_sees_the_live_network);
        tcase_add_test(tc, test_only_keyboard_behind_the_usb_controller);
        tcase_add_test(tc, test_list_shows_what_the_host_uses);
        tcase_add_test(tc, test_list_rejects_unknown_class);
        tcase_add_test(tc, test_suggest_prints_sections_and_the_verdict);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
