/*
 * stack.h - helpers for the local-stack suite: run a shell command with a time limit,
 * capture its output, and probe ports.
 */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>

/* Runs `sh -c cmd` (cwd: the repo root), output into *out (caller frees). Exit status. */
int stack_run(const char *cmd, char **out);
/* A port free on 127.0.0.1 now. */
int stack_free_port(void);
/* 1 if something accepts on 127.0.0.1:port. */
int stack_port_open(int port);
/* The functions binary of this build: $FF_TEST_BUILD/bin/functions. Static buffer. */
const char *stack_functions_bin(void);

#endif
