/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc-util.h"

/* Arrays start with room for a few elements: most lists here (notes, devices, mounts) stay that short. */
#define GREEDY_MIN_ELEMENTS 4

void *greedy_realloc(void **p, size_t need, size_t size) {
        size_t n;
        void *q;

        if (size == 0)
                return NULL;
        /* The allocator knows how much room the block really has: no capacity field to carry around. */
        if (*p && malloc_usable_size(*p) / size >= need)
                return *p;
        if (need > SIZE_MAX / 2 / size)
                return NULL;
        n = need < GREEDY_MIN_ELEMENTS ? GREEDY_MIN_ELEMENTS : need * 2;
        q = realloc(*p, n * size);
        if (!q)
                return NULL;
        *p = q;
        return q;
}
