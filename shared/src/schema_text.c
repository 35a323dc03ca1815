/*
 * schema_text.c - the string rules of the schema layer: UTF-8 code-point length (for
 * string min/max) and the URL check (for URL fields). See schema.h for the URL rule.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

size_t schema_utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80; /* count every byte but continuation bytes */
    return n;
}

/* The schemes whose URLs must carry "//host" (WHATWG special schemes but file:). */
static bool is_web_scheme(const char *s, size_t len)
{
    static const char *const web[] = {"http", "https", "ws", "wss", "ftp", NULL};
    for (size_t i = 0; web[i] != NULL; i++) {
        if (strlen(web[i]) == len && strncasecmp(web[i], s, len) == 0)
            return true;
    }
    return false;
}

/* Offset of the first byte of s[0..n) found in set, or n. */
static size_t span_until(const char *s, size_t n, const char *set)
{
    size_t i = 0;
    while (i < n && strchr(set, s[i]) == NULL)
        i++;
    return i;
}

/* "[v6]" with hex digits, ':' and '.' inside; returns its length (with brackets) or 0. */
static size_t ipv6_literal(const char *h, size_t n)
{
    size_t i = 1;
    while (i < n && (isxdigit((unsigned char)h[i]) || h[i] == ':' || h[i] == '.'))
        i++;
    return i > 1 && i < n && h[i] == ']' ? i + 1 : 0;
}

/* ":" then at most 5 digits, at most 65535 (empty allowed, as WHATWG does). */
static bool port_valid(const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (p[0] != ':' || n > 6)
        return false;
    long port = 0;
    for (size_t i = 1; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        port = port * 10 + (p[i] - '0');
    }
    return port <= 65535;
}

/* What follows "scheme:" for a web scheme: "//" [userinfo "@"] host [":" port] [path...]. */
static bool web_authority_valid(const char *p, size_t n)
{
    if (n < 2 || p[0] != '/' || p[1] != '/')
        return false;
    p += 2;
    n -= 2;
    size_t end = span_until(p, n, "/?#");
    size_t start = 0;
    for (size_t i = 0; i < end; i++) {
        if (p[i] == '@')
            start = i + 1;
    }
    const char *host = p + start;
    size_t rest = end - start;
    size_t host_len = rest > 0 && host[0] == '[' ? ipv6_literal(host, rest) : span_until(host, rest, ":");
    if (host_len == 0)
        return false;
    if (host[0] != '[' && span_until(host, host_len, " <>^|\\[]") != host_len)
        return false;
    return port_valid(host + host_len, rest - host_len);
}

bool schema_url_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    }
    if (!isalpha((unsigned char)s[0]))
        return false;
    size_t i = 1;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i == len || s[i] != ':')
        return false;
    return !is_web_scheme(s, i) || web_authority_valid(s + i + 1, len - i - 1);
}
