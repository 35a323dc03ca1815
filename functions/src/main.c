/*
 * main.c - the functions executable: registers the exported functions and runs the
 * Functions Framework, or one of the developer subcommands (functions invoke|seed|get|
 * watch-job, see cli/cli.h).
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
    int rc =
        argc > 1 && cli_is_command(argv[1]) ? cli_main(app, argc - 1, argv + 1) : ff_main(app, argc, argv);
    ff_app_free(app);
    return rc;
}
