/*
 * cli.h - developer subcommands of the functions executable (the local harness):
 *   functions invoke NAME [options]   call a function over HTTP or in-process (--local)
 *   functions seed FILE...            write documents from JSON fixtures
 *   functions get PATH                print a document as plain JSON
 *   functions watch-job PROJECT JOB   follow a job until it is terminal
 * Each answers --help (or -h) with its usage on stdout and exit status 0; bad usage
 * (an unknown flag, a missing argument) prints the reason and the usage on stderr and
 * exits with 2. Firestore access uses the same environment as the functions
 * (FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT).
 */
#ifndef FUNCTIONS_CLI_H
#define FUNCTIONS_CLI_H

#include <stdio.h>

#include "ff.h"

/* Nonzero when argv[1] names a subcommand. */
int cli_is_command(const char *arg);
/* Runs the subcommand argv[0] with its arguments; returns the process exit status. */
int cli_main(const ff_app *app, int argc, char **argv);
/* Nonzero when argv[1..] asks for help (--help or -h). */
int cli_wants_help(int argc, char **argv);
/* Lists the subcommands, one line each, for `functions --help`. */
void cli_print_commands(FILE *out);
/*
 * Bad usage of subcommand `name`: prints "functions NAME: WHY ARG" and the usage on
 * stderr. Returns 2, the exit status for bad usage.
 */
int cli_bad_usage(const char *name, const char *why, const char *arg);

/* Each subcommand: its usage text (ends with a newline) and its entry point. */
extern const char cli_invoke_usage[], cli_seed_usage[], cli_get_usage[], cli_watch_job_usage[];
int cli_invoke(const ff_app *app, int argc, char **argv);
int cli_seed(const ff_app *app, int argc, char **argv);
int cli_get(const ff_app *app, int argc, char **argv);
int cli_watch_job(const ff_app *app, int argc, char **argv);

/* Prints a JSON value indented on stdout. */
void cli_print_json(const json_t *v);

#endif
