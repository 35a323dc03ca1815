/*
 * test_idtoken_trust.c - what the verifier trusts and when:
 *   - unsigned (Auth emulator) Firebase tokens only with FIREBASE_AUTH_EMULATOR_HOST and
 *     FIRESTORE_EMULATOR_HOST set and K_SERVICE unset, each switch checked alone;
 *   - key URLs: https or loopback only (anything else is never fetched and fails the
 *     start-up check);
 *   - key endpoint blackout: concurrent requests behind one fetch share its failure (one
 *     fetch, counted at the endpoint), later requests get the remembered failure until
 *     it expires; keys past their max-age keep verifying during an outage;
 *   - invoker tokens as Cloud Run forwards them (signature removed): accepted on their
 *     claims only with K_SERVICE set, and still refused for another identity or audience.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

#define PROJECT  "demo-test"
#define AUDIENCE "https://transformpipelinejob-abc-ew.a.run.app"
#define INVOKER  "tasks-invoker@demo-test.iam.gserviceaccount.com"

static void setup(void)
{
    auth_setup();
    auth_use_fake_keys("k1");
}

TestSuite(idtoken_trust, .init = setup, .fini = auth_teardown, .timeout = 60);

/* ---- tokens ----------------------------------------------------------------------------- */

static json_t *invoker_claims(const char *email, const char *aud)
{
    long now = (long)time(NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i}", "iss", "https://accounts.google.com", "aud", aud,
                     "sub", "1122", "email", email, "email_verified", 1, "iat", now - 10, "exp", now + 3600);
}

static json_t *firebase_claims(void)
{
    long now = (long)time(NULL);
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:b}", "iss", "https://securetoken.google.com/" PROJECT,
                     "aud", PROJECT, "sub", "uid-1", "iat", now - 10, "exp", now + 3600, "auth_time",
                     now - 10, "admin", 1);
}

/* Mints a token (alg RS256 signed by k1, or "none"); steals c. free(). */
static char *mint(const char *alg, json_t *c)
{
    char *t = fake_google_mint(g_fake, alg, strcmp(alg, "none") ? "k1" : NULL, "k1", c);
    json_decref(c);
    cr_assert_not_null(t);
    return t;
}

/* The token with its signature replaced as Cloud Run does. free(). */
static char *signature_removed(const char *token)
{
    size_t keep = (size_t)(strrchr(token, '.') - token) + 1;
    size_t n = keep + sizeof(GCP_IDTOKEN_SIGNATURE_REMOVED);
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s", (int)keep, token, GCP_IDTOKEN_SIGNATURE_REMOVED);
    return out;
}

static int verify_firebase(const char *token)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = gcp_idtoken_verify_firebase(token, PROJECT, &res, &err);
    gcp_idtoken_result_free(&res);
    return rc;
}

static int verify_invoker(const char *token, const char *email, const char *aud)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = gcp_idtoken_verify_invoker(token, aud, email, &res, &err);
    gcp_idtoken_result_free(&res);
    return rc;
}

/* ---- emulator trust ------------------------------------------------------------------ */

Test(idtoken_trust, unsigned_tokens_only_in_emulator_mode)
{
    char *t = mint("none", firebase_claims());
    static const struct {
        int auth_emulator, firestore_emulator, k_service, accepted;
    } cases[] = {
        {1, 1, 0, 1}, /* emulator mode: both emulators, not on Cloud Run */
        {0, 0, 0, 0}, {1, 0, 0, 0},
        {0, 1, 0, 0}, {1, 1, 1, 0}, /* K_SERVICE: on Cloud Run, whatever else is set */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cases[i].auth_emulator ? setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099", 1)
                               : unsetenv("FIREBASE_AUTH_EMULATOR_HOST");
        cases[i].firestore_emulator ? setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1)
                                    : unsetenv("FIRESTORE_EMULATOR_HOST");
        cases[i].k_service ? setenv("K_SERVICE", "startTransformPipeline", 1) : unsetenv("K_SERVICE");
        int rc = verify_firebase(t);
        if (cases[i].accepted)
            cr_expect_eq(rc, 0, "case %zu refused: %d", i, rc);
        else
            cr_expect_eq(rc, GCP_IDTOKEN_ERR_ALG, "case %zu: unsigned token gave %d", i, rc);
    }
    free(t);
}

/* ---- key URLs ------------------------------------------------------------------------- */

Test(idtoken_trust, key_urls_must_be_https_or_loopback)
{
    static const struct {
        const char *url;
        int allowed;
    } cases[] = {
        {"https://keys.example.com/jwks", 1},
        {"http://127.0.0.1:9/jwks", 1},
        {"http://127.9.8.7/x", 1},
        {"http://localhost:9/jwks", 1},
        {"http://[::1]:9/jwks", 1},
        {"http://keys.example.com/j", 0},
        {"http://10.0.0.1/jwks", 0},
        {"http://127.0.0.1.evil.com/", 0},
        {"ftp://127.0.0.1/j", 0},
        {"file:///etc/passwd", 0},
        {"http://localhost.evil.com/", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv("GCP_IDTOKEN_GOOGLE_CERTS_URL", cases[i].url, 1);
        gcp_idtoken_set_key_urls(NULL, NULL);
        ff_error err = {0};
        int rc = gcp_idtoken_config_check(&err);
        cr_expect_eq(rc == 0, cases[i].allowed, "%s: check gave %d (%s)", cases[i].url, rc, err.message);
    }
}

Test(idtoken_trust, keys_are_never_fetched_from_a_refused_url)
{
    /* The fake itself, but reached by a name that is not a loopback address literal. */
    char url[160];
    snprintf(url, sizeof(url), "http://127.0.0.1.nip.invalid:%s%s", strchr(fake_google_host(g_fake), ':') + 1,
             FAKE_GOOGLE_JWKS_PATH);
    gcp_idtoken_set_key_urls(url, NULL);
    char *t = mint("RS256", invoker_claims(INVOKER, AUDIENCE));
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_KEYS);
    cr_expect_eq(fake_google_keys_requests(g_fake), 0);
    free(t);
}

