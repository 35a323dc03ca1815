/*
 * auth_helpers.c - set-up shared by the auth suite's tests (see auth_helpers.h).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

fake_google *g_fake;
char g_tmpdir[256];

static const char *const k_vars[] = {
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "FIREBASE_CONFIG",
    "GCE_METADATA_HOST",
    "FIRESTORE_EMULATOR_HOST",
    "CLOUD_TASKS_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "GCP_IDTOKEN_GOOGLE_CERTS_URL",
    "GCP_IDTOKEN_FIREBASE_CERTS_URL",
    "K_SERVICE",
    NULL,
};

void auth_setup(void)
{
    for (const char *const *v = k_vars; *v; v++)
        unsetenv(*v);
    gcp_auth_reset();
    gcp_idtoken_reset();
    snprintf(g_tmpdir, 256, "/tmp/ff-auth-test.XXXXXX");
    cr_assert_not_null(mkdtemp(g_tmpdir));
    g_fake = fake_google_start();
    cr_assert_not_null(g_fake);
    /* the metadata server is the fake unless a test says otherwise */
    setenv("GCE_METADATA_HOST", auth_closed_host(), 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

void auth_use_fake_keys(const char *kid)
{
    cr_assert_eq(fake_google_add_signing_key(g_fake, kid, 1), 0);
    char jwks[128], x509[160];
    snprintf(jwks, sizeof(jwks), "%s%s", fake_google_url(g_fake), FAKE_GOOGLE_JWKS_PATH);
    snprintf(x509, sizeof(x509), "%s%s", fake_google_url(g_fake), FAKE_GOOGLE_X509_PATH);
    gcp_idtoken_set_key_urls(jwks, x509);
}

void auth_teardown(void)
{
    fake_google_stop(g_fake);
    g_fake = NULL;
    gcp_auth_reset();
    gcp_idtoken_set_key_urls(NULL, NULL);
    if (g_tmpdir[0])
        nftw(g_tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *auth_write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", g_tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

const char *auth_use_key_file(const char *project_id)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/key.json", g_tmpdir);
    cr_assert_eq(fake_google_write_sa_key(g_fake, path, TEST_SA_EMAIL, project_id), 0);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
    return path;
}

const char *auth_closed_host(void)
{
    static char host[32];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* bound but never listening: connections are refused */
    snprintf(host, sizeof(host), "127.0.0.1:%d", ntohs(a.sin_port));
    return host;
}
