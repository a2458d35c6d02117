/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sim-mktree [--replace] DESCRIPTION_FILE ROOT_DIR: builds a fake host tree. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim-util.h"
#include "simtree.h"

static int usage(const char *prog, int ret) {
        fprintf(ret ? stderr : stdout,
                "Usage: %s [--replace] DESCRIPTION_FILE ROOT_DIR\n"
                "  --replace  remove ROOT_DIR first if it holds a previous simulated tree\n",
                prog);
        return ret;
}

int main(int argc, char **argv) {
        bool replace = false;
        int r, i = 1;

        if (argc > 1 && !strcmp(argv[1], "--help"))
                return usage(argv[0], 0);
        if (argc > 1 && !strcmp(argv[1], "--replace")) {
                replace = true;
                i++;
        }
        if (argc - i != 2)
                return usage(argv[0], 2);
        if (replace) {
                _cleanup_free_ char *marker = sim_path("%s/sim/modules", argv[i + 1]);
                /* Only ever remove what looks like one of our trees. */
                if (!marker)
                        return 1;
                if (sim_exists(marker) && (r = sim_tree_remove(argv[i + 1])) < 0) {
                        fprintf(stderr, "Failed to remove '%s': %s\n", argv[i + 1], strerror(-r));
                        return 1;
                }
        }
        r = sim_tree_build_file(argv[i + 1], argv[i]);
        if (r < 0) {
                fprintf(stderr, "Failed to build '%s' from '%s': %s\n", argv[i + 1], argv[i], strerror(-r));
                return 1;
        }
        return 0;
}
