/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "scenario.h"

/* VM configurations in the formats Proxmox VE and libvirt write them, checked against the claims; the
 * pre-start guards; the metrics for node_exporter. The scenario host has the GPU pair 01:00.0/01:00.1 in
 * IOMMU group 2 behind root port 00:02.0, e1000e 00:03.0 (group 3) and xHCI 00:04.0 (group 4). */

#define GPU   "0000:01:00.0"
#define AUDIO "0000:01:00.1"

static const char pair_config[] = "[gpu]\naddress = 01:00.0\nfunctions = all\n";

/* As 'qm set' writes it: sorted keys, a snapshot section after the current configuration. */
static const char win11_conf[] = "agent: 1\n"
                                 "bios: ovmf\n"
                                 "boot: order=scsi0;ide2\n"
                                 "cores: 8\n"
                                 "cpu: host\n"
                                 "hostpci0: 0000:01:00,pcie=1,x-vga=1\n"
                                 "machine: pc-q35-8.1\n"
                                 "memory: 16384\n"
                                 "name: win11\n"
                                 "net0: virtio=BC:24:11:6A:2B:3C,bridge=vmbr0,firewall=1\n"
                                 "onboot: 1\n"
                                 "ostype: win11\n"
                                 "scsi0: local-lvm:vm-100-disk-1,cache=writeback,discard=on,size=128G\n"
                                 "smbios1: uuid=6f1d4a1e-8d44-4f2b-9b7e-2c0d9d1e5a10\n"
                                 "vmgenid: 0a3c5f0e-4b1d-4e7a-8c1b-9d2e3f4a5b6c\n"
                                 "\n"
                                 "[before-update]\n"
                                 "hostpci0: 0000:00:03.0\n"
                                 "snaptime: 1717171717\n";

static const char nic_xml[] = "<!--\n"
                              "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
                              "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
                              "  virsh edit router\n"
                              "-->\n"
                              "\n"
                              "<domain type='kvm'>\n"
                              "  <name>router</name>\n"
                              "  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>\n"
                              "  <memory unit='KiB'>1048576</memory>\n"
                              "  <os>\n"
                              "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
                              "  </os>\n"
                              "  <devices>\n"
                              "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                              "    <interface type='network'>\n"
                              "      <source network='default'/>\n"
                              "      <model type='virtio'/>\n"
                              "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
                              "    </interface>\n"
                              "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                              "      <source>\n"
                              "        <address domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
                              "      </source>\n"
                              "      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>\n"
                              "    </hostdev>\n"
                              "  </devices>\n"
                              "</domain>\n";

static void autostart(const char *domain) {
        char dir[4096], link[4200], target[256];
        snprintf(dir, sizeof(dir), "%s/etc/libvirt/qemu/autostart", scenario_root);
        ck_assert_int_eq(mkdir(dir, 0755) == 0 || errno == EEXIST, 1);
        snprintf(link, sizeof(link), "%s/%s.xml", dir, domain);
        snprintf(target, sizeof(target), "/etc/libvirt/qemu/%s.xml", domain);
        ck_assert_int_eq(symlink(target, link), 0);
}

/* Run vfio-bind with FILE (in the tree) as its stdin, as libvirt hands a hook the domain XML. */
static int tool_with_stdin(const char *file, char **ret_out, char **ret_err, const char *a1, const char *a2,
                           const char *a3, const char *a4) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", scenario_root, file);
        int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
        close(fd);
        int r = scenario_tool(ret_out, ret_err, "guard", "libvirt", a1, a2, a3, a4, NULL);
        ck_assert_int_ge(dup2(saved, STDIN_FILENO), 0);
        close(saved);
        return r;
}

START_TEST(test_vm_passes_device_not_claimed_at_boot) {
        _cleanup_free_ char *out = NULL, *json = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/libvirt/qemu/router.xml", nic_xml);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "libvirt domain router passes 0000:00:03.0 (hostdev in /etc/libvirt/qemu/router.xml), "
                             "but");
        assert_contains(out, "does not claim it at boot");
        assert_contains(out, "([router] address = 0000:00:03.0)");
        /* The same in JSON, with its code. */
        ck_assert_int_eq(scenario_tool(&json, NULL, "status", "--json", NULL), 1);
        assert_contains(json, "\"code\":\"vm-device-not-claimed\"");
}
END_TEST

