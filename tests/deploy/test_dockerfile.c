/*
 * test_dockerfile.c - static checks of the Dockerfile (no docker engine here): two stages,
 * the build stage compiles build/bin/functions, the final stage is bookworm-slim with no
 * -dev package or compiler, installs the runtime package of every shared library the
 * built binary needs (readelf + dpkg on this Debian host), copies the binary from the
 * build stage, runs as a non-root user, takes PORT/FUNCTION_TARGET from the environment.
 * That the build works from what .dockerignore admits is test_image_context.c's.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/src/gcp/gcp_curl.h"
#include "deploy_helpers.h"

static dh_dockerfile df;

static void setup(void)
{
    dh_dockerfile_load(&df, "Dockerfile");
}

static void teardown(void)
{
    dh_dockerfile_free(&df);
}

TestSuite(dockerfile, .init = setup, .fini = teardown, .timeout = DH_TIMEOUT_S);

static int final_stage(void)
{
    return df.stages - 1;
}

/* The i-th FROM's arguments. */
static const dh_instr *from_of(int stage)
{
    for (size_t i = 0; i < df.n; i++)
        if (df.ins[i].stage == stage && strcmp(df.ins[i].keyword, "FROM") == 0)
            return &df.ins[i];
    cr_assert_fail("no FROM for stage %d", stage);
    return NULL;
}

/* The name given with "FROM image AS name" (static copy), "" if none. */
static const char *stage_name(int stage)
{
    static char name[64];
    size_t n;
    char **w = dh_words(from_of(stage)->args, &n);
    name[0] = '\0';
    for (size_t i = 0; i + 1 < n; i++)
        if (strcasecmp(w[i], "AS") == 0)
            snprintf(name, sizeof(name), "%s", w[i + 1]);
    dh_words_free(w);
    return name;
}

/* The packages `apt-get install` installs in stage (words after install that are not options). */
static size_t installed(int stage, char out[][64], size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < df.n; i++) {
        if (df.ins[i].stage != stage || strcmp(df.ins[i].keyword, "RUN") != 0)
            continue;
        size_t n;
        char **w = dh_words(df.ins[i].args, &n);
        for (size_t k = 1; k + 1 < n; k++) {
            if (k == 0 || strcmp(w[k - 1], "apt-get") != 0 || strcmp(w[k], "install") != 0)
                continue;
            for (size_t j = k + 1; j < n && strcmp(w[j], "&&") != 0 && strcmp(w[j], ";") != 0; j++) {
                if (w[j][0] == '-')
                    continue;
                cr_assert_lt(count, max);
                snprintf(out[count++], 64, "%s", w[j]);
            }
        }
        dh_words_free(w);
    }
    return count;
}

static int has_package(char pkgs[][64], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(pkgs[i], name) == 0)
            return 1;
    return 0;
}

Test(dockerfile, has_a_build_stage_and_a_final_stage)
{
    cr_assert_eq(df.stages, 2, "multi-stage: two FROM, found %d", df.stages);
    cr_expect(strncmp(from_of(0)->args, "debian:bookworm ", 16) == 0, "build stage on Debian bookworm: %s",
              from_of(0)->args);
    cr_expect_str_neq(stage_name(0), "", "the build stage is named (FROM ... AS name)");
    cr_expect_str_eq(from_of(final_stage())->args, "debian:bookworm-slim", "final stage");
}

Test(dockerfile, build_stage_compiles_the_binary_with_the_dev_packages)
{
    char pkgs[64][64];
    size_t n = installed(0, pkgs, 64);
    const char *need[] = {"build-essential",      "pkg-config", "libh2o-evloop-dev", "libjansson-dev",
                          "libcurl4-openssl-dev", "libjwt-dev", "libssl-dev"};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        cr_expect(has_package(pkgs, n, need[i]), "build stage installs %s", need[i]);
    int makes = 0;
    for (size_t i = 0; i < df.n; i++)
        if (df.ins[i].stage == 0 && strcmp(df.ins[i].keyword, "RUN") == 0 && strstr(df.ins[i].args, "make") &&
            strstr(df.ins[i].args, "build/bin/functions"))
            makes = 1;
    cr_expect(makes, "the build stage runs make build/bin/functions");
}

Test(dockerfile, final_stage_has_no_dev_packages_or_compilers)
{
    char pkgs[64][64];
    size_t n = installed(final_stage(), pkgs, 64);
    cr_assert_gt(n, 0, "the final stage installs its runtime packages");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pkgs[i]);
        cr_expect(len < 4 || strcmp(pkgs[i] + len - 4, "-dev") != 0, "-dev package in the final stage: %s",
                  pkgs[i]);
        cr_expect(strcmp(pkgs[i], "build-essential") && strcmp(pkgs[i], "gcc") && strcmp(pkgs[i], "make") &&
                      strcmp(pkgs[i], "pkg-config"),
                  "build tool in the final stage: %s", pkgs[i]);
    }
    cr_expect(has_package(pkgs, n, "ca-certificates"), "CA certificates for HTTPS to Google APIs");
    for (size_t i = 0; i < df.n; i++)
        if (df.ins[i].stage == final_stage())
            cr_expect(strstr(df.ins[i].args, "-dev ") == NULL, "%s %s", df.ins[i].keyword, df.ins[i].args);
}

