/*
 * config.h - the server's configuration from flags and environment (flags win).
 *
 *   --port / PORT (8080)             --target / FUNCTION_TARGET ("" = all functions)
 *   --signature-type / FUNCTION_SIGNATURE_TYPE (http | cloudevent | event | typed)
 *   --host / FF_HOST (0.0.0.0)       --body-limit / FF_BODY_LIMIT (bytes, 10 MiB)
 *   --shutdown-grace / FF_SHUTDOWN_GRACE (seconds, 10)
 *   --http2-cleartext / FF_HTTP2_CLEARTEXT (on | off, off)
 *   --list, --help                   K_SERVICE (read only: Cloud Run requires a target)
 */
#ifndef FF_CONFIG_H
#define FF_CONFIG_H

#include <stddef.h>
#include "ff.h"

typedef struct ff_config {
    int port;
    char host[64];
    char target[128];
    ff_signature signature; /* 0 when not given: the registration decides */
    size_t body_limit;
    unsigned grace_s;
    int http2_cleartext; /* accept h2c (Upgrade and prior knowledge) */
    int cloud_run;       /* K_SERVICE is set */
    int list;
    int help;
} ff_config;

typedef const char *(*ff_getenv_fn)(const char *name);

/* Fills cfg from argv and env (NULL = getenv). Returns 0, or -1 with err set. */
int ff_config_parse(ff_config *cfg, int argc, char **argv, ff_getenv_fn env, ff_error *err);
/*
 * Checks the target against the registry (and that Cloud Run has one). Returns 0, or -1
 * with err. A signature type that disagrees with the registration is not an error: the
 * contract lets source code win over flags and environment.
 */
int ff_config_check(const ff_config *cfg, const ff_app *app, ff_error *err);
/* The registration's signature type name when the configured one disagrees, else NULL. */
const char *ff_config_signature_conflict(const ff_config *cfg, const ff_app *app);
const char *ff_config_usage(void);
const char *ff_signature_name(ff_signature sig);

#endif