START_TEST(test_vm_passes_part_of_a_group) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(pair_config);
        /* Only the GPU function, by its short address: the audio function of the same group is left out. */
        scenario_write_file("etc/pve/qemu-server/100.conf", "hostpci0: 01:00.0,pcie=1,x-vga=1\nname: win11\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "Proxmox VM 100 passes 0000:01:00.0 but not 0000:01:00.1 of its IOMMU group 2");
        assert_contains(out, "pass the whole group to Proxmox VM 100 (add 0000:01:00.1)");
        /* The root port of the group is the host's, never a VM's. */
        assert_not_contains(out, "0000:00:02.0 of its IOMMU group");
        assert_not_contains(out, "0000:01:00.1, 0000:00:02.0");
        /* 01:00.1 is claimed but no VM uses it: said at info level. */
        assert_contains(out, "0000:01:00.1 ([gpu]) is claimed at boot, but no VM configuration on this host passes it");
}
END_TEST

START_TEST(test_group_split_across_two_vms) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/hostname", "pve1\n");
        scenario_write_file("etc/pve/qemu-server/100.conf", "hostpci0: host=0000:01:00.0,pcie=1\n");
        /* The audio function through a resource mapping, with entries for two cluster nodes. */
        scenario_write_file("etc/pve/qemu-server/101.conf", "hostpci0: mapping=hdmi-audio,pcie=1\nonboot: 0\n");
        scenario_write_file("etc/pve/mapping/pci.cfg",
                            "gpu-other\n"
                            "\tmap id=10de:2684,iommugroup=12,node=pve2,path=0000:41:00.0\n"
                            "\n"
                            "hdmi-audio\n"
                            "\tdescription HDMI audio of the passthrough card\n"
                            "\tmap id=8086:293e,iommugroup=2,node=pve1,path=0000:01:00.1,subsystem-id=1af4:1100\n"
                            "\tmap id=8086:293e,iommugroup=7,node=pve2,path=0000:42:00.1\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "IOMMU group 2 is split between VMs: Proxmox VM 100 passes 0000:01:00.0 and Proxmox VM "
                             "101 passes 0000:01:00.1");
        assert_contains(out, "pass the whole group to one VM");
        /* The other node's entry is not this host's. */
        assert_not_contains(out, "0000:42:00.1");
}
END_TEST

START_TEST(test_two_autostart_vms_share_a_device) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        /* ';'-joined ids, the host= key spelt out. */
        scenario_write_file("etc/pve/qemu-server/102.conf",
                            "hostpci0: host=0000:01:00.0;0000:01:00.1,pcie=1,rombar=0\nname: linux\nonboot: 1\n");
        /* A third VM with the card that does not start at boot is no conflict. */
        scenario_write_file("etc/pve/qemu-server/103.conf", "hostpci0: 01:00\nonboot: 0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "Proxmox VM 100 and Proxmox VM 102 both pass 0000:01:00.0 and both start at boot");
        assert_contains(out, "Proxmox VM 100 and Proxmox VM 102 both pass 0000:01:00.1 and both start at boot");
        assert_not_contains(out, "Proxmox VM 103 both pass");
        assert_not_contains(out, "and Proxmox VM 103");
        assert_contains(out, "qm set VMID --onboot 0");
        /* The snapshot's older hostpci0 (the NIC) is not what starts. */
        assert_not_contains(out, "0000:00:03.0");
}
END_TEST

START_TEST(test_configured_device_no_vm_uses) {
        _cleanup_free_ char *out = NULL, *json = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n[nic]\naddress = 00:03.0\n");
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "0000:00:03.0 ([nic]) is claimed at boot, but no VM configuration on this host passes it");
        assert_not_contains(out, "0000:01:00.0 ([gpu]) is claimed at boot, but no VM");
        assert_not_contains(out, "does not claim it at boot");
        ck_assert_int_eq(scenario_tool(&json, NULL, "check", "--json", NULL), 0);
        assert_contains(json, "\"severity\":\"info\",\"code\":\"vm-device-unused\"");
}
END_TEST

