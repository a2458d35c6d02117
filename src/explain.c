/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>

#include "explain.h"
#include "string-util.h"

typedef struct ExplainEntry {
        Reason reason;
        const char *message;
        const char *fix; /* NULL: none */
} ExplainEntry;

#define LSPCI_FIX "check 'lspci -D': addresses change when cards move and after firmware updates"
#define FORCE_FIX "set force = yes in [@LABEL@] if this controller holds nothing the host needs"

static const ExplainEntry table[_EXPLAIN_MAX] = {
        [EXPLAIN_ON_DRIVER] = { REASON_NONE, "on @WANTED@", NULL },
        [EXPLAIN_OUT_OF_MEMORY] = { REASON_MISSING, "out of memory", NULL },
        [EXPLAIN_MISSING] = { REASON_MISSING, "no PCI device at @DEVICE@", LSPCI_FIX },
        [EXPLAIN_MISSING_RELEASE] = { REASON_MISSING, "no PCI device at @DEVICE@",
                                      "check the address with 'lspci -D'" },
        [EXPLAIN_AMBIGUOUS] = { REASON_AMBIGUOUS,
                                "the address without a domain names @DEVICE@, but this host has @DETAIL@ too",
                                "write the full address with its domain in [@LABEL@], e.g. @DEVICE@" },
        [EXPLAIN_CONFIG_INVALID] = { REASON_CONFIG_INVALID,
                                     "section [@SECTION@] of @CONFIG@ has errors, so it claims nothing",
                                     "run 'vfio-bind check' and correct the errors it names" },
        [EXPLAIN_ID_MISMATCH] = { REASON_ID_MISMATCH, "@DEVICE@ is @ID@ (@CLASS@), but [@SECTION@] expects @EXPECT@",
                                  "the slot holds another device now: check 'lspci -nn -s @DEVICE@' and correct "
                                  "address or expect in @CONFIG@" },
        [EXPLAIN_HOLDS_FILESYSTEM] = { REASON_HOLDS_FILESYSTEM,
                                       "@DEVICE@ is the controller of the mounted filesystems @MOUNTS@; the host "
                                       "would lose its storage",
                                       "name another controller, or set force = yes in [@LABEL@] if the host truly "
                                       "does not need it" },
        [EXPLAIN_ROOT_NOT_PLACED] = { REASON_ROOT_UNKNOWN,
                                      "@DEVICE@ is a storage controller, and the root filesystem (@DETAIL@) does not "
                                      "say which controller holds it",
                                      FORCE_FIX },
        [EXPLAIN_ROOT_NOT_MOUNTED] = { REASON_ROOT_UNKNOWN,
                                       "@DEVICE@ is a storage controller, and the root filesystem is not mounted "
                                       "yet: whether it holds it is decided in the root stage",
                                       FORCE_FIX },
        [EXPLAIN_IOMMU_OFF] = { REASON_IOMMU_OFF,
                                "the IOMMU is off: @DEVICE@ has no IOMMU group, so no VFIO driver can take it",
                                "@HINT@" },
        [EXPLAIN_BRIDGE] = { REASON_BRIDGE, "@DEVICE@ is a PCI bridge; VFIO drivers take endpoint devices only",
                             "name the devices behind the bridge instead" },
        [EXPLAIN_DENYLISTED] = { REASON_DENYLISTED, "vfio-pci refuses @ID@: it is on vfio-pci's device denylist",
                                 "use the vendor's VFIO variant driver (driver = ...) or keep it on the host" },
        [EXPLAIN_SRIOV_ENABLED] = { REASON_SRIOV_ENABLED,
                                    "@DEVICE@ is an SR-IOV physical function with @VFS@ virtual functions enabled; a "
                                    "VFIO driver cannot take it while they exist",
                                    "write 0 to /sys/bus/pci/devices/@DEVICE@/sriov_numvfs first, or pass the "
                                    "virtual functions instead" },
        [EXPLAIN_DRIVER_UNAVAILABLE] = { REASON_DRIVER_UNAVAILABLE,
                                         "driver @WANTED@ is not available: this kernel has no module @MODULE@",
                                         "install this kernel's modules, or build the kernel with the driver" },
        [EXPLAIN_DRIVER_NOT_LOADED] = { REASON_DRIVER_UNAVAILABLE,
                                        "driver @WANTED@ is not available: this kernel has no module @MODULE@",
                                        "install this kernel's modules (and rebuild the initramfs), or check the "
                                        "driver = name" },
        [EXPLAIN_GROUP_REFUSED] = { REASON_GROUP_NOT_VIABLE,
                                    "IOMMU group @GROUP@ would not be usable by a VM: @BLOCKERS@ stay on host drivers "
                                    "(nonviable_group = refuse)",
                                    NULL },
        [EXPLAIN_HOST_DRIVER] = { REASON_HOST_DRIVER, "@DEVICE@ is on @CURRENT@, not @WANTED@",
                                  "run 'vfio-bind apply'; if a host driver keeps winning at boot, rebuild the "
                                  "initramfs (update-initramfs -u, or dracut -f)" },
        [EXPLAIN_UNBOUND] = { REASON_UNBOUND, "@DEVICE@ has no driver", "run 'vfio-bind apply'" },
        [EXPLAIN_MODULE_STUCK] = { REASON_STUCK, "gave up after @SECONDS@ s while loading module @MODULE@",
                                   "check 'journalctl -k' for what the module waits on" },
        [EXPLAIN_MODULE_FAILED] = { REASON_MODULE_FAILED, "loading module @MODULE@ failed: @ERROR@",
                                    "see 'journalctl -k' for the kernel's reason" },
        [EXPLAIN_OVERRIDE_FAILED] = { REASON_OVERRIDE_FAILED, "cannot set driver_override of @DEVICE@: @ERROR@",
                                      "check 'journalctl -k'" },
        [EXPLAIN_UNBIND_FAILED] = { REASON_UNBIND_FAILED, "cannot unbind @DEVICE@ from @CURRENT@: @ERROR@",
                                    "stop what uses the device (display manager, audio server, a VM), then run "
                                    "'vfio-bind apply'" },
        [EXPLAIN_PROBE_INVALID] = { REASON_PROBE_FAILED,
                                    "@WANTED@ refused @DEVICE@ (Invalid argument): no IOMMU group, a bridge, or a "
                                    "device it does not support",
                                    "see 'journalctl -k | grep @WANTED@' for the kernel's reason" },
        [EXPLAIN_PROBE_BUSY] = { REASON_PROBE_FAILED,
                                 "@WANTED@ could not take @DEVICE@ (Device or resource busy): another driver bound "
                                 "it first, or it is an SR-IOV physical function with virtual functions",
                                 "see 'journalctl -k'; run 'vfio-bind apply' again once the holder is gone" },
        [EXPLAIN_PROBE_NO_MATCH] = { REASON_PROBE_FAILED,
                                     "@WANTED@ does not match @DEVICE@ (No such device): its driver_override names "
                                     "another driver",
                                     "another tool may have changed driver_override; run 'vfio-bind apply' again" },
        [EXPLAIN_PROBE_REFUSED] = { REASON_PROBE_FAILED, "@WANTED@ refused @DEVICE@: @ERROR@",
                                    "see 'journalctl -k' for @WANTED@'s message" },
        [EXPLAIN_CLAIM_ABNORMAL] = { REASON_PROBE_FAILED, "the claim of @DEVICE@ ended abnormally while @STEP@",
                                     "see 'journalctl -k'" },
        [EXPLAIN_CLAIM_NOT_STARTED] = { REASON_PROBE_FAILED, "cannot start the claim: @ERROR@", NULL },
        [EXPLAIN_CLAIM_STUCK] = { REASON_STUCK,
                                  "gave up on @DEVICE@ after @SECONDS@ s while @STEP@; the kernel is still at it",
                                  "the host driver may be in use (console or display on this GPU?): keep the host "
                                  "driver out of the initramfs, add video=efifb:off, and reboot" },
        [EXPLAIN_WRONG_DRIVER] = { REASON_WRONG_DRIVER, "@DEVICE@ is on @CURRENT@ instead of @WANTED@",
                                   "rebuild the initramfs so vfio-bind runs before that driver (update-initramfs "
                                   "-u, or dracut -f)" },
        [EXPLAIN_NOT_BOUND] = { REASON_NOT_BOUND, "the kernel accepted the request, but no driver is bound to @DEVICE@",
                                "see 'journalctl -k' for the driver's message" },
        [EXPLAIN_VANISHED] = { REASON_VANISHED, "@DEVICE@ disappeared (hot-unplug or bus rescan)", NULL },
        [EXPLAIN_VANISHED_CLAIMING] = { REASON_VANISHED, "@DEVICE@ disappeared while it was being claimed", NULL },
        [EXPLAIN_VANISHED_RELEASING] = { REASON_VANISHED, "@DEVICE@ disappeared while it was being released", NULL },
        [EXPLAIN_IN_USE] = { REASON_RELEASE_FAILED, "@DEVICE@ is in use: @DETAIL@",
                             "stop the VM (or the stale process) first" },
        [EXPLAIN_OVERRIDE_NOT_CLEARED] = { REASON_RELEASE_FAILED, "cannot clear driver_override of @DEVICE@: @ERROR@",
                                           NULL },
        [EXPLAIN_OVERRIDE_GONE] = { REASON_VANISHED, "cannot clear driver_override of @DEVICE@: @ERROR@", NULL },
        [EXPLAIN_STILL_ON_VFIO] = { REASON_RELEASE_FAILED, "@DEVICE@ is still on @CURRENT@: @DETAIL@",
                                    "a VM may still hold /dev/vfio; stop it, then run 'vfio-bind release' again" },
        [EXPLAIN_RELEASE_STUCK] = { REASON_STUCK, "gave up on @DEVICE@ after @SECONDS@ s while @STEP@",
                                    "check 'journalctl -k', and whether a VM still holds the device" },
        [EXPLAIN_NOT_CLAIMED] = { REASON_NOT_CLAIMED, "@DEVICE@ is still on @CURRENT@: the claim did not run: @DETAIL@",
                                  "@HINT@" },
        [EXPLAIN_NOT_CLAIMED_UNBOUND] = { REASON_NOT_CLAIMED, "@DEVICE@ has no driver: the claim did not run: @DETAIL@",
                                          "@HINT@" },
        [EXPLAIN_NOTHING_TO_RELEASE] = { REASON_NONE,
                                         "@DEVICE@ is on @CURRENT@, not on a VFIO driver: nothing to release", NULL },
        [EXPLAIN_NOT_VFIO_DRIVER] = { REASON_NOT_VFIO_DRIVER,
                                      "driver = @WANTED@ in [@SECTION@] is not a VFIO driver (module @MODULE@ does "
                                      "not use vfio_pci_core): a VM could not use @DEVICE@ on it",
                                      "set driver = vfio-pci in [@LABEL@], or the vendor's VFIO variant driver "
                                      "(such as mlx5_vfio_pci)" },
        [EXPLAIN_DRIVER_MODULE_NAME] = { REASON_NOT_VFIO_DRIVER,
                                         "driver = @WANTED@ in [@SECTION@] is the name of the module; the driver is "
                                         "called vfio-pci",
                                         "write driver = vfio-pci in [@LABEL@], or leave driver = out" },
        [EXPLAIN_MODULE_NOT_LOADED_ROOT] = { REASON_DRIVER_UNAVAILABLE,
                                             "driver @WANTED@ is not loaded in the tree, and modules are not loaded "
                                             "under --root: the tree is not this host",
                                             "load module @MODULE@ on the host the tree describes" },
        [EXPLAIN_RESET_METHOD_FAILED] = { REASON_RESET_METHOD_FAILED,
                                          "cannot set reset_method of @DEVICE@ to '@DETAIL@': @ERROR@ (supported "
                                          "now: @CURRENT@); it was not claimed",
                                          "load the module that provides the method (e.g. vendor-reset) before "
                                          "vfio-bind, or change reset_method in [@LABEL@]" },
        [EXPLAIN_NO_VFIO_INTERFACE] = { REASON_NO_VFIO_INTERFACE,
                                        "@DEVICE@ is on @WANTED@, but neither /dev/vfio/@GROUP@ nor a VFIO device "
                                        "cdev exists: no VMM can open it",
                                        "check that devtmpfs is mounted on /dev, and that the kernel has "
                                        "CONFIG_VFIO_GROUP or CONFIG_VFIO_DEVICE_CDEV" },
        [EXPLAIN_SUBSYSTEM_MISMATCH] = { REASON_ID_MISMATCH,
                                         "@DEVICE@ has subsystem @DETAIL@, but [@SECTION@] expects subsystem "
                                         "@WANT@",
                                         "another card of the same model sits there now: check 'lspci -nnv -s "
                                         "@DEVICE@' and correct address or subsystem in @CONFIG@" },
        [EXPLAIN_SERIAL_MISMATCH] = { REASON_ID_MISMATCH,
                                      "@DEVICE@ has serial number @DETAIL@, but [@SECTION@] expects @WANT@",
                                      "another unit of the same model sits there now: check 'lspci -vv -s @DEVICE@' "
                                      "and correct address or serial in @CONFIG@" },
        [EXPLAIN_DRIFT_REFUSED] = { REASON_DRIFT,
                                    "@DEVICE@ is not what it was when the snapshot was taken: @DETAIL@ (drift = "
                                    "refuse)",
                                    "check the hardware (a moved card, a firmware or kernel update), correct "
                                    "@CONFIG@ if needed, then run 'vfio-bind snapshot' and rebuild the initramfs" },
        [EXPLAIN_SRIOV_SHARED_GROUP] = { REASON_SRIOV_SHARED_GROUP,
                                         "virtual function @DEVICE@ shares IOMMU group @GROUP@ with its physical "
                                         "function @DETAIL@: the device has no ACS, so a VM would share the PF's "
                                         "DMA space",
                                         "use a device (or firmware) with ACS on its functions; the PF cannot be "
                                         "handed to VFIO while it runs the virtual functions" },
        [EXPLAIN_MANAGEMENT_NIC] = { REASON_MANAGEMENT_NIC,
                                     "@DEVICE@ carries the host's own network (@DETAIL@); passing it to a VM would "
                                     "cut the host off",
                                     "name another network function, move the host's address and default route to "
                                     "another interface first, or set force = yes in [@LABEL@] if the host truly "
                                     "does not need it" },
        [EXPLAIN_NETWORK_UNKNOWN] = { REASON_NETWORK_UNKNOWN,
                                      "@DEVICE@ is a network function, and the host's network is not configured yet "
                                      "and no record of this machine says which function carries it: it is not "
                                      "claimed",
                                      "rebuild the initramfs on this host (update-initramfs -u, or dracut -f) so that "
                                      "it records the management interface, run 'vfio-bind apply' once the network "
                                      "is up, or set force = yes in [@LABEL@]" },
        [EXPLAIN_NETWORK_DEFERRED] = { REASON_NETWORK_DEFERRED,
                                       "@DEVICE@ is a network function, and no record of this machine says which "
                                       "function carries the host's network: it is left to the root stage, which "
                                       "sees the live network",
                                       NULL },
};

