/*
 * deploy_helpers.h - the deploy suite's helpers: running scripts/deploy with a chosen PATH
 * (a directory holding only bash, optionally with trap executables named gcloud, firebase,
 * ... that record any call), splitting its --dry-run output into commands and shell words,
 * and reading the Dockerfile as instructions grouped by stage.
 * Tests run with the repository root as the working directory.
 */
#ifndef DEPLOY_HELPERS_H
#define DEPLOY_HELPERS_H

#include <stddef.h>

/* Every deploy suite's .timeout (the same for all: Criterion 2.4.1's runner leaks with
 * differing timeouts, which fails the ASan run). Long enough for the image-context build. */
#define DH_TIMEOUT_S 900

/* ---- scripts/deploy ------------------------------------------------------------- */

/* A directory for PATH: bash only, plus (traps != 0) executables gcloud, firebase, docker,
 * npx that append their command line to a log and fail. */
typedef struct dh_bindir {
    char dir[64];
    char log[96]; /* the traps' log; absent while nothing was called */
} dh_bindir;

void dh_bindir_make(dh_bindir *b, int traps);
/* Contents of the traps' log (caller frees), NULL when nothing was called. */
char *dh_bindir_calls(const dh_bindir *b);
void dh_bindir_remove(dh_bindir *b);

/* One command line of the dry run, split into shell words (quotes removed). */
typedef struct dh_cmd {
    char *line;
    char **argv;
    size_t argc;
} dh_cmd;

typedef struct dh_run {
    int exit_code; /* or 256 + signal, or -1 if it did not end in time */
    char *out;     /* stdout */
    char *err;     /* stderr */
    dh_cmd *cmds;  /* stdout lines, parsed */
    size_t n_cmds;
} dh_run;

/* Runs scripts/deploy with args (NULL-terminated). path: the PATH to give it, or NULL for
 * the inherited one. Asserts the script started and ended within 30 s. */
void dh_deploy(dh_run *r, const char *const args[], const char *path);
/* The usual dry run, `scripts/deploy --project demo-proj --dry-run`, with PATH = a
 * bash-only directory (so it cannot reach gcloud). */
void dh_dry_run(dh_run *r);
void dh_run_free(dh_run *r);

/* Commands whose first words are w0 w1 ... (NULL-terminated prefix), in order. Fills out
 * (up to max) with indices into r->cmds; returns how many matched. */
size_t dh_find(const dh_run *r, const char *const prefix[], size_t *out, size_t max);
/* Like dh_find but asserts exactly one match; returns it. what names it for messages. */
const dh_cmd *dh_one(const dh_run *r, const char *const prefix[], const char *what);
/* Index of c in r->cmds. */
size_t dh_index(const dh_run *r, const dh_cmd *c);
/* 1 if c has the word exactly. */
int dh_has(const dh_cmd *c, const char *word);
/* The value of --name=VALUE or "--name VALUE" (first occurrence), NULL if absent. */
const char *dh_flag(const dh_cmd *c, const char *name);
/* The value of KEY in a comma-separated KEY=VALUE list (static copy), NULL if absent. */
const char *dh_kv(const char *list, const char *key);

/* ---- Dockerfile ------------------------------------------------------------------- */

typedef struct dh_instr {
    char *keyword; /* upper case: FROM, RUN, COPY, USER, ... */
    char *args;    /* continuation lines joined, comments removed */
    int stage;     /* 0-based index of the FROM it belongs to */
} dh_instr;

typedef struct dh_dockerfile {
    dh_instr *ins;
    size_t n;
    int stages;
} dh_dockerfile;

/* Parses the file (asserts it exists). */
void dh_dockerfile_load(dh_dockerfile *d, const char *path);
void dh_dockerfile_free(dh_dockerfile *d);

/* ---- misc ------------------------------------------------------------------------- */

/* Whole file (caller frees); NULL if unreadable. */
char *dh_read_file(const char *path);
/* Runs a shell command, returns its stdout (caller frees); *status gets the exit code. */
char *dh_capture(const char *cmd, int *status);
/* Splits one shell line into words ('...' and "..." quoting, backslash escapes).
 * Returns a NULL-terminated array (free with dh_words_free); *n gets the count. */
char **dh_words(const char *line, size_t *n);
void dh_words_free(char **w);

#endif
