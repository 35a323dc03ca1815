/*
 * firestore_tags.c - constructors for the tagged plain-JSON values that stand for
 * Firestore types JSON has no word for: timestamps, bytes, geo points, references.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "firestore_internal.h"

json_t *fs_timestamp(const char *rfc3339)
{
    if (rfc3339 == NULL)
        return NULL;
    return json_pack("{ss}", "$timestamp", rfc3339);
}

json_t *fs_timestamp_ms(int64_t ms)
{
    /* floor division, so times before 1970 get a positive millisecond part */
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return NULL;
    char buf[FS_TIME_SIZE];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
    return fs_timestamp(buf);
}

json_t *fs_bytes(const void *data, size_t len)
{
    if (data == NULL && len > 0)
        return NULL;
    if (len > (size_t)1 << 30)
        return NULL;
    unsigned char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (b64 == NULL)
        return NULL;
    EVP_EncodeBlock(b64, data, (int)len); /* standard alphabet with padding, as the API wants */
    json_t *v = json_pack("{ss}", "$bytes", (const char *)b64);
    free(b64);
    return v;
}

json_t *fs_geo_point(double latitude, double longitude)
{
    return json_pack("{s{s:f,s:f}}", "$geoPoint", "latitude", latitude, "longitude", longitude);
}

json_t *fs_reference(const fs_db *db, const char *path, ff_error *err)
{
    if (db == NULL || fs_path_check(path, FS_PATH_DOC, err) != 0)
        return NULL;
    char *name = fs_full_name(db, path);
    json_t *v = name ? json_pack("{ss}", "$reference", name) : NULL;
    free(name);
    return v;
}
