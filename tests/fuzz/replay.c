/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs a fuzz target once over every file in the directories given: the seed corpora stay regression tests
 * in builds without clang or libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"
#include "fuzz.h"
#include "macro.h"

int main(int argc, char **argv) {
        size_t n = 0;

        for (int i = 1; i < argc; i++) {
                _cleanup_closedir_ DIR *d = opendir(argv[i]);
                if (!d) {
                        fprintf(stderr, "cannot open %s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                for (struct dirent *de; (de = readdir(d));) {
                        _cleanup_free_ char *path = NULL, *data = NULL;
                        size_t size = 0;
                        if (de->d_name[0] == '.')
                                continue;
                        if (strdup_printf(&path, "%s/%s", argv[i], de->d_name) < 0 ||
                            read_full_file(path, &data, &size) < 0) {
                                fprintf(stderr, "cannot read %s/%s\n", argv[i], de->d_name);
                                return EXIT_FAILURE;
                        }
                        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, size);
                        n++;
                }
        }
        printf("%zu inputs\n", n);
        return n > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