/* ---- key endpoint blackout ---------------------------------------------------------------- */

typedef struct waiter {
    const char *token;
    int rc;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    w->rc = verify_invoker(w->token, INVOKER, AUDIENCE);
    return NULL;
}

Test(idtoken_trust, blackout_costs_one_fetch_shared_by_every_waiter)
{
    gcp_idtoken_set_fetch_policy(400, 1, 60000);
    fake_google_set_keys_blackout(g_fake, 1);
    char *t = mint("RS256", invoker_claims(INVOKER, AUDIENCE));
    enum { N = 8 };
    waiter w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (waiter){.token = t, .rc = -1};
        cr_assert_eq(pthread_create(&th[i], NULL, waiter_main, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(w[i].rc, GCP_IDTOKEN_ERR_KEYS, "waiter %d: %d", i, w[i].rc);
    }
    cr_expect_eq(fake_google_keys_requests(g_fake), 1, "one fetch for %d concurrent requests", N);
    /* Within the failure TTL a new request gets the remembered failure, no new fetch. */
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_KEYS);
    cr_expect_eq(fake_google_keys_requests(g_fake), 1);
    /* Once the failure is forgotten and the endpoint answers, keys are fetched again. */
    fake_google_set_keys_blackout(g_fake, 0);
    gcp_idtoken_reset();
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), 0);
    cr_expect_eq(fake_google_keys_requests(g_fake), 2);
    gcp_idtoken_set_fetch_policy(4000, 2, 5000);
    free(t);
}

Test(idtoken_trust, failed_fetch_is_forgotten_after_its_ttl)
{
    gcp_idtoken_set_fetch_policy(300, 1, 1);
    fake_google_set_keys_blackout(g_fake, 1);
    char *t = mint("RS256", invoker_claims(INVOKER, AUDIENCE));
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_KEYS);
    usleep(20 * 1000);
    fake_google_set_keys_blackout(g_fake, 0);
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), 0);
    cr_expect_eq(fake_google_keys_requests(g_fake), 2);
    gcp_idtoken_set_fetch_policy(4000, 2, 5000);
    free(t);
}

Test(idtoken_trust, expired_keys_keep_verifying_during_an_outage)
{
    gcp_idtoken_set_fetch_policy(300, 1, 60000);
    fake_google_set_keys_cache_control(g_fake, "max-age=1");
    char *t = mint("RS256", invoker_claims(INVOKER, AUDIENCE));
    cr_assert_eq(verify_invoker(t, INVOKER, AUDIENCE), 0);
    usleep(1200 * 1000); /* past max-age */
    fake_google_set_keys_blackout(g_fake, 1);
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), 0, "the previous keys serve during the outage");
    cr_expect_eq(verify_invoker(t, INVOKER, AUDIENCE), 0);
    cr_expect_eq(fake_google_keys_requests(g_fake), 2, "one refetch attempt, then the outage is remembered");
    gcp_idtoken_set_fetch_policy(4000, 2, 5000);
    free(t);
}

/* ---- invoker tokens as Cloud Run forwards them -------------------------------------------- */

Test(idtoken_trust, removed_signature_is_accepted_only_on_cloud_run)
{
    char *signed_tok = mint("RS256", invoker_claims(INVOKER, AUDIENCE));
    char *forwarded = signature_removed(signed_tok);
    cr_expect_eq(verify_invoker(forwarded, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_SIGNATURE, "not on Cloud Run");
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(gcp_idtoken_verify_google(forwarded, AUDIENCE, INVOKER, &res, &err),
                 GCP_IDTOKEN_ERR_SIGNATURE);
    gcp_idtoken_result_free(&res);

    setenv("K_SERVICE", "transformPipelineJob", 1);
    cr_expect_eq(verify_invoker(forwarded, INVOKER, AUDIENCE), 0);
    cr_expect_eq(verify_invoker(forwarded, "other@demo-test.iam.gserviceaccount.com", AUDIENCE),
                 GCP_IDTOKEN_ERR_IDENTITY);
    cr_expect_eq(verify_invoker(forwarded, INVOKER, "https://other.a.run.app"), GCP_IDTOKEN_ERR_AUDIENCE);
    /* A signature that is present is still checked, on Cloud Run too. */
    char *tampered = strdup(signed_tok);
    tampered[strlen(tampered) - 2] = tampered[strlen(tampered) - 2] == 'A' ? 'B' : 'A';
    cr_expect_eq(verify_invoker(tampered, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_SIGNATURE);
    /* An unsigned token is not a forwarded one. */
    char *none = mint("none", invoker_claims(INVOKER, AUDIENCE));
    cr_expect_eq(verify_invoker(none, INVOKER, AUDIENCE), GCP_IDTOKEN_ERR_ALG);
    cr_expect_eq(fake_google_keys_requests(g_fake), 1, "keys fetched for the tampered token only");
    free(signed_tok);
    free(forwarded);
    free(tampered);
    free(none);
}
