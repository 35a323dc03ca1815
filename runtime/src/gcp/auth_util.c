/*
 * auth_util.c - small helpers for the auth modules: base64 and base64url, environment
 * reads that treat empty as unset, and reading a whole file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_internal.h"

char *gcp_strdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

const char *gcp_env(const char *name)
{
    const char *v = getenv(name);
    return (v && v[0]) ? v : NULL;
}

/* Maps one base64url character to its standard base64 form; 0 if not in the alphabet. */
static char url_to_std(char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return c;
    if (c == '-')
        return '+';
    if (c == '_')
        return '/';
    return 0;
}

unsigned char *gcp_b64url_decode(const char *in, size_t in_len, size_t *len)
{
    while (in_len > 0 && in[in_len - 1] == '=')
        in_len--;
    if (in_len % 4 == 1)
        return NULL;
    size_t padded = (in_len + 3) / 4 * 4;
    char *std = malloc(padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    if (std == NULL || out == NULL)
        goto fail;
    for (size_t i = 0; i < in_len; i++) {
        std[i] = url_to_std(in[i]);
        if (std[i] == 0)
            goto fail;
    }
    memset(std + in_len, '=', padded - in_len);
    std[padded] = '\0';
    /* EVP_DecodeBlock counts padding as zero bytes: subtract them afterwards. */
    int n = EVP_DecodeBlock(out, (const unsigned char *)std, (int)padded);
    if (n < 0)
        goto fail;
    *len = (size_t)n - (padded - in_len);
    out[*len] = '\0';
    free(std);
    return out;
fail:
    free(std);
    free(out);
    return NULL;
}

char *gcp_b64_encode(const unsigned char *in, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

char *gcp_read_file(const char *path, size_t max_len, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int error = buf ? 0 : ENOMEM;
    while (error == 0) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n > max_len) {
            error = EFBIG;
        } else if (n < cap - 1) { /* short read: end of file or an error */
            error = ferror(f) ? EIO : 0;
            break;
        } else {
            char *bigger = realloc(buf, cap * 2);
            error = bigger ? 0 : ENOMEM;
            buf = bigger ? bigger : buf;
            cap *= 2;
        }
    }
    fclose(f);
    if (error) {
        free(buf);
        errno = error;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
