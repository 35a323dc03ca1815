/*
 * main.c - the functions executable: registers the exported functions and runs the
 * Functions Framework, or one of the developer subcommands (functions invoke|seed|get|
 * watch-job, see cli/cli.h). `functions --help` prints the runtime's flags, then the
 * subcommands.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "index.h"

int main(int argc, char **argv)
{
    ff_app *app = ff_app_new();
    ff_error err = {0};
    if (app == NULL || functions_register(app, &err) != 0) {
        fprintf(stderr, "functions: cannot register functions: %s\n", err.message);
        return 2;
    }
    int rc;
    if (argc > 1 && cli_is_command(argv[1])) {
        rc = cli_main(app, argc - 1, argv + 1);
    } else {
        rc = ff_main(app, argc, argv);
        if (rc == 0 && cli_wants_help(argc, argv))
            cli_print_commands(stdout);
    }
    ff_app_free(app);
    return rc;
}
