/*
 * cli.c - dispatch of the developer subcommands (see cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_is_command(const char *arg)
{
    return strcmp(arg, "invoke") == 0 || strcmp(arg, "seed") == 0 || strcmp(arg, "get") == 0 ||
           strcmp(arg, "watch-job") == 0;
}

int cli_main(const ff_app *app, int argc, char **argv)
{
    if (strcmp(argv[0], "invoke") == 0)
        return cli_invoke(app, argc, argv);
    if (strcmp(argv[0], "seed") == 0)
        return cli_seed(argc, argv);
    if (strcmp(argv[0], "get") == 0)
        return cli_get(argc, argv);
    return cli_watch_job(argc, argv);
}

void cli_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (s != NULL)
        puts(s);
    free(s);
}
