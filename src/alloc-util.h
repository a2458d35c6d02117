/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Make room for at least NEED elements of SIZE bytes in *P. The array grows geometrically, so appending
 * one element at a time costs amortised O(1) instead of a realloc() per element. Returns the (possibly
 * moved) array, or NULL when out of memory, in which case *P is unchanged and still owned by the caller. */
void *greedy_realloc(void **p, size_t need, size_t size);

#define GREEDY_REALLOC(array, need) greedy_realloc((void **)&(array), (need), sizeof((array)[0]))
