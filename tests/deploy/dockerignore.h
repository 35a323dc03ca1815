/*
 * dockerignore.h - .dockerignore as Docker reads it (moby's patternmatcher): patterns in
 * file order, the last one that matches a path (or one of its parent directories)
 * decides, "!" re-includes; "*" and "?" stop at "/", "**" crosses directories.
 * Used to lay out exactly the build context `docker build .` would send.
 */
#ifndef DOCKERIGNORE_H
#define DOCKERIGNORE_H

#include <regex.h>
#include <stddef.h>

typedef struct di_pattern {
    char *text; /* cleaned pattern, without the "!" */
    int exception;
    regex_t re;
} di_pattern;

typedef struct di_rules {
    di_pattern *p;
    size_t n;
} di_rules;

/* Parses .dockerignore text (comments, blank lines, "!" exceptions). Returns 0, or -1 on
 * a pattern that does not compile. Free with di_free. */
int di_parse(di_rules *r, const char *text);
void di_free(di_rules *r);

/* Nonzero when path (relative to the context, "a/b/c") is kept out of the context. */
int di_excluded(const di_rules *r, const char *path);

/* Nonzero when the excluded directory dir may still hold re-included paths (an exception
 * pattern could match below it), so a walk must descend into it. */
int di_may_admit_below(const di_rules *r, const char *dir);

#endif
