/*
 * config.c - parses flags and environment into ff_config. Pure: no I/O, so every
 * precedence rule is unit-tested.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define DEFAULT_BODY_LIMIT (10u * 1024 * 1024)

const char *ff_config_usage(void)
{
    return "usage: functions [flags]\n"
           "  --target NAME             FUNCTION_TARGET          the function to serve (none: every "
           "function\n"
           "                                                     at /{name}; refused when K_SERVICE is set)\n"
           "  --signature-type TYPE     FUNCTION_SIGNATURE_TYPE  http|cloudevent|event|typed (the "
           "registration wins)\n"
           "  --port N                  PORT                     listening port (8080; 0 = any free port)\n"
           "  --host ADDR               FF_HOST                  listening address (0.0.0.0)\n"
           "  --body-limit BYTES        FF_BODY_LIMIT            request body ceiling (10485760)\n"
           "  --shutdown-grace SECONDS  FF_SHUTDOWN_GRACE        grace period after SIGTERM (10)\n"
           "  --http2-cleartext on|off  FF_HTTP2_CLEARTEXT       accept HTTP/2 without TLS (h2c; off)\n"
           "  --list                                             print the registered functions and exit\n"
           "  --help                                             print this help and exit\n"
           "environment only: LOG_FORMAT (json|text), LOG_LEVEL, K_SERVICE (set on Cloud Run)\n";
}

static const struct {
    ff_signature sig;
    const char *name;
} signature_names[] = {
    {FF_SIGNATURE_HTTP, "http"},
    {FF_SIGNATURE_CLOUDEVENT, "cloudevent"},
    {FF_SIGNATURE_EVENT, "event"},
    {FF_SIGNATURE_TYPED, "typed"},
};

const char *ff_signature_name(ff_signature sig)
{
    for (size_t i = 0; i < sizeof(signature_names) / sizeof(signature_names[0]); i++)
        if (signature_names[i].sig == sig)
            return signature_names[i].name;
    return "unknown";
}

static const char *env_default(const char *name)
{
    return getenv(name);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || s[0] == '-' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_signature(const char *s, ff_signature *out)
{
    for (size_t i = 0; i < sizeof(signature_names) / sizeof(signature_names[0]); i++) {
        if (strcmp(s, signature_names[i].name) == 0) {
            *out = signature_names[i].sig;
            return 0;
        }
    }
    return -1;
}

static int parse_switch(const char *s, int *out)
{
    static const char *const on[] = {"on", "1", "true", "yes"}, *const off[] = {"off", "0", "false", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, on[i]) == 0 || strcmp(s, off[i]) == 0) {
            *out = strcmp(s, on[i]) == 0;
            return 0;
        }
    }
    return -1;
}

/* Applies one setting by name; `source` names the flag or variable for the error. */
static int apply(ff_config *cfg, const char *key, const char *value, const char *source, ff_error *err)
{
    unsigned long v;
    if (strcmp(key, "port") == 0) {
        if (parse_ulong(value, 0, 65535, &v) != 0)
            return ff_error_set(err, -1, "invalid %s '%s': expected a port number 0-65535", source, value);
        cfg->port = (int)v;
    } else if (strcmp(key, "target") == 0) {
        if (strlen(value) >= sizeof(cfg->target))
            return ff_error_set(err, -1, "invalid %s: name too long", source);
        ff_strlcpy(cfg->target, sizeof(cfg->target), value);
    } else if (strcmp(key, "host") == 0) {
        if (*value == '\0' || strlen(value) >= sizeof(cfg->host))
            return ff_error_set(err, -1, "invalid %s '%s'", source, value);
        ff_strlcpy(cfg->host, sizeof(cfg->host), value);
    } else if (strcmp(key, "signature-type") == 0) {
        if (parse_signature(value, &cfg->signature) != 0)
            return ff_error_set(err, -1, "invalid %s '%s': expected http, cloudevent, event or typed", source,
                                value);
    } else if (strcmp(key, "body-limit") == 0) {
        if (parse_ulong(value, 1, 1ul << 30, &v) != 0)
            return ff_error_set(err, -1, "invalid %s '%s': expected bytes 1..1073741824", source, value);
        cfg->body_limit = v;
    } else if (strcmp(key, "shutdown-grace") == 0) {
        if (parse_ulong(value, 0, 3600, &v) != 0)
            return ff_error_set(err, -1, "invalid %s '%s': expected seconds 0..3600", source, value);
        cfg->grace_s = (unsigned)v;
    } else if (strcmp(key, "http2-cleartext") == 0) {
        if (parse_switch(value, &cfg->http2_cleartext) != 0)
            return ff_error_set(err, -1, "invalid %s '%s': expected on or off", source, value);
    } else {
        return ff_error_set(err, -1, "unknown flag: --%s", key);
    }
    return 0;
}

