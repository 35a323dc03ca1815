/*
 * dockerignore.c - .dockerignore patterns compiled to regular expressions the way moby's
 * patternmatcher compiles them, and the "last matching pattern wins" evaluation over a
 * path and its parent directories.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "dockerignore.h"

/* Cleans a pattern as filepath.Clean does for these forms: no "./" segments, no doubled
 * or trailing "/", no leading "/". Returns a malloc'd string. */
static char *clean(const char *s)
{
    char *out = malloc(strlen(s) + 2);
    size_t o = 0;
    while (*s) {
        while (*s == '/')
            s++;
        if (s[0] == '.' && (s[1] == '/' || s[1] == '\0')) {
            s++;
            continue;
        }
        size_t seg = strcspn(s, "/");
        if (seg == 0)
            break;
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, s, seg);
        o += seg;
        s += seg;
    }
    out[o] = '\0';
    if (o == 0)
        strcpy(out, ".");
    return out;
}

/* moby's pattern to regular expression: a star matches within one path segment, a question
 * mark one character of a segment, a double star any run of segments. */
static int compile(di_pattern *p)
{
    const char *s = p->text;
    size_t len = strlen(s);
    char *re = malloc(len * 8 + 8), *o = re;
    *o++ = '^';
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '*' && s[i + 1] == '*') {
            i++;
            if (s[i + 1] == '/')
                i++;
            o = stpcpy(o, i + 1 == len ? ".*" : "(.*/)?");
        } else if (c == '*') {
            o = stpcpy(o, "[^/]*");
        } else if (c == '?') {
            o = stpcpy(o, "[^/]");
        } else if (c == '\\' && i + 1 < len) {
            *o++ = '\\';
            *o++ = s[++i];
        } else {
            if (strchr(".+(){}|^$", c))
                *o++ = '\\';
            *o++ = c;
        }
    }
    *o++ = '$';
    *o = '\0';
    int rc = regcomp(&p->re, re, REG_EXTENDED | REG_NOSUB);
    free(re);
    return rc == 0 ? 0 : -1;
}

int di_parse(di_rules *r, const char *text)
{
    memset(r, 0, sizeof(*r));
    const char *line = text;
    while (line && *line) {
        size_t len = strcspn(line, "\n");
        char *l = strndup(line, len);
        line = line[len] ? line + len + 1 : NULL;
        char *s = l, *e = l + strlen(l);
        while (*s == ' ' || *s == '\t')
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            *--e = '\0';
        if (*s == '\0' || *s == '#') {
            free(l);
            continue;
        }
        di_pattern p = {.exception = *s == '!'};
        p.text = clean(s + p.exception);
        free(l);
        if (compile(&p) != 0) {
            free(p.text);
            di_free(r);
            return -1;
        }
        r->p = realloc(r->p, (r->n + 1) * sizeof(*r->p));
        r->p[r->n++] = p;
    }
    return 0;
}

void di_free(di_rules *r)
{
    for (size_t i = 0; i < r->n; i++) {
        regfree(&r->p[i].re);
        free(r->p[i].text);
    }
    free(r->p);
    memset(r, 0, sizeof(*r));
}

/* The pattern matches path or one of its parent directories. */
static int matches(const di_pattern *p, const char *path)
{
    char *prefix = strdup(path);
    int hit = 0;
    for (char *slash = prefix; !hit;) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        hit = regexec(&p->re, prefix, 0, NULL, 0) == 0;
        if (slash == NULL)
            break;
        *slash++ = '/';
    }
    free(prefix);
    return hit;
}

int di_excluded(const di_rules *r, const char *path)
{
    int excluded = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->p[i].exception == excluded && matches(&r->p[i], path))
            excluded = !r->p[i].exception;
    return excluded;
}

/* The first n "/"-separated components of s as a malloc'd string; NULL if s has fewer. */
static char *components(const char *s, size_t n)
{
    const char *e = s;
    for (size_t i = 0; i < n; i++) {
        e += strcspn(e, "/");
        if (i + 1 < n) {
            if (*e == '\0')
                return NULL;
            e++;
        }
    }
    return strndup(s, (size_t)(e - s));
}

int di_may_admit_below(const di_rules *r, const char *dir)
{
    size_t depth = 1;
    for (const char *c = dir; *c; c++)
        depth += *c == '/';
    for (size_t i = 0; i < r->n; i++) {
        if (!r->p[i].exception)
            continue;
        if (strstr(r->p[i].text, "**") != NULL)
            return 1;
        char *head = components(r->p[i].text, depth);
        int may =
            head != NULL && strlen(head) < strlen(r->p[i].text) && fnmatch(head, dir, FNM_PATHNAME) == 0;
        free(head);
        if (may)
            return 1;
    }
    return 0;
}
