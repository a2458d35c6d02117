/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Journal MESSAGE_IDs. Each is explained, with its fix, in vfio-bind.catalog; never reuse or change one. */
#define MESSAGE_ID_CLAIMED "8ad44a2743fc4b39bd19b78aef3239fc"
#define MESSAGE_ID_ALREADY "650c7b88fff94dfe86175ce9260e0d33"
#define MESSAGE_ID_REFUSED "3dec364f94464575b33f624518303217"
#define MESSAGE_ID_FAILED "9426c477805f41318bd9c5fc74f9b155"
#define MESSAGE_ID_STUCK "1755cba2dd9142dc9a14b5b4ed04239b"
#define MESSAGE_ID_SUMMARY "deaca1c93ffb481e8bbfe57e25e8961e"
#define MESSAGE_ID_INITRAMFS_STALE "ca47fb14c8944206ab5e928573e31e86"
#define MESSAGE_ID_DISABLED "5c1e90aca5324b62a1b46d3291914a16"
#define MESSAGE_ID_HOST_NOTE "e0318080babd4218ab83c2a212af1807"
