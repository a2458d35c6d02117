/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "utf8.h"

size_t utf8_sequence_length(const char *s, uint32_t *ret_codepoint) {
        const unsigned char *p = (const unsigned char *) s;
        uint32_t c, min;
        size_t n;

        if (p[0] < 0x80) {
                *ret_codepoint = p[0];
                return 1;
        }
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                n = 2;
                c = p[0] & 0x1f;
                min = 0x80;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                n = 3;
                c = p[0] & 0x0f;
                min = 0x800;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                n = 4;
                c = p[0] & 0x07;
                min = 0x10000;
        } else
                return 0; /* a continuation byte, or a lead byte that only starts overlong or too large forms */

        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret_codepoint = c;
        return n;
}
