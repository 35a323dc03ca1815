/*
 * deploy_helpers.c - runs scripts/deploy under a controlled PATH and parses its dry-run
 * output; parses the Dockerfile into instructions by stage. See deploy_helpers.h.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/spawn.h"
#include "deploy_helpers.h"

/* ---- files and commands ------------------------------------------------------------ */

char *dh_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    cr_assert(buf != NULL);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf != NULL);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

char *dh_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL, "popen %s", cmd);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    cr_assert(buf != NULL);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf != NULL);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (status)
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

/* ---- PATH directories -------------------------------------------------------------- */

static const char *const trap_names[] = {"gcloud", "firebase", "docker", "npx"};
#define N_TRAPS (sizeof(trap_names) / sizeof(trap_names[0]))

void dh_bindir_make(dh_bindir *b, int traps)
{
    snprintf(b->dir, sizeof(b->dir), "/tmp/deploy-test-XXXXXX");
    cr_assert(mkdtemp(b->dir) != NULL);
    snprintf(b->log, sizeof(b->log), "%s/calls.log", b->dir);

    const char *bash = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/usr/bin/bash";
    char link[128];
    snprintf(link, sizeof(link), "%s/bash", b->dir);
    cr_assert_eq(symlink(bash, link), 0, "symlink bash");

    for (size_t i = 0; traps && i < N_TRAPS; i++) {
        char path[128], script[512];
        snprintf(path, sizeof(path), "%s/%s", b->dir, trap_names[i]);
        snprintf(script, sizeof(script), "#!/bin/sh\necho \"%s $*\" >> '%s'\nexit 97\n", trap_names[i],
                 b->log);
        write_file(path, script, 0755);
    }
}

char *dh_bindir_calls(const dh_bindir *b)
{
    return dh_read_file(b->log);
}

void dh_bindir_remove(dh_bindir *b)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/bash", b->dir);
    unlink(path);
    for (size_t i = 0; i < N_TRAPS; i++) {
        snprintf(path, sizeof(path), "%s/%s", b->dir, trap_names[i]);
        unlink(path);
    }
    unlink(b->log);
    rmdir(b->dir);
}

/* ---- shell words --------------------------------------------------------------------- */

char **dh_words(const char *line, size_t *n)
{
    size_t cap = 16, count = 0;
    char **w = calloc(cap, sizeof(char *));
    cr_assert(w != NULL);
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\n')
            break;
        char *word = malloc(strlen(p) + 1);
        cr_assert(word != NULL);
        size_t o = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                for (p++; *p && *p != '\''; p++)
                    word[o++] = *p;
                cr_assert(*p == '\'', "unterminated '...' in: %s", line);
                p++;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1])
                        p++;
                    word[o++] = *p;
                }
                cr_assert(*p == '"', "unterminated \"...\" in: %s", line);
                p++;
            } else if (*p == '\\' && p[1]) {
                word[o++] = p[1];
                p += 2;
            } else {
                word[o++] = *p++;
            }
        }
        word[o] = '\0';
        if (count + 2 > cap) {
            cap *= 2;
            w = realloc(w, cap * sizeof(char *));
            cr_assert(w != NULL);
        }
        w[count++] = word;
    }
    w[count] = NULL;
    if (n)
        *n = count;
    return w;
}

void dh_words_free(char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        free(w[i]);
    free(w);
}

/* ---- running scripts/deploy ---------------------------------------------------------- */

void dh_deploy(dh_run *r, const char *const args[], const char *path)
{
    memset(r, 0, sizeof(*r));
    char path_env[256];
    const char *env[2] = {NULL, NULL};
    if (path) {
        snprintf(path_env, sizeof(path_env), "PATH=%s", path);
        env[0] = path_env;
    }
    cr_assert_eq(access("scripts/deploy", X_OK), 0,
                 "scripts/deploy missing or not executable (cwd must be the repo root)");
    spawn_proc *p = spawn_start("scripts/deploy", args, env);
    cr_assert(p != NULL, "could not start scripts/deploy");
    r->exit_code = spawn_wait(p, 30000);
    if (r->exit_code == SPAWN_RUNNING)
        spawn_stop(p, 9, 1000);
    r->out = spawn_read_stdout(p, NULL);
    r->err = spawn_read_stderr(p, NULL);
    spawn_free(p);
    cr_assert(r->out != NULL && r->err != NULL);
    cr_assert_neq(r->exit_code, SPAWN_RUNNING, "scripts/deploy did not finish in 30 s");

    size_t cap = 8;
    r->cmds = calloc(cap, sizeof(dh_cmd));
    cr_assert(r->cmds != NULL);
    for (char *line = r->out; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > 0) {
            if (r->n_cmds == cap) {
                cap *= 2;
                r->cmds = realloc(r->cmds, cap * sizeof(dh_cmd));
                cr_assert(r->cmds != NULL);
            }
            dh_cmd *c = &r->cmds[r->n_cmds++];
            c->line = strndup(line, len);
            cr_assert(c->line != NULL);
            c->argv = dh_words(c->line, &c->argc);
        }
        line = nl ? nl + 1 : line + len;
    }
}

