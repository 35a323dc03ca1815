/*
 * fake_google.h - a local stand-in for the Google endpoints tests cannot reach: the
 * OAuth2 token endpoint (verifies JWT-bearer assertions as Google does), the metadata
 * server (requires Metadata-Flavor: Google), and the public-key endpoints for ID tokens
 * (JWKS and x509). It can also answer configured routes and records every request, so
 * it doubles as a target server for Cloud Tasks deliveries.
 *
 * One HTTP/1.1 server on 127.0.0.1, a free port, a thread per connection; stop it with
 * fake_google_stop at the end of the test, pass or fail. Keys are generated at run time.
 * Self-contained (no Criterion): linked into every test binary.
 */
#ifndef FAKE_GOOGLE_H
#define FAKE_GOOGLE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

typedef struct fake_google fake_google;

/* Paths the fake serves. */
#define FAKE_GOOGLE_TOKEN_PATH "/token"
#define FAKE_GOOGLE_MD_TOKEN   "/computeMetadata/v1/instance/service-accounts/default/token"
#define FAKE_GOOGLE_MD_PROJECT "/computeMetadata/v1/project/project-id"
#define FAKE_GOOGLE_MD_EMAIL   "/computeMetadata/v1/instance/service-accounts/default/email"
#define FAKE_GOOGLE_JWKS_PATH  "/oauth2/v3/certs"
#define FAKE_GOOGLE_X509_PATH  "/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

/* Starts the server. Returns NULL on failure (message on stderr). */
fake_google *fake_google_start(void);
/* Stops the server, joins its threads and frees everything. NULL is fine. */
void fake_google_stop(fake_google *fg);

/* "127.0.0.1:PORT" and "http://127.0.0.1:PORT"; owned by fg. */
const char *fake_google_host(const fake_google *fg);
const char *fake_google_url(const fake_google *fg);

/* ---- OAuth token endpoint ------------------------------------------------------ */

/*
 * Generates a service-account key pair and returns the key-file JSON (new reference)
 * with token_uri = <url>/token; the token endpoint then accepts assertions signed by
 * it for client_email. project_id may be NULL.
 */
json_t *fake_google_sa_key_json(fake_google *fg, const char *client_email, const char *project_id);
/* The same, written to path. Returns 0 or -1. */
int fake_google_write_sa_key(fake_google *fg, const char *path, const char *client_email,
                             const char *project_id);

/* Answer of a valid exchange: status 200 gives a token; any other status an OAuth error. */
void fake_google_set_token_status(fake_google *fg, int status);
/* expires_in of tokens handed out (token endpoint and metadata); default 3600. */
void fake_google_set_expires_in(fake_google *fg, int seconds);
/* Sleep before answering a token request (token endpoint and metadata). */
void fake_google_set_token_delay_ms(fake_google *fg, int ms);
/* Successful token grants so far (token endpoint + metadata token). */
int fake_google_tokens_issued(fake_google *fg);
/* Why the last assertion was refused ("" if none was); copied into buf. */
void fake_google_last_rejection(fake_google *fg, char *buf, size_t len);

/* ---- metadata server ------------------------------------------------------------ */

/* Values the metadata server answers (copied); NULL answers 404 for that path. */
void fake_google_set_metadata(fake_google *fg, const char *project_id, const char *email);
/* Requests refused for lacking Metadata-Flavor: Google. */
int fake_google_metadata_refusals(fake_google *fg);

/* ---- ID-token signing keys --------------------------------------------------------- */

/* Adds an RSA signing key named kid; published (JWKS and x509) when publish. Returns 0 or -1. */
int fake_google_add_signing_key(fake_google *fg, const char *kid, int publish);
/* Publishes or withdraws a key already added (key rotation). */
void fake_google_publish_key(fake_google *fg, const char *kid, int publish);
/*
 * Key-endpoint blackout: while on, key requests are accepted and read but never answered
 * (until it is turned off or the fake stops), like an endpoint that times out.
 */