/* The fields the caller passes, by name. */
static const struct {
        const char *name;
        size_t offset;
} arg_fields[] = {
        { "CURRENT", offsetof(ExplainArgs, current) }, { "MODULE", offsetof(ExplainArgs, module) },
        { "DETAIL", offsetof(ExplainArgs, detail) },   { "STEP", offsetof(ExplainArgs, step) },
        { "HINT", offsetof(ExplainArgs, hint) },       { "WANT", offsetof(ExplainArgs, want) },
};

/* The fields the device report and the run know themselves, as text. */
static const char *report_field(const DeviceReport *d, const Run *run, const char *name) {
        if (streq(name, "DEVICE"))
                return d->name;
        if (streq(name, "LABEL"))
                return device_report_label(d);
        if (streq(name, "SECTION"))
                return d->section ? d->section->name : "-";
        if (streq(name, "CONFIG"))
                return run_config_path(run);
        if (streq(name, "WANTED"))
                return d->wanted_driver;
        if (streq(name, "MOUNTS"))
                return strna(d->mounts);
        if (streq(name, "BLOCKERS"))
                return strna(d->group_blockers);
        if (streq(name, "CLASS"))
                return d->dev ? pci_class_name(d->dev->class) : "n/a";
        return NULL;
}

/* The fields that are numbers, formatted into BUF. */
static const char *number_field(const DeviceReport *d, const Run *run, const char *name, char *buf, size_t size) {
        const PciDevice *dev = d->dev;

        if (streq(name, "ID") && dev)
                snprintf(buf, size, "%04x:%04x", dev->vendor, dev->device);
        else if (streq(name, "EXPECT") && d->section)
                snprintf(buf, size, "%04x:%04x", d->section->expect_vendor, d->section->expect_device);
        else if (streq(name, "GROUP") && dev)
                snprintf(buf, size, "%d", dev->iommu_group);
        else if (streq(name, "VFS") && dev)
                snprintf(buf, size, "%d", dev->sriov_numvfs);
        else if (streq(name, "SECONDS"))
                snprintf(buf, size, "%u", run_timeout_msec(run) / 1000);
        else
                return "n/a";
        return buf;
}