void dh_dry_run(dh_run *r)
{
    dh_bindir b;
    dh_bindir_make(&b, 0);
    const char *args[] = {"--project", "demo-proj", "--dry-run", NULL};
    dh_deploy(r, args, b.dir);
    dh_bindir_remove(&b);
    cr_assert_eq(r->exit_code, 0, "dry run failed (%d): %s", r->exit_code, r->err);
    cr_assert(r->n_cmds > 0, "dry run printed nothing");
}

void dh_run_free(dh_run *r)
{
    for (size_t i = 0; i < r->n_cmds; i++) {
        free(r->cmds[i].line);
        dh_words_free(r->cmds[i].argv);
    }
    free(r->cmds);
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/* argv[0] may be a path (tools/node_modules/.bin/firebase): compare its last component. */
static int word_matches(const char *word, const char *want, size_t pos)
{
    if (pos == 0) {
        const char *slash = strrchr(word, '/');
        word = slash ? slash + 1 : word;
    }
    return strcmp(word, want) == 0;
}

size_t dh_find(const dh_run *r, const char *const prefix[], size_t *out, size_t max)
{
    size_t found = 0;
    for (size_t i = 0; i < r->n_cmds; i++) {
        const dh_cmd *c = &r->cmds[i];
        size_t k = 0;
        while (prefix[k] && k < c->argc && word_matches(c->argv[k], prefix[k], k))
            k++;
        if (prefix[k] == NULL) {
            if (found < max)
                out[found] = i;
            found++;
        }
    }
    return found;
}

const dh_cmd *dh_one(const dh_run *r, const char *const prefix[], const char *what)
{
    size_t idx[4];
    size_t n = dh_find(r, prefix, idx, 4);
    cr_assert_eq(n, 1, "expected exactly one command for %s, found %zu in:\n%s", what, n, r->out);
    return &r->cmds[idx[0]];
}

size_t dh_index(const dh_run *r, const dh_cmd *c)
{
    return (size_t)(c - r->cmds);
}

int dh_has(const dh_cmd *c, const char *word)
{
    for (size_t i = 0; i < c->argc; i++)
        if (strcmp(c->argv[i], word) == 0)
            return 1;
    return 0;
}

const char *dh_flag(const dh_cmd *c, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < c->argc; i++) {
        if (strncmp(c->argv[i], name, n) == 0 && c->argv[i][n] == '=')
            return c->argv[i] + n + 1;
        if (strcmp(c->argv[i], name) == 0 && i + 1 < c->argc)
            return c->argv[i + 1];
    }
    return NULL;
}

const char *dh_kv(const char *list, const char *key)
{
    static char bufs[4][512];
    static int next;
    if (list == NULL)
        return NULL;
    size_t klen = strlen(key);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char *b = bufs[next++ % 4];
            snprintf(b, sizeof(bufs[0]), "%.*s", (int)(len - klen - 1), p + klen + 1);
            return b;
        }
        p = end ? end + 1 : p + len;
    }
    return NULL;
}

/* ---- Dockerfile ------------------------------------------------------------------------ */

void dh_dockerfile_load(dh_dockerfile *d, const char *path)
{
    memset(d, 0, sizeof(*d));
    char *text = dh_read_file(path);
    cr_assert(text != NULL, "%s is missing", path);
    size_t cap = 16;
    d->ins = calloc(cap, sizeof(dh_instr));
    cr_assert(d->ins != NULL);
    d->stages = 0;

    /* Logical lines: comment lines dropped, "\" continuations joined. */
    char *logical = NULL;
    size_t llen = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (*s != '#' && *s != '\0') {
            size_t len = strlen(s);
            while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
            int cont = len > 0 && s[len - 1] == '\\';
            if (cont)
                len--;
            logical = realloc(logical, llen + len + 2);
            cr_assert(logical != NULL);
            memcpy(logical + llen, s, len);
            llen += len;
            logical[llen++] = ' ';
            logical[llen] = '\0';
            if (!cont) {
                char *kw = logical;
                char *sp = strchr(kw, ' ');
                *sp = '\0';
                char *args = sp + 1;
                while (isspace((unsigned char)*args))
                    args++;
                size_t alen = strlen(args);
                while (alen > 0 && isspace((unsigned char)args[alen - 1]))
                    args[--alen] = '\0';
                for (char *k = kw; *k; k++)
                    *k = (char)toupper((unsigned char)*k);
                if (strcmp(kw, "FROM") == 0)
                    d->stages++;
                if (d->n == cap) {
                    cap *= 2;
                    d->ins = realloc(d->ins, cap * sizeof(dh_instr));
                    cr_assert(d->ins != NULL);
                }
                d->ins[d->n].keyword = strdup(kw);
                d->ins[d->n].args = strdup(args);
                d->ins[d->n].stage = d->stages - 1;
                d->n++;
                free(logical);
                logical = NULL;
                llen = 0;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    cr_assert(logical == NULL, "%s ends inside a continued line", path);
    free(text);
}

void dh_dockerfile_free(dh_dockerfile *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->ins[i].keyword);
        free(d->ins[i].args);
    }
    free(d->ins);
    memset(d, 0, sizeof(*d));
}
