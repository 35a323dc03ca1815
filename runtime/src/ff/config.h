/*
 * config.h - the server's configuration from flags and environment (flags win).
 *
 *   --port / PORT (8080)             --target / FUNCTION_TARGET ("" = all functions)
 *   --signature-type / FUNCTION_SIGNATURE_TYPE (http | cloudevent)
 *   --host / FF_HOST (0.0.0.0)       --body-limit / FF_BODY_LIMIT (bytes, 10 MiB)
 *   --shutdown-grace / FF_SHUTDOWN_GRACE (seconds, 10)
 *   --list, --help
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
    int list;
    int help;
} ff_config;

typedef const char *(*ff_getenv_fn)(const char *name);

/* Fills cfg from argv and env (NULL = getenv). Returns 0, or -1 with err set. */
int ff_config_parse(ff_config *cfg, int argc, char **argv, ff_getenv_fn env, ff_error *err);
/* Checks the target and signature type against the registry. Returns 0, or -1 with err. */
int ff_config_check(const ff_config *cfg, const ff_app *app, ff_error *err);
const char *ff_config_usage(void);
const char *ff_signature_name(ff_signature sig);

#endif
