/*
 * test_image_context.c - the image builds from exactly the files its build context
 * admits. No container engine is needed: the test lays out in a temporary directory only
 * what .dockerignore lets through (walking this tree as `docker build .` would), then
 * replays the build stage of the Dockerfile there: WORKDIR, ENV and COPY as Docker does
 * them, each RUN with /bin/sh -c in a clean environment, except package installation
 * (apt-get), which is checked instead: every package it names must be installed on this
 * Debian host. Finally the binary the final stage copies must exist and list the three
 * functions (--list). Also: the .dockerignore matcher against Docker's pattern rules.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy_helpers.h"
#include "dockerignore.h"

TestSuite(image_context, .timeout = DH_TIMEOUT_S);
TestSuite(dockerignore, .timeout = DH_TIMEOUT_S);

#define CLEAN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A formatted string (caller frees). */
static char *str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    cr_assert_geq(vasprintf(&s, fmt, ap), 0);
    va_end(ap);
    return s;
}

/* Runs a shell command (formatted); asserts it exits 0. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = NULL;
    cr_assert_geq(vasprintf(&cmd, fmt, ap), 0);
    va_end(ap);
    int st;
    char *out = dh_capture(cmd, &st);
    cr_assert_eq(st, 0, "`%s` failed (%d): %s", cmd, st, out);
    free(out);
    free(cmd);
}

/* Copies into ctx every path below rel (relative to the tree root, "" = the root) that
 * the rules admit; excluded directories are entered only when an exception could
 * re-admit something below them. Returns the number of files copied. */
static size_t lay_out(const di_rules *rules, const char *rel, const char *ctx)
{
    DIR *d = opendir(rel[0] ? rel : ".");
    cr_assert_not_null(d, "opendir %s", rel);
    size_t copied = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = str("%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        struct stat st;
        cr_assert_eq(lstat(path, &st), 0, "lstat %s", path);
        int excluded = di_excluded(rules, path);
        if (S_ISDIR(st.st_mode)) {
            if (!excluded || di_may_admit_below(rules, path))
                copied += lay_out(rules, path, ctx);
        } else if (!excluded) {
            sh("mkdir -p \"$(dirname '%s/%s')\" && cp -P --preserve=mode '%s' '%s/%s'", ctx, path, path, ctx,
               path);
            copied++;
        }
        free(path);
    }
    closedir(d);
    return copied;
}

static void load_rules(di_rules *r)
{
    char *text = dh_read_file(".dockerignore");
    cr_assert_not_null(text, ".dockerignore is missing");
    cr_assert_eq(di_parse(r, text), 0, ".dockerignore has a pattern that does not compile");
    free(text);
}

/* The build being replayed: the image's filesystem root and the RUN environment. */
typedef struct replay {
    char root[PATH_MAX];
    char ctx[PATH_MAX];
    char workdir[PATH_MAX]; /* inside the image, absolute */
    char env[2048];         /* "K='v' ..." from ENV instructions */
} replay;

/* The stage index named by "FROM ... AS name", -1 if none. */
static int stage_named(const dh_dockerfile *df, const char *name)
{
    for (size_t i = 0; i < df->n; i++) {
        if (strcmp(df->ins[i].keyword, "FROM") != 0)
            continue;
        size_t n;
        char **w = dh_words(df->ins[i].args, &n);
        int hit = n == 3 && strcasecmp(w[1], "AS") == 0 && strcmp(w[2], name) == 0;
        dh_words_free(w);
        if (hit)
            return df->ins[i].stage;
    }
    return -1;
}

/* A path inside the image (absolute, or relative to the WORKDIR) on the host; caller frees. */
static char *host_path(const replay *r, const char *p)
{
    return p[0] == '/' ? str("%s%s", r->root, p) : str("%s%s/%s", r->root, r->workdir, p);
}

static void do_copy(replay *r, const char *args)
{
    size_t n;
    char **w = dh_words(args, &n);
    size_t first = 0;
    while (first < n && strncmp(w[first], "--", 2) == 0) {
        cr_assert(strncmp(w[first], "--from", 6) != 0, "COPY --from inside the build stage: %s", args);
        first++;
    }
    cr_assert_geq(n - first, 2, "COPY needs a source and a destination: %s", args);
    char *dst = host_path(r, w[n - 1]);
    for (size_t i = first; i + 1 < n; i++) {
        char *src = str("%s/%s", r->ctx, w[i]);
        struct stat st;
        cr_assert_eq(stat(src, &st), 0, "COPY %s: not in the build context (.dockerignore keeps it out)",
                     w[i]);
        /* Docker: a directory's contents go into the destination; a file into it (dest/). */
        sh("mkdir -p '%s' && cp -a '%s%s' '%s/'", dst, src, S_ISDIR(st.st_mode) ? "/." : "", dst);
        free(src);
    }
    free(dst);
    dh_words_free(w);
}

