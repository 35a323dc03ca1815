/*
 * fake_google_handlers.c - what fake_google answers: the OAuth token endpoint (checks
 * grant_type and the assertion like Google), the metadata server (requires
 * Metadata-Flavor: Google), the JWKS and x509 key endpoints, configured routes; plus
 * the setters that configure them and the service-account / signing keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_google.h"

#define JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* ---- helpers --------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The decoded value of name in a form-encoded body; malloc'd or NULL. */
static char *form_value(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) != 0 || p[n] != '=')
            continue;
        const char *v = p + n + 1;
        size_t len = strcspn(v, "&");
        char *out = malloc(len + 1), *o = out;
        for (size_t i = 0; out && i < len; i++) {
            if (v[i] == '%' && i + 2 < len && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
                *o++ = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
                i += 2;
            } else {
                *o++ = v[i] == '+' ? ' ' : v[i];
            }
        }
        if (out)
            *o = '\0';
        return out;
    }
    return NULL;
}

static void reply_json(fg_reply *rep, int status, json_t *body)
{
    rep->status = status;
    rep->content_type = "application/json";
    rep->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
}

static void reply_text(fg_reply *rep, int status, const char *text)
{
    rep->status = status;
    rep->content_type = "text/plain";
    rep->body = strdup(text);
}

static void pause_for_token(fake_google *fg)
{
    pthread_mutex_lock(&fg->lock);
    int ms = fg->token_delay_ms;
    pthread_mutex_unlock(&fg->lock);
    if (ms > 0)
        usleep((useconds_t)ms * 1000);
}

/* With the lock held: a new token answer, counted. */
static json_t *grant_locked(fake_google *fg, const char *prefix)
{
    char tok[64];
    snprintf(tok, sizeof(tok), "%s-%d", prefix, ++fg->tokens_issued);
    return json_pack("{s:s, s:i, s:s}", "access_token", tok, "expires_in", fg->expires_in, "token_type",
                     "Bearer");
}

/* ---- token endpoint ---------------------------------------------------------------- */

static void handle_token(fake_google *fg, const fake_google_request *r, fg_reply *rep)
{
    pause_for_token(fg);
    char *grant = form_value(r->body, "grant_type");
    char *assertion = form_value(r->body, "assertion");
    char aud[128], why[256] = "no service account registered";
    snprintf(aud, sizeof(aud), "%s%s", fg->url, FAKE_GOOGLE_TOKEN_PATH);
    pthread_mutex_lock(&fg->lock);
    int ok = 0;
    if (strcmp(r->method, "POST") != 0 || grant == NULL || strcmp(grant, JWT_BEARER) != 0) {
        snprintf(why, sizeof(why), "unsupported_grant_type");
    } else if (assertion == NULL) {
        snprintf(why, sizeof(why), "invalid_request: no assertion");
    } else {
        for (size_t i = 0; i < fg->n_sas && !ok; i++)
            ok = fg_check_assertion(assertion, fg->sas[i].public_pem, fg->sas[i].email, aud, why,
                                    sizeof(why)) == 0;
    }
    if (!ok) {
        snprintf(fg->last_rejection, sizeof(fg->last_rejection), "%s", why);
        char code[64];
        snprintf(code, sizeof(code), "%.*s", (int)strcspn(why, ":"), why);
        reply_json(rep, 400, json_pack("{s:s, s:s}", "error", code, "error_description", why));
    } else if (fg->token_status != 200) {
        reply_json(rep, fg->token_status,
                   json_pack("{s:s, s:s}", "error",
                             fg->token_status == 401 ? "invalid_client" : "invalid_grant",
                             "error_description", "refused by the test"));
    } else {
        reply_json(rep, 200, grant_locked(fg, "fake-token"));
    }
    pthread_mutex_unlock(&fg->lock);
    free(grant);
    free(assertion);
}

/* ---- metadata server ------------------------------------------------------------------ */

static void handle_metadata(fake_google *fg, const fake_google_request *r, const char *path, fg_reply *rep)
{
    char *flavor = fake_google_header(r, "Metadata-Flavor");
    int allowed = flavor && strcmp(flavor, "Google") == 0;
    free(flavor);
    snprintf(rep->extra_headers, sizeof(rep->extra_headers), "Metadata-Flavor: Google\r\n");
    if (!allowed) {
        pthread_mutex_lock(&fg->lock);
        fg->md_refusals++;
        pthread_mutex_unlock(&fg->lock);
        reply_text(rep, 403, "Missing Metadata-Flavor:Google header.");
        return;
    }
    if (strcmp(path, FAKE_GOOGLE_MD_TOKEN) == 0)
        pause_for_token(fg);
    pthread_mutex_lock(&fg->lock);
    if (strcmp(path, FAKE_GOOGLE_MD_TOKEN) == 0)
        reply_json(rep, 200, grant_locked(fg, "fake-md-token"));
    else if (strcmp(path, FAKE_GOOGLE_MD_PROJECT) == 0 && fg->md_project)
        reply_text(rep, 200, fg->md_project);
    else if (strcmp(path, FAKE_GOOGLE_MD_EMAIL) == 0 && fg->md_email)
        reply_text(rep, 200, fg->md_email);
    else
        reply_text(rep, 404, "not found");
    pthread_mutex_unlock(&fg->lock);
}

