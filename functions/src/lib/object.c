/*
 * object.c - object_of (see object.h).
 */
#include "lib/object.h"

json_t *object_of(size_t n, const char *const keys[], json_t *const values[])
{
    json_t *obj = json_object();
    int ok = obj != NULL;
    for (size_t i = 0; i < n; i++) {
        if (values[i] == NULL)
            ok = 0;
        else if (!ok || json_object_set_new_nocheck(obj, keys[i], values[i]) != 0)
            ok = 0, json_decref(values[i]);
    }
    if (!ok)
        json_decref(obj);
    return ok ? obj : NULL;
}