/* apt-get install in a RUN: checked, not run (no network, and this host is the base). */
static void check_packages(const char *args)
{
    size_t n;
    char **w = dh_words(args, &n);
    int checked = 0;
    for (size_t k = 1; k < n; k++) {
        if (strcmp(w[k - 1], "apt-get") != 0 || strcmp(w[k], "install") != 0)
            continue;
        for (size_t j = k + 1; j < n && strcmp(w[j], "&&") != 0 && strcmp(w[j], ";") != 0; j++) {
            if (w[j][0] == '-')
                continue;
            char cmd[256];
            snprintf(cmd, sizeof(cmd), "dpkg-query -W -f='${db:Status-Abbrev}' '%s' 2>/dev/null", w[j]);
            int st;
            char *status = dh_capture(cmd, &st);
            cr_expect(st == 0 && strncmp(status, "ii", 2) == 0,
                      "the build stage installs %s, which this host lacks: run scripts/deps.sh or apt-get "
                      "install %s",
                      w[j], w[j]);
            free(status);
            checked++;
        }
    }
    dh_words_free(w);
    cr_assert_gt(checked, 0, "a RUN with apt-get but no package to install: %s", args);
}

static void do_run(replay *r, const char *args, int step)
{
    cr_assert(args[0] != '[', "exec-form RUN is not replayed: %s", args);
    if (strstr(args, "apt-get") != NULL) {
        check_packages(args);
        return;
    }
    char *script = str("%s/../run-%d.sh", r->root, step), *log = str("%s/../run-%d.log", r->root, step);
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", args);
    fclose(f);
    char *dir = host_path(r, ".");
    char *cmd = str("cd '%s' && env -i PATH=%s HOME=/root %s /bin/sh '%s' >'%s' 2>&1", dir, CLEAN_PATH,
                    r->env, script, log);
    int st;
    free(dh_capture(cmd, &st));
    free(cmd);
    if (st != 0) {
        cmd = str("tail -n 30 '%s'", log);
        char *tail = dh_capture(cmd, NULL);
        cr_assert_fail("RUN %s failed in the build context (exit %d):\n%s", args, st, tail);
    }
    free(dir);
    free(script);
    free(log);
}

/* Replays stage `stage` of df into r. */
static void replay_stage(replay *r, const dh_dockerfile *df, int stage)
{
    snprintf(r->workdir, sizeof(r->workdir), "/");
    for (size_t i = 0; i < df->n; i++) {
        const dh_instr *in = &df->ins[i];
        if (in->stage != stage)
            continue;
        if (strcmp(in->keyword, "WORKDIR") == 0) {
            char *next = in->args[0] == '/' ? str("%s", in->args) : str("%s/%s", r->workdir, in->args);
            cr_assert_lt(strlen(next), sizeof(r->workdir));
            strcpy(r->workdir, next);
            free(next);
            sh("mkdir -p '%s%s'", r->root, r->workdir);
        } else if (strcmp(in->keyword, "ENV") == 0) {
            size_t used = strlen(r->env);
            snprintf(r->env + used, sizeof(r->env) - used, " %s", in->args);
        } else if (strcmp(in->keyword, "COPY") == 0) {
            do_copy(r, in->args);
        } else if (strcmp(in->keyword, "RUN") == 0) {
            do_run(r, in->args, (int)i);
        } else {
            cr_assert(strcmp(in->keyword, "FROM") == 0 || strcmp(in->keyword, "ARG") == 0 ||
                          strcmp(in->keyword, "LABEL") == 0,
                      "%s in the build stage is not replayed by this test: extend it", in->keyword);
        }
    }
}

/* The final stage's "COPY --from=NAME SRC DST": NAME and SRC into out. */
static void final_copy(const dh_dockerfile *df, char *name, char *src, size_t len)
{
    name[0] = src[0] = '\0';
    for (size_t i = 0; i < df->n; i++) {
        if (df->ins[i].stage != df->stages - 1 || strcmp(df->ins[i].keyword, "COPY") != 0)
            continue;
        size_t n;
        char **w = dh_words(df->ins[i].args, &n);
        if (n == 3 && strncmp(w[0], "--from=", 7) == 0) {
            snprintf(name, len, "%s", w[0] + 7);
            snprintf(src, len, "%s", w[1]);
        }
        dh_words_free(w);
    }
    cr_assert_str_neq(name, "", "the final stage copies the binary from a build stage");
}

