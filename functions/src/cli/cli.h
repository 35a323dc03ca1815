/*
 * cli.h - developer subcommands of the functions executable (the local harness):
 *   functions invoke NAME [options]   call a function over HTTP or in-process (--local)
 *   functions seed FILE...            write documents from JSON fixtures
 *   functions get PATH                print a document as plain JSON
 *   functions watch-job PROJECT JOB   follow a job until it is terminal
 * Firestore access uses the same environment as the functions (FIRESTORE_EMULATOR_HOST,
 * GOOGLE_CLOUD_PROJECT).
 */
#ifndef FUNCTIONS_CLI_H
#define FUNCTIONS_CLI_H

#include "ff.h"

/* Nonzero when argv[1] names a subcommand. */
int cli_is_command(const char *arg);
/* Runs the subcommand argv[0] with its arguments; returns the process exit status. */
int cli_main(const ff_app *app, int argc, char **argv);

int cli_invoke(const ff_app *app, int argc, char **argv);
int cli_seed(int argc, char **argv);
int cli_get(int argc, char **argv);
int cli_watch_job(int argc, char **argv);

/* Prints a JSON value indented on stdout. */
void cli_print_json(const json_t *v);

#endif