/* The value of the template field NAME (without its @s); numbers are written into BUF. */
static const char *field_value(const DeviceReport *d, const Run *run, const ExplainArgs *a, const char *name, char *buf,
                               size_t size) {
        for (size_t i = 0; i < ELEMENTSOF(arg_fields); i++)
                if (streq(name, arg_fields[i].name))
                        return strna(*(const char *const *)((const char *)a + arg_fields[i].offset));
        if (streq(name, "ERROR"))
                return strerror(a->error);
        return report_field(d, run, name) ?: number_field(d, run, name, buf, size);
}

/* Fill a template's @NAME@ fields. NULL for a NULL template or when out of memory. */
static char *expand(const char *template, const DeviceReport *d, const Run *run, const ExplainArgs *a) {
        _cleanup_free_ char *out = NULL;

        if (!template)
                return NULL;
        for (const char *p = template; *p;) {
                const char *at = strchr(p, '@'), *end = at ? strchr(at + 1, '@') : NULL;
                if (!end) {
                        if (strextendf_with_separator(&out, NULL, "%s", p) < 0)
                                return NULL;
                        break;
                }
                char name[16], value[64];
                snprintf(name, sizeof(name), "%.*s", (int)(end - at - 1), at + 1);
                if (strextendf_with_separator(&out, NULL, "%.*s%s", (int)(at - p), p,
                                              field_value(d, run, a, name, value, sizeof(value))) < 0)
                        return NULL;
                p = end + 1;
        }
        return TAKE_PTR(out);
}