void fake_google_set_keys_blackout(fake_google *fg, int on);
/* Key requests received so far (JWKS and x509), answered or not. */
int fake_google_keys_requests(fake_google *fg);
/* Cache-Control of the key endpoints (copied); default "public, max-age=3600". */
void fake_google_set_keys_cache_control(fake_google *fg, const char *value);
/*
 * Mints a JWT with header {"alg": alg, "typ": "JWT", "kid": header_kid (if not NULL)}
 * and the given claims (borrowed). alg "RS256" signs with the key sign_kid; "none"
 * leaves the signature empty. Returns a malloc'd token (caller frees) or NULL.
 */
char *fake_google_mint(fake_google *fg, const char *alg, const char *header_kid, const char *sign_kid,
                       json_t *claims);

/* ---- routes and recorded requests -------------------------------------------------- */

/* Answers method+path (query ignored) with status and body (copied; JSON content type). */
void fake_google_route(fake_google *fg, const char *method, const char *path, int status, const char *body);

/* A recorded request; every member is owned by the copy. */
typedef struct fake_google_request {
    char *method;
    char *path;    /* with the query string */
    char *headers; /* raw header block, "Name: value\r\n" lines */
    char *body;
    size_t body_len;
} fake_google_request;

/* Requests whose path (query ignored) equals path; NULL counts all. */
int fake_google_count(fake_google *fg, const char *path);
/* Waits until count(path) >= n or timeout_ms passes. Returns the count. */
int fake_google_wait(fake_google *fg, const char *path, int n, int timeout_ms);
/* Copies the index-th request to path (0-based). Returns 0, or -1 when there is none. */
int fake_google_get(fake_google *fg, const char *path, int index, fake_google_request *out);
void fake_google_request_free(fake_google_request *r);
/* A header of a recorded request (case-insensitive); malloc'd copy or NULL. */
char *fake_google_header(const fake_google_request *r, const char *name);

/* ---- internals shared by fake_google.c, fake_google_handlers.c, fake_google_keys.c ---- */

/* A generated RSA key pair as the fake needs it; every member owned. */
typedef struct fake_google_key {
    char *kid;
    char *private_pem;
    char *public_pem;
    char *cert_pem;  /* self-signed certificate of the public key */
    char *n64, *e64; /* JWK modulus and exponent, base64url */
} fake_google_key;

typedef struct fg_signing_key {
    fake_google_key key;
    int published;
} fg_signing_key;

typedef struct fg_sa {
    char *email;
    char *public_pem;
} fg_sa;

typedef struct fg_route {
    char *method, *path, *body;
    int status;
} fg_route;

typedef struct fg_conn {
    fake_google *fg;
    int fd;
    pthread_t thread;
} fg_conn;

/* What a handler answers. body is malloc'd (or NULL); the rest is static or inline. */
typedef struct fg_reply {
    int status;
    const char *content_type; /* NULL = application/json */
    char *body;
    char extra_headers[256]; /* "Name: value\r\n" lines */
} fg_reply;

struct fake_google {
    int listen_fd, wake[2], started;
    char host[32], url[48];
    pthread_t acceptor;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    fg_conn **conns;
    size_t n_conns;
    fake_google_request *reqs;
    size_t n_reqs;
    fg_sa *sas;
    size_t n_sas;
    fg_signing_key *keys;
    size_t n_keys;
    fg_route *routes;
    size_t n_routes;
    int token_status, expires_in, token_delay_ms, tokens_issued, md_refusals;
    int keys_blackout, keys_requests, stopping;
    char last_rejection[256];
    char *md_project, *md_email, *keys_cache_control;
};

/* Answers request r (path without query) into rep. */
void fg_handle(fake_google *fg, const fake_google_request *r, const char *path, fg_reply *rep);
/* Frees the handler state (keys, routes, records). */
void fg_state_free(fake_google *fg);

int fake_google_key_generate(fake_google_key *k, const char *kid);
void fake_google_key_free(fake_google_key *k);
/* Signs claims as a JWT (alg "RS256" with private_pem, or "none"). malloc'd or NULL. */
char *fg_sign_jwt(const char *alg, const char *header_kid, const char *private_pem, json_t *claims);
/* Google's checks on a JWT-bearer assertion. Returns 0, or -1 with why set. */
int fg_check_assertion(const char *assertion, const char *public_pem, const char *email, const char *aud,
                       char *why, size_t why_len);

#endif