START_TEST(test_no_vm_configuration_no_findings) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(pair_config);
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_not_contains(out, "no VM configuration");
}
END_TEST

START_TEST(test_unreadable_vm_configuration_named_with_line) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/libvirt/qemu/broken.xml",
                            "<domain type='kvm'>\n  <devices>\n    <hostdev mode='subsystem' type='pci'>\n"
                            "  </devices>\n</domain>\n");
        scenario_write_file("etc/libvirt/qemu/entity.xml",
                            "<!DOCTYPE domain [<!ENTITY x \"y\">]>\n<domain type='kvm'/>\n");
        scenario_write_file("etc/pve/qemu-server/104.conf", "hostpci0: 01:00.9\nhostpci1: mapping=nowhere\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "/etc/libvirt/qemu/broken.xml:4: not well-formed XML: end tag does not match the open "
                             "element");
        assert_contains(out, "/etc/libvirt/qemu/entity.xml:1: not well-formed XML: DOCTYPE");
        assert_contains(out, "/etc/pve/qemu-server/104.conf:1: hostpci0: '01:00.9' is not a PCI address");
        assert_contains(out, "/etc/pve/qemu-server/104.conf:2: hostpci1: mapping=nowhere, but /etc/pve/mapping/pci.cfg "
                             "does not exist");
}
END_TEST

START_TEST(test_guard_refuses_device_on_host_driver) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        ck_assert_int_eq(scenario_tool(&out, &err, "guard", "proxmox", "100", "pre-start", NULL), 1);
        assert_contains(err, "vfio-bind: refusing to start Proxmox VM 100: 0000:01:00.0 (hostpci0) is on bochs-drm, "
                             "not on a VFIO driver, although [gpu] in");
        assert_contains(err, "vfio-bind: refusing to start Proxmox VM 100: 0000:01:00.1 (hostpci0) is on "
                             "snd_hda_intel");
        assert_contains(err, "vfio-bind:   fix: run 'vfio-bind status'");
        /* Only pre-start checks: the other phases never stop anything. */
        ck_assert_int_eq(scenario_tool(NULL, NULL, "guard", "proxmox", "100", "post-stop", NULL), 0);
        /* Once claimed, the same VM may start. */
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        _cleanup_free_ char *err2 = NULL;
        ck_assert_int_eq(scenario_tool(NULL, &err2, "guard", "proxmox", "100", "pre-start", NULL), 0);
        assert_not_contains(err2, "refusing");
}
END_TEST

START_TEST(test_guard_refuses_unconfigured_device) {
        _cleanup_free_ char *err = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("etc/pve/qemu-server/105.conf", "hostpci0: 00:03.0\n");
        ck_assert_int_eq(scenario_tool(NULL, &err, "guard", "proxmox", "105", "pre-start", NULL), 1);
        assert_contains(err, "0000:00:03.0 (hostpci0) is on e1000e, not on a VFIO driver, and");
        assert_contains(err, "add it to");
        assert_contains(err, "([vm105] address = 0000:00:03.0)");
}
END_TEST