Reason explain(DeviceReport *d, const Run *run, Explanation e, const ExplainArgs *args) {
        static const ExplainArgs none = {};
        const ExplainEntry *entry = &table[e];
        const ExplainArgs *a = args ?: &none;

        free(d->message);
        d->message = expand(entry->message, d, run, a);
        free(d->fix);
        d->fix = expand(entry->fix, d, run, a);
        d->reason = entry->reason;
        return entry->reason;
}

Reason explanation_reason(Explanation e) {
        return table[e].reason;
}

typedef struct FindingEntry {
        Severity severity;
        NoteCode code;
        const char *message;
        const char *fix; /* NULL: none */
} FindingEntry;

#define IN_USE_ERROR "QEMU's \"device is in use\""

static const FindingEntry findings[_FINDING_MAX] = {
        [FINDING_VM_CONFIG_UNREADABLE] = { SEVERITY_WARNING, NOTE_VM_CONFIG_UNREADABLE, "@FILE@:@LINE@: @DETAIL@",
                                           "correct it; until then the VM is checked without what it names" },
        [FINDING_VM_DEVICE_NOT_CLAIMED] = { SEVERITY_WARNING, NOTE_VM_DEVICE_NOT_CLAIMED,
                                            "@VM@ passes @DEVICE@ (@ORIGIN@ in @FILE@), but @CONFIG@ does not claim "
                                            "it at boot: it leaves its host driver only when the VM starts, late, "
                                            "or the start fails with " IN_USE_ERROR,
                                            "add it to @CONFIG@ ([@SUGGEST@] address = @DEVICE@), then run "
                                            "'vfio-bind apply'" },
        [FINDING_VM_PARTIAL_GROUP] = { SEVERITY_WARNING, NOTE_VM_PARTIAL_GROUP,
                                       "@VM@ passes @DEVICE@ but not @MEMBERS@ of its IOMMU group @GROUP@: the VM "
                                       "starts only while they stay on a VFIO driver, and no other VM can have them",
                                       "pass the whole group to @VM@ (add @MEMBERS@), or make sure no VM and no host "
                                       "driver uses @MEMBERS@" },
        [FINDING_VM_GROUP_SPLIT] = { SEVERITY_WARNING, NOTE_VM_GROUP_SPLIT,
                                     "IOMMU group @GROUP@ is split between VMs: @VM@ passes @DEVICE@ and @OTHER@ "
                                     "passes @DETAIL@; a group belongs to one VM at a time, so whichever starts "
                                     "second fails with " IN_USE_ERROR,
                                     "pass the whole group to one VM, or move a card to a slot with its own IOMMU "
                                     "group" },
        [FINDING_VM_AUTOSTART_SHARED] = { SEVERITY_WARNING, NOTE_VM_AUTOSTART_SHARED,
                                          "@VM@ and @OTHER@ both pass @DEVICE@ and both start at boot: the second "
                                          "to start fails with " IN_USE_ERROR,
                                          "let only one of them start at boot ('qm set VMID --onboot 0' or "
                                          "'virsh autostart --disable DOMAIN')" },
        [FINDING_VM_DEVICE_UNUSED] = { SEVERITY_INFO, NOTE_VM_DEVICE_UNUSED,
                                       "@DEVICE@ ([@LABEL@]) is claimed at boot, but no VM configuration on this "
                                       "host passes it",
                                       "pass it to a VM, or remove it from @CONFIG@ so that the host can use it" },
        [FINDING_GUARD_MISSING] = { SEVERITY_ERROR, NOTE_GUARD_MISSING,
                                    "@DEVICE@ (@ORIGIN@) does not exist on this host",
                                    "check the address in @FILE@ with 'lspci -D': addresses change when cards "
                                    "move and after firmware updates" },
        [FINDING_GUARD_NOT_VFIO_CONFIGURED] = { SEVERITY_ERROR, NOTE_GUARD_NOT_VFIO,
                                                "@DEVICE@ (@ORIGIN@) is on @CURRENT@, not on a VFIO driver, "
                                                "although [@LABEL@] in @CONFIG@ claims it",
                                                "run 'vfio-bind status' to see why the boot claim did not hold it, "
                                                "then 'vfio-bind apply'" },
        [FINDING_GUARD_NOT_VFIO] = { SEVERITY_ERROR, NOTE_GUARD_NOT_VFIO,
                                     "@DEVICE@ (@ORIGIN@) is on @CURRENT@, not on a VFIO driver, and "
                                     "@CONFIG@ does not claim it",
                                     "add it to @CONFIG@ ([@SUGGEST@] address = @DEVICE@) and run 'vfio-bind "
                                     "apply', so that it is claimed at boot before any host driver" },
        [FINDING_GUARD_MANAGED] = { SEVERITY_WARNING, NOTE_GUARD_MANAGED,
                                    "@DEVICE@ (@ORIGIN@) is on @CURRENT@; libvirt moves it to vfio-pci "
                                    "itself now (managed='yes'), which fails while the host uses it",
                                    "claim it at boot: add it to @CONFIG@ ([@SUGGEST@] address = @DEVICE@)" },
        [FINDING_GUARD_NO_GROUP] = { SEVERITY_ERROR, NOTE_GUARD_NO_GROUP,
                                     "@DEVICE@ (@ORIGIN@) has no IOMMU group: the IOMMU is off",
                                     "turn on VT-d or AMD-Vi in the firmware setup, and intel_iommu=on on the "
                                     "kernel command line for Intel CPUs" },
        [FINDING_GUARD_GROUP_NOT_VIABLE] = { SEVERITY_ERROR, NOTE_GROUP_NOT_VIABLE,
                                             "IOMMU group @GROUP@ of @DEVICE@ (@ORIGIN@) is not usable: "
                                             "@MEMBERS@ stay on host drivers",
                                             "claim them too (functions = all, or their addresses in @CONFIG@), then "
                                             "run 'vfio-bind apply'" },
        [FINDING_GUARD_IN_USE] = { SEVERITY_ERROR, NOTE_IN_USE, "@DEVICE@ (@ORIGIN@) is in use: @DETAIL@",
                                   "stop the VM (or the stale QEMU) that holds it first" },
        [FINDING_GUARD_NO_RESET] = { SEVERITY_WARNING, NOTE_NO_RESET,
                                     "@DEVICE@ (@ORIGIN@) has no reset method: once the VM stops it may not "
                                     "work again until the host reboots",
                                     "check /sys/bus/pci/devices/@DEVICE@/reset_method; a vendor reset module may "
                                     "provide one" },
};