/* ---- key endpoints --------------------------------------------------------------------- */

static void handle_keys(fake_google *fg, int jwks, fg_reply *rep)
{
    pthread_mutex_lock(&fg->lock);
    fg->keys_requests++;
    pthread_cond_broadcast(&fg->changed);
    while (fg->keys_blackout && !fg->stopping)
        pthread_cond_wait(&fg->changed, &fg->lock);
    json_t *list = json_array(), *map = json_object();
    for (size_t i = 0; i < fg->n_keys; i++) {
        const fake_google_key *k = &fg->keys[i].key;
        if (!fg->keys[i].published)
            continue;
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kid", k->kid, "kty", "RSA",
                                              "alg", "RS256", "use", "sig", "n", k->n64, "e", k->e64));
        json_object_set_new(map, k->kid, json_string(k->cert_pem));
    }
    snprintf(rep->extra_headers, sizeof(rep->extra_headers), "Cache-Control: %s\r\n", fg->keys_cache_control);
    pthread_mutex_unlock(&fg->lock);
    if (jwks) {
        json_decref(map);
        reply_json(rep, 200, json_pack("{s:o}", "keys", list));
    } else {
        json_decref(list);
        reply_json(rep, 200, map);
    }
}

/* ---- dispatch ----------------------------------------------------------------------------- */

void fg_handle(fake_google *fg, const fake_google_request *r, const char *path, fg_reply *rep)
{
    if (strcmp(path, FAKE_GOOGLE_TOKEN_PATH) == 0) {
        handle_token(fg, r, rep);
        return;
    }
    if (strncmp(path, "/computeMetadata/", 17) == 0) {
        handle_metadata(fg, r, path, rep);
        return;
    }
    if (strcmp(path, FAKE_GOOGLE_JWKS_PATH) == 0 || strcmp(path, FAKE_GOOGLE_X509_PATH) == 0) {
        handle_keys(fg, strcmp(path, FAKE_GOOGLE_JWKS_PATH) == 0, rep);
        return;
    }
    pthread_mutex_lock(&fg->lock);
    reply_text(rep, 404, "no such route");
    for (size_t i = fg->n_routes; i-- > 0;) {
        const fg_route *rt = &fg->routes[i];
        if (strcmp(rt->method, r->method) == 0 && strcmp(rt->path, path) == 0) {
            free(rep->body);
            rep->status = rt->status;
            rep->content_type = "application/json";
            rep->body = strdup(rt->body);
            break;
        }
    }
    pthread_mutex_unlock(&fg->lock);
}

/* ---- configuration ----------------------------------------------------------------------- */

#define SET_LOCKED(fg, stmt)                                                                                 \
    do {                                                                                                     \
        pthread_mutex_lock(&(fg)->lock);                                                                     \
        stmt;                                                                                                \
        pthread_mutex_unlock(&(fg)->lock);                                                                   \
    } while (0)

void fake_google_set_token_status(fake_google *fg, int status)
{
    SET_LOCKED(fg, fg->token_status = status);
}

void fake_google_set_expires_in(fake_google *fg, int seconds)
{
    SET_LOCKED(fg, fg->expires_in = seconds);
}

void fake_google_set_token_delay_ms(fake_google *fg, int ms)
{
    SET_LOCKED(fg, fg->token_delay_ms = ms);
}

int fake_google_tokens_issued(fake_google *fg)
{
    int n;
    SET_LOCKED(fg, n = fg->tokens_issued);
    return n;
}

int fake_google_metadata_refusals(fake_google *fg)
{
    int n;
    SET_LOCKED(fg, n = fg->md_refusals);
    return n;
}

void fake_google_last_rejection(fake_google *fg, char *buf, size_t len)
{
    SET_LOCKED(fg, snprintf(buf, len, "%s", fg->last_rejection));
}