START_TEST(test_guard_refuses_group_not_viable) {
        _cleanup_free_ char *err = NULL;
        /* Only the GPU function claimed: its audio sibling keeps group 2 from any VM. */
        scenario_write_config("[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        scenario_write_file("etc/pve/qemu-server/100.conf", "hostpci0: 0000:01:00.0,pcie=1\n");
        ck_assert_int_eq(scenario_tool(NULL, &err, "guard", "proxmox", "100", "pre-start", NULL), 1);
        assert_contains(err, "refusing to start Proxmox VM 100: IOMMU group 2 of 0000:01:00.0 (hostpci0) is not "
                             "usable: 0000:01:00.1 (snd_hda_intel) stay on host drivers");
}
END_TEST

START_TEST(test_guard_refuses_device_another_vm_holds) {
        _cleanup_free_ char *err = NULL;
        scenario_write_config(pair_config);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        scenario_write_file("proc/4242/comm", "kvm\n");
        scenario_write_file("proc/4242/fd/.keep", "");
        char link[4096];
        snprintf(link, sizeof(link), "%s/proc/4242/fd/23", scenario_root);
        ck_assert_int_eq(symlink("/dev/vfio/2", link), 0);
        ck_assert_int_eq(scenario_tool(NULL, &err, "guard", "proxmox", "100", "pre-start", NULL), 1);
        assert_contains(err, "refusing to start Proxmox VM 100: 0000:01:00.0 (hostpci0) is in use: /dev/vfio/2 is "
                             "open by kvm (pid 4242)");
        assert_contains(err, "stop the VM (or the stale QEMU) that holds it first");
}
END_TEST

START_TEST(test_guard_refuses_missing_device_and_warns_about_reset) {
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        scenario_write_config(pair_config);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        scenario_write_file("etc/pve/qemu-server/106.conf", "hostpci0: 0000:07:00.0\n");
        ck_assert_int_eq(scenario_tool(NULL, &err, "guard", "proxmox", "106", "pre-start", NULL), 1);
        assert_contains(err, "refusing to start Proxmox VM 106: 0000:07:00.0 (hostpci0) does not exist on this host");

        /* No reset method: a warning, the VM still starts. */
        scenario_write_file("sys/bus/pci/devices/0000:01:00.1/reset_method", "");
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        ck_assert_int_eq(scenario_tool(NULL, &err2, "guard", "proxmox", "100", "pre-start", NULL), 0);
        assert_contains(err2, "vfio-bind: warning: 0000:01:00.1 (hostpci0) has no reset method");
        assert_not_contains(err2, "refusing");
}
END_TEST

START_TEST(test_libvirt_hook_prepare_begin) {
        _cleanup_free_ char *err = NULL, *err2 = NULL, *err3 = NULL;
        scenario_write_config(pair_config);
        scenario_write_file("tmp/gpu.xml", "<domain type='kvm'><name>gaming</name><devices>"
                                           "<hostdev mode='subsystem' type='pci' managed='no'><source>"
                                           "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
                                           "</source></hostdev>"
                                           "<hostdev mode='subsystem' type='pci' managed='no'><source>"
                                           "<address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>"
                                           "</source></hostdev></devices></domain>\n");
        ck_assert_int_eq(tool_with_stdin("tmp/gpu.xml", NULL, &err, "gaming", "prepare", "begin", "-"), 1);
        assert_contains(err, "refusing to start libvirt domain gaming: 0000:01:00.0 (hostdev) is on bochs-drm");
        /* Other operations pass through, whatever the devices. */
        ck_assert_int_eq(tool_with_stdin("tmp/gpu.xml", NULL, NULL, "gaming", "release", "end", "-"), 0);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        ck_assert_int_eq(tool_with_stdin("tmp/gpu.xml", NULL, &err2, "gaming", "prepare", "begin", "-"), 0);
        assert_not_contains(err2, "refusing");

        /* managed='yes' and not claimed at boot: libvirt detaches it itself; said, not refused. */
        scenario_write_file("etc/libvirt/qemu/router.xml", nic_xml);
        ck_assert_int_eq(tool_with_stdin("etc/libvirt/qemu/router.xml", NULL, &err3, "router", "prepare", "begin", "-"),
                         0);
        assert_contains(err3, "warning: 0000:00:03.0 (hostdev) is on e1000e; libvirt moves it to vfio-pci itself");
}
END_TEST

START_TEST(test_libvirt_autostart_links) {
        _cleanup_free_ char *out = NULL;
        scenario_write_config("[nic]\naddress = 00:03.0\n");
        scenario_write_file("etc/libvirt/qemu/router.xml", nic_xml);
        scenario_write_file("etc/libvirt/qemu/router2.xml", nic_xml);
        autostart("router");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_not_contains(out, "both start at boot");
        autostart("router2");
        free(out);
        out = NULL;
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 0);
        assert_contains(out, "libvirt domain router and libvirt domain router2 both pass 0000:00:03.0 and both start at "
                             "boot");
        assert_contains(out, "virsh autostart --disable DOMAIN");
}
END_TEST

static bool has_family(const char *text, const char *name) {
        char help[256], type[256];
        snprintf(help, sizeof(help), "# HELP %s ", name);
        snprintf(type, sizeof(type), "# TYPE %s gauge\n", name);
        return strstr(text, help) && strstr(text, type);
}