/* Expects the final stage to install the Debian package that owns lib. */
static void expect_packaged(const char *lib, char pkgs[][64], size_t n, const char *how)
{
    int st;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "dpkg -S '*/%s' 2>/dev/null | head -1 | cut -d: -f1", lib);
    char *pkg = dh_capture(cmd, &st);
    pkg[strcspn(pkg, "\n")] = '\0';
    cr_expect(pkg[0] != '\0', "no package owns %s", lib);
    if (pkg[0])
        cr_expect(has_package(pkgs, n, pkg), "%s (%s) needs %s, which the final stage does not install", lib,
                  how, pkg);
    free(pkg);
}

Test(dockerfile, final_stage_installs_the_package_of_every_linked_library)
{
    const char *build = getenv("FF_TEST_BUILD") ? getenv("FF_TEST_BUILD") : "build";
    char bin[256];
    snprintf(bin, sizeof(bin), "%s/bin/functions", build);
    cr_assert_eq(access(bin, X_OK), 0, "%s not built", bin);
    int st;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "command -v readelf >/dev/null && command -v dpkg >/dev/null");
    free(dh_capture(cmd, &st));
    if (st != 0)
        cr_skip_test("readelf or dpkg missing: not a Debian build host");

    char pkgs[64][64];
    size_t n = installed(final_stage(), pkgs, 64);
    snprintf(cmd, sizeof(cmd), "readelf -d '%s' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'", bin);
    char *needed = dh_capture(cmd, &st);
    cr_assert_eq(st, 0);
    size_t libs = 0;
    for (char *lib = strtok(needed, "\n"); lib; lib = strtok(NULL, "\n")) {
        if (strncmp(lib, "libc.so", 7) == 0 || strncmp(lib, "ld-linux", 8) == 0 ||
            strncmp(lib, "libm.so", 7) == 0)
            continue; /* libc6: in every Debian image */
        if (strncmp(lib, "libasan", 7) == 0 || strncmp(lib, "libubsan", 8) == 0 ||
            strncmp(lib, "liblsan", 7) == 0 || strncmp(lib, "libtsan", 7) == 0)
            continue; /* a sanitizer build (make test-asan); the image builds without */
        libs++;
        expect_packaged(lib, pkgs, n, "linked");
    }
    free(needed);
    cr_expect_geq(libs, 4, "the binary links h2o, jansson, jwt, crypto");
    /* libcurl is not linked but dlopen'ed at the first outbound call: ldd cannot see it. */
    expect_packaged(GCP_LIBCURL_SONAME, pkgs, n, "loaded at first use");
}

Test(dockerfile, copies_the_binary_from_the_build_stage_and_runs_it)
{
    char from_flag[96];
    snprintf(from_flag, sizeof(from_flag), "--from=%s", stage_name(0));
    char dest[256] = "";
    for (size_t i = 0; i < df.n; i++) {
        if (df.ins[i].stage != final_stage() || strcmp(df.ins[i].keyword, "COPY") != 0)
            continue;
        size_t n;
        char **w = dh_words(df.ins[i].args, &n);
        if (n == 3 && strcmp(w[0], from_flag) == 0 && strstr(w[1], "build/bin/functions"))
            snprintf(dest, sizeof(dest), "%s", w[2]);
        dh_words_free(w);
    }
    cr_assert_str_neq(dest, "", "COPY %s .../build/bin/functions <dest> in the final stage", from_flag);

    const dh_instr *entry = NULL;
    for (size_t i = 0; i < df.n; i++)
        if (df.ins[i].stage == final_stage() && strcmp(df.ins[i].keyword, "ENTRYPOINT") == 0)
            entry = &df.ins[i];
    cr_assert_not_null(entry, "ENTRYPOINT in the final stage");
    cr_expect(entry->args[0] == '[', "exec form (signals reach the binary): %s", entry->args);
    char want[300];
    snprintf(want, sizeof(want), "\"%s\"", dest);
    cr_expect(strstr(entry->args, want) != NULL, "ENTRYPOINT runs %s: %s", dest, entry->args);
}

Test(dockerfile, final_stage_runs_as_a_non_root_user)
{
    const char *user = NULL;
    size_t last = 0;
    for (size_t i = 0; i < df.n; i++)
        if (df.ins[i].stage == final_stage()) {
            if (strcmp(df.ins[i].keyword, "USER") == 0)
                user = df.ins[i].args;
            last = i;
        }
    cr_assert_not_null(user, "USER in the final stage");
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(user, ":"), user);
    cr_expect(strcmp(name, "root") != 0 && strcmp(name, "0") != 0 && name[0] != '\0', "USER %s", user);
    /* Nothing after it switches back. */
    for (size_t i = 0; i <= last; i++)
        if (df.ins[i].stage == final_stage() && strcmp(df.ins[i].keyword, "USER") == 0)
            cr_expect(df.ins[i].args == user || strncmp(df.ins[i].args, "root", 4) != 0, "USER %s",
                      df.ins[i].args);
}

Test(dockerfile, port_and_target_come_from_the_environment)
{
    for (size_t i = 0; i < df.n; i++) {
        const dh_instr *in = &df.ins[i];
        if (strcmp(in->keyword, "ENTRYPOINT") == 0 || strcmp(in->keyword, "CMD") == 0) {
            cr_expect(strstr(in->args, "--port") == NULL, "no fixed port (Cloud Run sets PORT): %s",
                      in->args);
            cr_expect(strstr(in->args, "--target") == NULL, "no fixed target: %s", in->args);
        }
        if (strcmp(in->keyword, "ENV") == 0)
            cr_expect(strstr(in->args, "FUNCTION_TARGET") == NULL, "FUNCTION_TARGET is per service: %s",
                      in->args);
    }
}
