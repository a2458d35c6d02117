#!/bin/sh
# gen-host.sh N host|conf|addrs
#
# Prints a synthetic host description (sim-mktree format) with exactly N PCI
# functions, shaped like a real machine of that size, or the vfio-bind
# configuration that claims a realistic set of its functions, or (addrs)
# every function that configuration claims, one per line.
#
#   N <= 8      a small desktop: host bridge, iGPU, PEG root port with the
#               guest GPU and its HDMI audio, USB, a NIC behind a root port.
#   N <= 64     a workstation: two GPU cards (one for the guest), chipset
#               functions, NVMe, and a dual-port SR-IOV NIC whose VFs fill
#               up to N.
#   larger      a dual-socket server with one root complex per quarter of the
#               bus space (00, 40, 80, c0): GPU cards, NVMe behind PCIe
#               switches, dual-port NICs with VFs (ConnectX style: PFs at
#               fn 0 and 1, VFs at the routing IDs that follow, spilling onto
#               the next buses) filling up to N.
#
# IOMMU groups: ACS everywhere on servers (each function its own group) except
# multi-function cards without ACS (GPU + audio) and the chipset's 1f.x.
# The vfio modules are live (loaded, as a modules-load.d entry or an earlier
# modprobe leaves them), so 'apply' and a shell script that cannot load
# modules compare like for like.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 N host|conf|addrs" >&2; exit 2; }
exec awk -v N="$1" -v MODE="$2" '
function hex2(x) { return sprintf("%02x", x) }
function addr(bus, dev, fn) { return sprintf("0000:%02x:%02x.%x", bus, dev, fn) }
function newgroup() { return G++ }
# dev(address, attributes): one function
function dev(a, attrs) {
        if (count >= N) { overflow = 1; return }
        out[count++] = "device " a " " attrs
}
function rootport(bus, d, f, grp,   a) {
        a = addr(bus, d, f)
        dev(a, "id=8086:347a class=0x060400 rev=0x04 driver=pcieport group=" grp)
        return a
}
# A GPU card (VGA + HDMI audio, one group with no ACS between them).
function gpu(port, bus, grp, claimed,   a) {
        a = addr(bus, 0, 0)
        dev(a, "parent=" port " id=10de:2684 subsys=10de:167c class=0x030000 rev=0xa1 group=" grp \
            " driver=nouveau boot_vga=0 reset=flr bar0=0x" sprintf("%x", 128 + bus) "000000,16M,mem bar1=0x4" hex2(bus) "0000000,256M,pref")
        dev(addr(bus, 0, 1), "parent=" port " id=10de:22ba subsys=10de:167c class=0x040300 rev=0xa1 group=" grp " driver=snd_hda_intel reset=flr")
        if (claimed) {
                ngpu++; conf[nconf++] = "[gpu" ngpu "]\naddress = " a "\nfunctions = all\nexpect = 10de:2684\n"
                claimed_list[nclaimed++] = a; claimed_list[nclaimed++] = addr(bus, 0, 1)
        }
}
function nvme(port, bus) {
        dev(addr(bus, 0, 0), "parent=" port " id=144d:a80c subsys=144d:a801 class=0x010802 group=" newgroup() " driver=nvme reset=flr bar0=0x9" hex2(bus) "00000,16K,mem64")
}
# A dual-port SR-IOV NIC at BUS behind PORT with NVF VFs per port (the last
# port takes NVF2). Returns the next free bus.
function nic(port, bus, nvf, nvf2, pfid, vfid, drv, vfdrv,   p, i, rid, pf, n, vf, claim) {
        for (p = 0; p < 2; p++) {
                pf[p] = addr(bus, 0, p)
                n = p ? nvf2 : nvf
                dev(pf[p], "parent=" port " id=" pfid " subsys=" pfid " class=0x020000 group=" newgroup() \
                    " driver=" drv " reset=flr sriov_total=" (n > 0 ? n : 8) " sriov_num=" n)
        }
        rid = bus * 256 + 2
        for (p = 0; p < 2; p++) {
                n = p ? nvf2 : nvf
                for (i = 0; i < n; i++) {
                        vf = addr(int(rid / 256), int((rid % 256) / 8), rid % 8)
                        rid++
                        dev(vf, "parent=" port " physfn=" pf[p] " id=" vfid " subsys=" vfid " class=0x020000 group=" newgroup() " driver=" vfdrv " reset=flr")
                        if (nclaimvf < WANTVF && i % 4 == 0 && p == 0) { claimvf[nclaimvf++] = vf }
                }
        }
        return int((rid - 1) / 256) + 1
}
BEGIN {
        N += 0; count = 0; G = 0; nconf = 0; ngpu = 0; nclaimvf = 0
        WANTVF = N <= 8 ? 0 : N <= 64 ? 4 : N <= 512 ? 16 : 64
        # Chipset / CPU functions of root complex 00.
        dev(addr(0, 0, 0), "id=8086:09a2 class=0x060000 rev=0x04 group=" newgroup())
        if (N <= 8) {
                dev(addr(0, 2, 0), "id=8086:a780 class=0x030000 rev=0x04 group=" newgroup() " driver=i915 boot_vga=1 reset=flr bar0=0x6010000000,16M,mem64 bar2=0x4000000000,256M,pref")
                port = rootport(0, 1, 0, newgroup())
                gpu(port, 1, G - 1, 1)
                dev(addr(0, 20, 0), "id=8086:7a60 class=0x0c0330 rev=0x11 group=" newgroup() " driver=xhci_hcd reset=pm")
                port = rootport(0, 28, 0, newgroup())
                dev(addr(2, 0, 0), "parent=" port " id=8086:1533 subsys=8086:0001 class=0x020000 rev=0x03 group=" newgroup() " driver=igb reset=flr")
                conf[nconf++] = "[nic]\naddress = " addr(2, 0, 0) "\n"
                claimed_list[nclaimed++] = addr(2, 0, 0)
        } else {
                dev(addr(0, 2, 0), "id=102b:0536 class=0x030000 rev=0x04 group=" newgroup() " driver=mgag200 boot_vga=1 bar0=0x91000000,16M,pref")
                dev(addr(0, 20, 0), "id=8086:a1af class=0x0c0330 rev=0x09 group=" newgroup() " driver=xhci_hcd reset=pm")
                dev(addr(0, 22, 0), "id=8086:a1ba class=0x078000 rev=0x09 group=" newgroup() " driver=mei_me reset=pm")
                dev(addr(0, 23, 0), "id=8086:a182 class=0x010601 rev=0x09 group=" newgroup() " driver=ahci")
                g = newgroup()
                dev(addr(0, 31, 0), "id=8086:a1c8 class=0x060100 rev=0x09 group=" g)
                dev(addr(0, 31, 2), "id=8086:a1a1 class=0x058000 rev=0x09 group=" g)
                dev(addr(0, 31, 4), "id=8086:a1a3 class=0x0c0500 rev=0x09 group=" g " driver=i801_smbus")
                dev(addr(0, 31, 5), "id=8086:a1a4 class=0x0c8000 rev=0x09 group=" g " driver=intel-spi")
                # Root complexes: 00 only on a workstation, four on a server.
                nrc = N <= 64 ? 1 : 4
                # Per root complex: a GPU card, NVMe behind a switch, a NIC.
                ngpus = N <= 64 ? 2 : N <= 512 ? 2 : 4
                nnvme = N <= 64 ? 1 : N <= 512 ? 4 : 8
                nnic = N <= 64 ? 1 : N <= 512 ? 4 : 8
                # Functions that are not VFs: count them first to size the VFs.
                fixed = count + (nrc - 1) + ngpus * 3 + nrc * (nnvme > 1 ? 1 + 1 + nnvme * 2 : 2) + nnic * 3
                nvf_total = N - fixed; if (nvf_total < 0) nvf_total = 0
                per_nic = int(nvf_total / nnic); extra = nvf_total - per_nic * nnic
                gi = 0; ni = 0
                for (rc = 0; rc < nrc; rc++) {
                        rbus = rc * 64; nbus = rbus + 1
                        if (rc > 0) dev(addr(rbus, 0, 0), "id=8086:09a2 class=0x060000 rev=0x04 group=" newgroup())
                        for (k = 0; gi < ngpus && k < (nrc == 1 ? ngpus : 1); k++) {
                                port = rootport(rbus, 1, k, newgroup())
                                gpu(port, nbus, G - 1, gi == 0)
                                nbus++; gi++
                        }
                        if (nnvme > 1) {
                                # A PCIe switch: upstream port, then one downstream port per NVMe.
                                port = rootport(rbus, 3, 0, newgroup())
                                up = addr(nbus, 0, 0)
                                dev(up, "parent=" port " id=10b5:9765 class=0x060400 group=" newgroup() " driver=pcieport")
                                sbus = nbus + 1
                                for (k = 0; k < nnvme; k++) {
                                        down = addr(sbus, k, 0)
                                        dev(down, "parent=" up " id=10b5:9765 class=0x060400 group=" newgroup() " driver=pcieport")
                                        nvme(down, sbus + 1 + k)
                                }
                                nbus = sbus + 1 + nnvme
                        } else {
                                port = rootport(rbus, 3, 0, newgroup())
                                nvme(port, nbus); nbus++
                        }
                        for (k = 0; ni < nnic && k < nnic / nrc; k++) {
                                port = rootport(rbus, 5, k, newgroup())
                                nv = per_nic + (ni < extra ? 1 : 0)
                                nv1 = int(nv / 2); nv2 = nv - nv1
                                if (N <= 64)
                                        nbus = nic(port, nbus, nv1, nv2, "8086:1572", "8086:154c", "i40e", "iavf")
                                else
                                        nbus = nic(port, nbus, nv1, nv2, "15b3:101d", "15b3:101e", "mlx5_core", "mlx5_core")
                                ni++
                        }
                }
                for (i = 0; i < nclaimvf; i++) claimed_list[nclaimed++] = claimvf[i]
                # VFs in groups of four, one section per guest.
                for (i = 0; i < nclaimvf; i++) {
                        if (i % 4 == 0) s = "[vm" (i / 4 + 1) "-nics]\naddress = " claimvf[i]
                        else s = s ", " claimvf[i]
                        if (i % 4 == 3 || i == nclaimvf - 1) conf[nconf++] = s "\n"
                }
        }
        # Pad with single-function endpoints only if the arithmetic fell short.
        while (count < N) { dev(addr(254, int(count % 256 / 8), count % 8), "id=8086:0b00 class=0x088000 group=" newgroup()); }
        if (overflow) { print "gen-host: more than " N " functions generated" > "/dev/stderr"; exit 1 }
        if (MODE == "addrs") {
                for (i = 0; i < nclaimed; i++) print claimed_list[i]
                exit 0
        }
        if (MODE == "conf") {
                print "# vfio-bind configuration for the synthetic " N "-function host."
                for (i = 0; i < nconf; i++) print conf[i]
                exit 0
        }
        print "# Synthetic host with " N " PCI functions (bench/gen-host.sh)."
        print "host iommu=on ir=on cpu=intel cpus=" (N <= 64 ? 8 : 64) " model=\"Intel(R) Xeon(R) Synthetic\""
        print "cmdline BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3b6e9a3c-7f1e-4c2a-9d0e-5a1f2b3c4d5e ro quiet intel_iommu=on iommu=pt"
        print "module pcieportdrv state=builtin"
        print "module irqbypass state=live"
        print "module vfio state=live"
        print "module vfio_iommu_type1 state=live deps=vfio"
        print "module vfio_pci_core state=live deps=vfio,irqbypass"
        print "module vfio_pci state=live deps=vfio_pci_core,vfio"
        print "driver pcieport module=pcieportdrv classes=060400"
        print "driver i915 module=i915 ids=8086:a780"
        print "driver mgag200 module=mgag200 ids=102b:0536"
        print "driver nouveau module=nouveau ids=10de:2684"
        print "driver snd_hda_intel module=snd_hda_intel classes=040300/ffff00"
        print "driver xhci_hcd module=xhci_pci classes=0c0330"
        print "driver mei_me module=mei_me ids=8086:a1ba"
        print "driver ahci module=ahci classes=010601"
        print "driver nvme module=nvme classes=010802"
        print "driver igb module=igb ids=8086:1533"
        print "driver i40e module=i40e ids=8086:1572"
        print "driver iavf module=iavf ids=8086:154c"
        print "driver mlx5_core module=mlx5_core ids=15b3:101d,15b3:101e"
        print "driver i801_smbus module=i2c_i801 ids=8086:a1a3"
        print "driver intel-spi module=spi_intel_pci ids=8086:a1a4"
        print "driver vfio-pci module=vfio_pci"
        for (i = 0; i < count; i++) print out[i]
}'