START_TEST(test_boot_writes_metrics_file) {
        _cleanup_free_ char *prom = NULL, *st = NULL, *err = NULL;
        scenario_write_config("[global]\nmetrics_dir = /var/lib/prometheus/node-exporter\n"
                              "[gpu]\naddress = 01:00.0\nfunctions = all\n[usb]\naddress = 00:04.0\n");
        scenario_write_file("var/lib/prometheus/node-exporter/.keep", "");
        ck_assert_int_eq(scenario_tool(NULL, NULL, "boot", "--stage=initramfs", NULL), 0);
        ck_assert_int_eq(scenario_tool(NULL, NULL, "boot", "--stage=root", NULL), 0);
        prom = scenario_read_file("var/lib/prometheus/node-exporter/vfio-bind.prom");
        ck_assert_ptr_nonnull(prom);
        _cleanup_free_ char *tmp = scenario_read_file("var/lib/prometheus/node-exporter/.vfio-bind.prom.tmp");
        ck_assert_ptr_null(tmp);
        ck_assert_int_eq(prom[strlen(prom) - 1], '\n');
        for (const char *const *f = (const char *const[]){ "vfio_bind_build_info", "vfio_bind_devices_configured",
                                                            "vfio_bind_device_on_vfio", "vfio_bind_device_group_viable",
                                                            "vfio_bind_device_claimed_stage", "vfio_bind_device_reason",
                                                            "vfio_bind_device_ok",
                                                            "vfio_bind_boot_report_timestamp_seconds", NULL };
             *f; f++)
                ck_assert_msg(has_family(prom, *f), "no HELP/TYPE for %s", *f);
        assert_contains(prom, "vfio_bind_device_on_vfio{address=\"0000:01:00.0\",label=\"gpu\",driver=\"vfio-pci\"} 1\n");
        assert_contains(prom, "vfio_bind_device_claimed_stage{address=\"0000:01:00.1\",label=\"gpu\",stage=\"initramfs\"} 1\n");
        assert_contains(prom, "vfio_bind_device_group_viable{address=\"0000:01:00.0\",label=\"gpu\"} 1\n");
        assert_contains(prom, "vfio_bind_device_reason{address=\"0000:00:04.0\",label=\"usb\",reason=\"none\"} 1\n");
        assert_contains(prom, "vfio_bind_devices_configured 3\n");
        struct stat s;
        char path[4096];
        snprintf(path, sizeof(path), "%s/var/lib/prometheus/node-exporter/vfio-bind.prom", scenario_root);
        ck_assert_int_eq(stat(path, &s), 0);
        ck_assert_int_eq(s.st_mode & 0777, 0644);

        /* status tells the same story from the state files, as it is now. */
        ck_assert_int_eq(scenario_tool(NULL, NULL, "release", "0000:00:04.0", NULL), 0);
        ck_assert_int_eq(scenario_tool(&st, &err, "status", "--format=prometheus", NULL), 1);
        assert_contains(st, "vfio_bind_device_claimed_stage{address=\"0000:01:00.0\",label=\"gpu\",stage=\"initramfs\"} 1\n");
        assert_contains(st, "vfio_bind_device_claimed_stage{address=\"0000:00:04.0\",label=\"usb\",stage=\"none\"} 1\n");
        assert_contains(st, "vfio_bind_device_on_vfio{address=\"0000:00:04.0\",label=\"usb\",driver=\"xhci_hcd\"} 0\n");
        assert_contains(st, "vfio_bind_device_ok{address=\"0000:00:04.0\",label=\"usb\"} 0\n");
        ck_assert(has_family(st, "vfio_bind_boot_report_timestamp_seconds"));
        /* No client timestamps: every sample line is NAME{...} VALUE. */
        for (char *line = st, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                ck_assert_ptr_nonnull(next);
                *next++ = 0;
                if (*line == '#')
                        continue;
                const char *value = strrchr(line, ' ');
                ck_assert_ptr_nonnull(value);
                ck_assert_msg(!strchr(strchr(line, '}') ?: line, ' ') || strchr(strchr(line, '}') ?: line, ' ') == value,
                              "more than one value on '%s'", line);
        }
}
END_TEST

