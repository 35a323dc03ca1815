/*
 * cli.c - dispatch of the developer subcommands, their --help and bad-usage messages
 * (see cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command {
    const char *name, *synopsis, *summary;
    const char *usage;
    int (*run)(const ff_app *app, int argc, char **argv);
} commands[] = {
    {"invoke", "NAME [options]", "call a function over HTTP or in-process (--local)", cli_invoke_usage,
     cli_invoke},
    {"seed", "FILE... [--var N=V]", "write documents from JSON fixtures", cli_seed_usage, cli_seed},
    {"get", "PATH", "print a Firestore document as plain JSON", cli_get_usage, cli_get},
    {"watch-job", "PROJECT JOB", "follow a job until it is terminal", cli_watch_job_usage, cli_watch_job},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int cli_is_command(const char *arg)
{
    return find(arg) != NULL;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int cli_main(const ff_app *app, int argc, char **argv)
{
    const struct cli_command *c = find(argv[0]);
    if (cli_wants_help(argc, argv)) {
        fputs(c->usage, stdout);
        return 0;
    }
    return c->run(app, argc, argv);
}

void cli_print_commands(FILE *out)
{
    fputs("developer subcommands (each answers --help):\n", out);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].synopsis);
        fprintf(out, "  functions %-30s %s\n", left, commands[i].summary);
    }
}

int cli_bad_usage(const char *name, const char *why, const char *arg)
{
    fprintf(stderr, "functions %s: %s%s%s\n", name, why, arg ? " " : "", arg ? arg : "");
    fputs(find(name)->usage, stderr);
    return 2;
}

void cli_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (s != NULL)
        puts(s);
    free(s);
}
