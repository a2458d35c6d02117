/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed UTF-8 sequence S starts with (1 to 4 bytes; overlong forms, surrogates and code
 * points above U+10FFFF are not well-formed), with its code point in *ret_codepoint; 0 when S does not start
 * one, *ret_codepoint then untouched. S must be NUL-terminated: a NUL ends a sequence early. */
size_t utf8_sequence_length(const char *s, uint32_t *ret_codepoint);

/* A code point a terminal may act on instead of showing: C0 controls, DEL and C1 controls (U+0080 to
 * U+009F, which some terminals read as escape sequences). */
static inline int unichar_is_control(uint32_t c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}
