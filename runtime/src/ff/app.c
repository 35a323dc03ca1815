/*
 * app.c - the registry of functions a program serves (ff_app).
 */
#include <stdlib.h>
#include <string.h>

#include "ff.h"

struct ff_app {
    ff_function_def *defs;
    size_t len;
};

ff_app *ff_app_new(void)
{
    return calloc(1, sizeof(ff_app));
}

void ff_app_free(ff_app *app)
{
    if (app == NULL)
        return;
    for (size_t i = 0; i < app->len; i++)
        free((char *)app->defs[i].name);
    free(app->defs);
    free(app);
}

static int valid_name(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 63)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return 0;
    return 1;
}

static int has_handler(const ff_function_def *def)
{
    switch (def->signature) {
    case FF_SIGNATURE_HTTP:
        return def->http != NULL;
    case FF_SIGNATURE_CLOUDEVENT:
        return def->cloudevent != NULL;
    case FF_SIGNATURE_TYPED:
        return def->typed != NULL;
    case FF_SIGNATURE_EVENT:
        return def->event != NULL;
    }
    return 0;
}

int ff_register(ff_app *app, const ff_function_def *def, ff_error *err)
{
    if (!valid_name(def->name))
        return ff_error_set(err, -1, "invalid function name '%s'", def->name ? def->name : "(null)");
    if (ff_app_find(app, def->name) != NULL)
        return ff_error_set(err, -1, "function '%s' registered twice", def->name);
    if (!has_handler(def))
        return ff_error_set(err, -1, "function '%s' has no handler for its signature type", def->name);
    ff_function_def *defs = realloc(app->defs, (app->len + 1) * sizeof(*defs));
    if (defs == NULL)
        return ff_error_set(err, -1, "out of memory");
    app->defs = defs;
    ff_function_def copy = *def;
    copy.name = strdup(def->name);
    if (copy.timeout_s == 0)
        copy.timeout_s = 60;
    if (copy.max_concurrency == 0)
        copy.max_concurrency = 80;
    if (copy.max_queue == 0)
        copy.max_queue = 4 * copy.max_concurrency;
    app->defs[app->len++] = copy;
    return 0;
}

const ff_function_def *ff_app_find(const ff_app *app, const char *name)
{
    for (size_t i = 0; i < app->len; i++)
        if (strcmp(app->defs[i].name, name) == 0)
            return &app->defs[i];
    return NULL;
}

size_t ff_app_count(const ff_app *app)
{
    return app->len;
}

const ff_function_def *ff_app_at(const ff_app *app, size_t i)
{
    return i < app->len ? &app->defs[i] : NULL;
}
