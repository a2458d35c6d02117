/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time config_parse_string() on configurations of 10,000 and 20,000 sections, one function each, to see
 * that the parser stays linear. A timing to read, not a test: nothing here asserts a time.
 *
 *   build/bench/bench-parse-config */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "macro.h"

int main(void) {
        for (unsigned n = 10000; n <= 20000; n += 10000) {
                size_t size = (size_t) n * 64, len = 0;
                _cleanup_free_ char *text = malloc(size);
                _cleanup_config_ Config *c = NULL;
                struct timespec start, end;

                if (!text)
                        return EXIT_FAILURE;
                for (unsigned i = 0; i < n; i++)
                        len += (size_t) snprintf(text + len, size - len, "[dev%u]\naddress = %04x:%02x:%02x.%x\n", i,
                                                 i / 65536, (i / 256) % 256, (i / 8) % 32, i % 8);
                clock_gettime(CLOCK_MONOTONIC, &start);
                if (config_parse_string("bench.conf", text, len, &c) < 0)
                        return EXIT_FAILURE;
                clock_gettime(CLOCK_MONOTONIC, &end);
                printf("%u sections: %.1f ms, %zu errors\n", n,
                       (double) (end.tv_sec - start.tv_sec) * 1e3 + (double) (end.tv_nsec - start.tv_nsec) / 1e6,
                       c->n_errors);
        }
        return EXIT_SUCCESS;
}