static const struct {
    const char *key, *env;
} env_map[] = {
    {"port", "PORT"},
    {"target", "FUNCTION_TARGET"},
    {"signature-type", "FUNCTION_SIGNATURE_TYPE"},
    {"host", "FF_HOST"},
    {"body-limit", "FF_BODY_LIMIT"},
    {"shutdown-grace", "FF_SHUTDOWN_GRACE"},
    {"http2-cleartext", "FF_HTTP2_CLEARTEXT"},
};

static int known_flag(const char *key)
{
    for (size_t i = 0; i < sizeof(env_map) / sizeof(env_map[0]); i++)
        if (strcmp(key, env_map[i].key) == 0)
            return 1;
    return 0;
}

static int parse_flags(ff_config *cfg, int argc, char **argv, ff_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--list") == 0) {
            cfg->list = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cfg->help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return ff_error_set(err, -1, "unexpected argument '%s'", arg);
        char key[64];
        const char *eq = strchr(arg + 2, '=');
        size_t klen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (klen == 0 || klen >= sizeof(key))
            return ff_error_set(err, -1, "unknown flag: %.100s", arg);
        memcpy(key, arg + 2, klen);
        key[klen] = '\0';
        if (!known_flag(key))
            return ff_error_set(err, -1, "unknown flag: --%s", key);
        const char *value = eq ? eq + 1 : NULL;
        if (value == NULL) {
            if (i + 1 >= argc)
                return ff_error_set(err, -1, "flag --%s needs a value", key);
            value = argv[++i];
        }
        char source[80];
        snprintf(source, sizeof(source), "--%s", key);
        if (apply(cfg, key, value, source, err) != 0)
            return -1;
    }
    return 0;
}

int ff_config_parse(ff_config *cfg, int argc, char **argv, ff_getenv_fn env, ff_error *err)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 8080;
    snprintf(cfg->host, sizeof(cfg->host), "0.0.0.0");
    cfg->body_limit = DEFAULT_BODY_LIMIT;
    cfg->grace_s = 10;
    if (env == NULL)
        env = env_default;
    const char *k_service = env("K_SERVICE");
    cfg->cloud_run = k_service != NULL && *k_service != '\0';
    for (size_t i = 0; i < sizeof(env_map) / sizeof(env_map[0]); i++) {
        const char *v = env(env_map[i].env);
        if (v != NULL && *v != '\0' && apply(cfg, env_map[i].key, v, env_map[i].env, err) != 0)
            return -1;
    }
    return parse_flags(cfg, argc, argv, err);
}

int ff_config_check(const ff_config *cfg, const ff_app *app, ff_error *err)
{
    if (cfg->target[0] == '\0' && cfg->cloud_run)
        return ff_error_set(err, -1,
                            "no function target: on Cloud Run (K_SERVICE is set) each service serves one "
                            "function; set FUNCTION_TARGET or --target");
    if (cfg->target[0] == '\0')
        return ff_app_count(app) > 0 ? 0 : ff_error_set(err, -1, "no functions registered");
    if (ff_app_find(app, cfg->target) == NULL)
        return ff_error_set(err, -1, "unknown function target '%s'", cfg->target);
    return 0;
}

const char *ff_config_signature_conflict(const ff_config *cfg, const ff_app *app)
{
    const ff_function_def *def = cfg->target[0] ? ff_app_find(app, cfg->target) : NULL;
    if (def == NULL || cfg->signature == 0 || cfg->signature == def->signature)
        return NULL;
    return ff_signature_name(def->signature);
}