Test(image_context, the_build_stage_builds_from_the_context_alone)
{
    char tmp[] = "/tmp/ff-image-ctx.XXXXXX";
    cr_assert_not_null(mkdtemp(tmp));
    replay r = {0};
    snprintf(r.ctx, sizeof(r.ctx), "%s/context", tmp);
    snprintf(r.root, sizeof(r.root), "%s/rootfs", tmp);
    cr_assert_eq(mkdir(r.ctx, 0700), 0);
    cr_assert_eq(mkdir(r.root, 0700), 0);

    di_rules rules;
    load_rules(&rules);
    size_t files = lay_out(&rules, "", r.ctx);
    di_free(&rules);
    cr_assert_gt(files, 0, "the build context is empty");

    dh_dockerfile df;
    dh_dockerfile_load(&df, "Dockerfile");
    char stage_name[PATH_MAX], bin[PATH_MAX];
    final_copy(&df, stage_name, bin, sizeof(bin));
    int stage = stage_named(&df, stage_name);
    cr_assert_geq(stage, 0, "no stage named %s", stage_name);
    replay_stage(&r, &df, stage);
    dh_dockerfile_free(&df);

    char *host_bin = host_path(&r, bin);
    cr_assert_eq(access(host_bin, X_OK), 0, "the build stage did not produce %s", bin);
    char *cmd = str("env -i PATH=%s '%s' --list", CLEAN_PATH, host_bin);
    int st;
    char *list = dh_capture(cmd, &st);
    free(cmd);
    free(host_bin);
    cr_expect_eq(st, 0, "--list exit status");
    const char *fns[] = {"startTransformPipeline", "transformPipelineJob", "cleanupStaleJobs"};
    for (size_t i = 0; i < 3; i++)
        cr_expect(strstr(list, fns[i]) != NULL, "the image's binary lacks %s:\n%s", fns[i], list);
    free(list);
    sh("rm -rf '%s'", tmp);
}

Test(image_context, the_context_keeps_out_builds_git_and_tests)
{
    di_rules r;
    load_rules(&r);
    const char *out[] = {
        ".git",      "build/bin/functions", "build/asan/obj/x.o", "tools/node_modules/a/b.js",
        "tests/x.c", "fuzz/fuzz.mk",        ".run/state"};
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        cr_expect(di_excluded(&r, out[i]), "%s is sent to the image build", out[i]);
    const char *in[] = {"Makefile", "runtime/src/ff/main.c", "functions/src/index.c", "shared/src/job.c"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        cr_expect(!di_excluded(&r, in[i]), "%s is kept out of the image build", in[i]);
    di_free(&r);
}

static int excluded_by(const char *rules, const char *path)
{
    di_rules r;
    cr_assert_eq(di_parse(&r, rules), 0, "%s", rules);
    int x = di_excluded(&r, path);
    di_free(&r);
    return x;
}

Test(dockerignore, star_then_exceptions)
{
    const char *rules = "# comment\n*\n!runtime/\n";
    cr_expect(excluded_by(rules, "Makefile"));
    cr_expect(excluded_by(rules, "tests/a/b.c"));
    cr_expect(!excluded_by(rules, "runtime"));
    cr_expect(!excluded_by(rules, "runtime/src/a.c"), "a parent directory's exception covers its files");
}

Test(dockerignore, star_and_question_stop_at_slashes)
{
    cr_expect(excluded_by("*.o\n", "a.o"));
    cr_expect(!excluded_by("*.o\n", "dir/a.o"), "* does not cross /");
    cr_expect(excluded_by("*/a.o\n", "dir/a.o"));
    cr_expect(!excluded_by("a?b\n", "a/b"));
    cr_expect(excluded_by("a?b\n", "axb"));
}

Test(dockerignore, double_star_crosses_directories)
{
    cr_expect(excluded_by("**/*.o\n", "a.o"));
    cr_expect(excluded_by("**/*.o\n", "x/y/a.o"));
    cr_expect(excluded_by("a/**/b\n", "a/b"));
    cr_expect(excluded_by("a/**/b\n", "a/x/y/b/c"));
    cr_expect(!excluded_by("a/**/b\n", "c/b"));
}

Test(dockerignore, the_last_matching_pattern_wins)
{
    cr_expect(excluded_by("!keep\n*\n", "keep"), "an exception before * is overridden");
    cr_expect(!excluded_by("*\n!keep\n", "keep"));
    cr_expect(excluded_by("*\n!src\nsrc/gen\n", "src/gen/x.c"));
    cr_expect(!excluded_by("*\n!src\nsrc/gen\n", "src/x.c"));
}

Test(dockerignore, patterns_are_cleaned_and_literal_dots_stay_literal)
{
    cr_expect(excluded_by("/build/\n", "build/obj/a.o"));
    cr_expect(excluded_by("./build\n", "build"));
    cr_expect(!excluded_by("a.c\n", "abc"), "a dot is not a regex wildcard");
}

Test(dockerignore, walks_enter_excluded_directories_only_for_exceptions)
{
    di_rules r;
    cr_assert_eq(di_parse(&r, "*\n!runtime/src\n"), 0);
    cr_expect(di_may_admit_below(&r, "runtime"));
    cr_expect(!di_may_admit_below(&r, "tests"));
    cr_expect(!di_may_admit_below(&r, "runtime/src/ff"), "already admitted, or nothing deeper");
    di_free(&r);
    cr_assert_eq(di_parse(&r, "*\n!**/*.c\n"), 0);
    cr_expect(di_may_admit_below(&r, "tests/deep"));
    di_free(&r);
}