static const char *finding_field(const FindingArgs *a, const char *name) {
        static const struct {
                const char *name;
                size_t offset;
        } fields[] = {
                { "VM", offsetof(FindingArgs, vm) },         { "OTHER", offsetof(FindingArgs, other) },
                { "DEVICE", offsetof(FindingArgs, device) }, { "ORIGIN", offsetof(FindingArgs, origin) },
                { "FILE", offsetof(FindingArgs, file) },     { "LINE", offsetof(FindingArgs, line) },
                { "GROUP", offsetof(FindingArgs, group) },   { "MEMBERS", offsetof(FindingArgs, members) },
                { "LABEL", offsetof(FindingArgs, label) },   { "CONFIG", offsetof(FindingArgs, config) },
                { "CURRENT", offsetof(FindingArgs, current) }, { "SUGGEST", offsetof(FindingArgs, suggest) },
                { "DETAIL", offsetof(FindingArgs, detail) },
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (streq(name, fields[i].name))
                        return strna(*(const char *const *)((const char *)a + fields[i].offset));
        return "n/a";
}

static char *expand_finding(const char *template, const FindingArgs *a) {
        _cleanup_free_ char *out = NULL;

        if (!template)
                return NULL;
        for (const char *p = template; *p;) {
                const char *at = strchr(p, '@'), *end = at ? strchr(at + 1, '@') : NULL;
                if (!end) {
                        if (strextendf_with_separator(&out, NULL, "%s", p) < 0)
                                return NULL;
                        break;
                }
                char name[16];
                snprintf(name, sizeof(name), "%.*s", (int)(end - at - 1), at + 1);
                if (strextendf_with_separator(&out, NULL, "%.*s%s", (int)(at - p), p, finding_field(a, name)) < 0)
                        return NULL;
                p = end + 1;
        }
        return TAKE_PTR(out);
}

int explain_finding(NoteList *l, Finding f, const FindingArgs *a) {
        const FindingEntry *e = &findings[f];
        char *message = expand_finding(e->message, a), *fix = expand_finding(e->fix, a);
        if (!message || (e->fix && !fix)) {
                free(message);
                free(fix);
                return -ENOMEM;
        }
        return note_add(l, e->severity, e->code, message, fix);
}

static const TaintFlag taint_flags[] = {
        [0] = { 'P', "a proprietary module was loaded" },
        [1] = { 'F', "a module was force-loaded" },
        [2] = { 'S', "the kernel runs on an out-of-specification system" },
        [3] = { 'R', "a module was force-unloaded" },
        [4] = { 'M', "the processor reported a machine check exception" },
        [5] = { 'B', "a bad page was referenced, or unexpected page flags were seen" },
        [6] = { 'U', "taint requested by a userspace program" },
        [7] = { 'D', "the kernel died recently (oops or BUG)" },
        [8] = { 'A', "an ACPI table was overridden by the user" },
        [9] = { 'W', "the kernel issued a warning" },
        [10] = { 'C', "a staging driver was loaded" },
        [11] = { 'I', "a workaround for a platform firmware bug was applied" },
        [12] = { 'O', "an externally-built (out-of-tree) module was loaded" },
        [13] = { 'E', "an unsigned module was loaded" },
        [14] = { 'L', "a soft lockup occurred" },
        [15] = { 'K', "the kernel was live-patched" },
        [16] = { 'X', "auxiliary taint, defined by the distribution" },
        [17] = { 'T', "the kernel was built with the struct randomization plugin" },
        [18] = { 'N', "an in-kernel test was run" },
        [19] = { 'J', "userspace used a mutating debug operation in fwctl" },
};

TaintFlag taint_flag(unsigned bit) {
        if (bit < ELEMENTSOF(taint_flags))
                return taint_flags[bit];
        return (TaintFlag){ '?', "a taint flag this version of vfio-bind does not know" };
}