static void replace(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

void fake_google_set_metadata(fake_google *fg, const char *project_id, const char *email)
{
    SET_LOCKED(fg, replace(&fg->md_project, project_id); replace(&fg->md_email, email));
}

void fake_google_set_keys_blackout(fake_google *fg, int on)
{
    pthread_mutex_lock(&fg->lock);
    fg->keys_blackout = on;
    pthread_cond_broadcast(&fg->changed);
    pthread_mutex_unlock(&fg->lock);
}

int fake_google_keys_requests(fake_google *fg)
{
    pthread_mutex_lock(&fg->lock);
    int n = fg->keys_requests;
    pthread_mutex_unlock(&fg->lock);
    return n;
}

void fake_google_set_keys_cache_control(fake_google *fg, const char *value)
{
    SET_LOCKED(fg, replace(&fg->keys_cache_control, value ? value : ""));
}

void fake_google_route(fake_google *fg, const char *method, const char *path, int status, const char *body)
{
    pthread_mutex_lock(&fg->lock);
    fg_route *grown = realloc(fg->routes, (fg->n_routes + 1) * sizeof(*grown));
    if (grown) {
        fg->routes = grown;
        fg->routes[fg->n_routes++] = (fg_route){.method = strdup(method),
                                                .path = strdup(path),
                                                .body = strdup(body ? body : ""),
                                                .status = status};
    }
    pthread_mutex_unlock(&fg->lock);
}

json_t *fake_google_sa_key_json(fake_google *fg, const char *client_email, const char *project_id)
{
    fake_google_key k;
    if (fake_google_key_generate(&k, "sa-key-1") != 0)
        return NULL;
    char token_uri[128];
    snprintf(token_uri, sizeof(token_uri), "%s%s", fg->url, FAKE_GOOGLE_TOKEN_PATH);
    json_t *key = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account", "private_key_id",
                            k.kid, "private_key", k.private_pem, "client_email", client_email, "client_id",
                            "1234567890", "token_uri", token_uri);
    if (key && project_id)
        json_object_set_new(key, "project_id", json_string(project_id));
    pthread_mutex_lock(&fg->lock);
    fg_sa *grown = realloc(fg->sas, (fg->n_sas + 1) * sizeof(*grown));
    if (grown) {
        fg->sas = grown;
        fg->sas[fg->n_sas++] = (fg_sa){.email = strdup(client_email), .public_pem = strdup(k.public_pem)};
    }
    pthread_mutex_unlock(&fg->lock);
    fake_google_key_free(&k);
    return key;
}

int fake_google_write_sa_key(fake_google *fg, const char *path, const char *client_email,
                             const char *project_id)
{
    json_t *key = fake_google_sa_key_json(fg, client_email, project_id);
    int rc = key ? json_dump_file(key, path, JSON_INDENT(2)) : -1;
    json_decref(key);
    return rc;
}

int fake_google_add_signing_key(fake_google *fg, const char *kid, int publish)
{
    fg_signing_key sk = {.published = publish};
    if (fake_google_key_generate(&sk.key, kid) != 0)
        return -1;
    pthread_mutex_lock(&fg->lock);
    fg_signing_key *grown = realloc(fg->keys, (fg->n_keys + 1) * sizeof(*grown));
    if (grown) {
        fg->keys = grown;
        fg->keys[fg->n_keys++] = sk;
    }
    pthread_mutex_unlock(&fg->lock);
    if (grown == NULL)
        fake_google_key_free(&sk.key);
    return grown ? 0 : -1;
}

void fake_google_publish_key(fake_google *fg, const char *kid, int publish)
{
    pthread_mutex_lock(&fg->lock);
    for (size_t i = 0; i < fg->n_keys; i++)
        if (strcmp(fg->keys[i].key.kid, kid) == 0)
            fg->keys[i].published = publish;
    pthread_mutex_unlock(&fg->lock);
}

char *fake_google_mint(fake_google *fg, const char *alg, const char *header_kid, const char *sign_kid,
                       json_t *claims)
{
    char *pem = NULL;
    pthread_mutex_lock(&fg->lock);
    for (size_t i = 0; sign_kid && i < fg->n_keys; i++)
        if (strcmp(fg->keys[i].key.kid, sign_kid) == 0)
            pem = strdup(fg->keys[i].key.private_pem);
    pthread_mutex_unlock(&fg->lock);
    char *token = fg_sign_jwt(alg, header_kid, pem, claims);
    free(pem);
    return token;
}

void fg_state_free(fake_google *fg)
{
    for (size_t i = 0; i < fg->n_reqs; i++)
        fake_google_request_free(&fg->reqs[i]);
    free(fg->reqs);
    for (size_t i = 0; i < fg->n_sas; i++) {
        free(fg->sas[i].email);
        free(fg->sas[i].public_pem);
    }
    free(fg->sas);
    for (size_t i = 0; i < fg->n_keys; i++)
        fake_google_key_free(&fg->keys[i].key);
    free(fg->keys);
    for (size_t i = 0; i < fg->n_routes; i++) {
        free(fg->routes[i].method);
        free(fg->routes[i].path);
        free(fg->routes[i].body);
    }
    free(fg->routes);
    free(fg->md_project);
    free(fg->md_email);
    free(fg->keys_cache_control);
}