START_TEST(test_metrics_without_boot_and_bad_usage) {
        _cleanup_free_ char *st = NULL, *e1 = NULL, *e2 = NULL, *out = NULL;
        scenario_write_config("[gpu]\naddress = 01:00.0\nfunctions = all\n");
        ck_assert_int_eq(scenario_tool(NULL, NULL, "apply", NULL), 0);
        ck_assert_int_eq(scenario_tool(&st, NULL, "status", "--format=prometheus", NULL), 0);
        assert_contains(st, "stage=\"later\"} 1\n");
        /* No boot report this boot: no timestamp to make up. */
        assert_not_contains(st, "vfio_bind_boot_report_timestamp_seconds");
        ck_assert_int_eq(scenario_tool(NULL, &e1, "check", "--format=prometheus", NULL), 2);
        assert_contains(e1, "--format=prometheus goes with status");
        ck_assert_int_eq(scenario_tool(NULL, &e2, "status", "--format=xml", NULL), 2);
        assert_contains(e2, "--format takes text, json or prometheus");
        scenario_write_config("[global]\nmetrics_dir = var/lib/node-exporter\n[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(&out, NULL, "check", NULL), 2);
        assert_contains(out, "vfio-bind.conf:2: metrics_dir must be an absolute path");
}
END_TEST

START_TEST(test_guard_usage_and_its_own_trouble) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        ck_assert_int_eq(scenario_tool(NULL, &e1, "guard", "proxmox", "100", NULL), 2);
        assert_contains(e1, "guard takes 'proxmox VMID PHASE' or 'libvirt DOMAIN OPERATION SUB-OPERATION [EXTRA]'");
        /* A VM whose configuration cannot be read is not stopped by the guard: it says so and steps aside. */
        scenario_write_config(pair_config);
        ck_assert_int_eq(scenario_tool(NULL, &e2, "guard", "proxmox", "999", "pre-start", NULL), 0);
        assert_contains(e2, "vfio-bind: warning: cannot read the configuration of Proxmox VM 999, not checking it");
        /* Nor is one by a configuration vfio-bind itself cannot parse. */
        scenario_write_file("etc/pve/qemu-server/100.conf", win11_conf);
        scenario_write_config("[global]\nnonviable_group = maybe\n[gpu]\naddress = 01:00.0\n");
        ck_assert_int_eq(scenario_tool(NULL, &e3, "guard", "proxmox", "100", "pre-start", NULL), 1);
        /* ... but the devices themselves are still checked: they are not on a VFIO driver. */
        assert_contains(e3, "0000:01:00.0 (hostpci0) is on bochs-drm, not on a VFIO driver");
}
END_TEST

int main(void) {
        Suite *s = suite_create("vms");
        TCase *tc = tcase_create("vms");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, scenario_setup, scenario_teardown);
        tcase_add_test(tc, test_vm_passes_device_not_claimed_at_boot);
        tcase_add_test(tc, test_vm_passes_part_of_a_group);
        tcase_add_test(tc, test_group_split_across_two_vms);
        tcase_add_test(tc, test_two_autostart_vms_share_a_device);
        tcase_add_test(tc, test_configured_device_no_vm_uses);
        tcase_add_test(tc, test_no_vm_configuration_no_findings);
        tcase_add_test(tc, test_unreadable_vm_configuration_named_with_line);
        tcase_add_test(tc, test_guard_refuses_device_on_host_driver);
        tcase_add_test(tc, test_guard_refuses_unconfigured_device);
        tcase_add_test(tc, test_guard_refuses_group_not_viable);
        tcase_add_test(tc, test_guard_refuses_device_another_vm_holds);
        tcase_add_test(tc, test_guard_refuses_missing_device_and_warns_about_reset);
        tcase_add_test(tc, test_libvirt_hook_prepare_begin);
        tcase_add_test(tc, test_libvirt_autostart_links);
        tcase_add_test(tc, test_guard_usage_and_its_own_trouble);
        tcase_add_test(tc, test_boot_writes_metrics_file);
        tcase_add_test(tc, test_metrics_without_boot_and_bad_usage);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
