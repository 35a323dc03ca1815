/*
 * faults.h - shared bits of the faults suite: the hardening suite's world (harness.h,
 * compiled into this suite by faults.c) plus proxies in front of the emulators and the
 * checks fault tests share.
 *
 * A fault test starts a proxy in front of an emulator (fx_proxy), starts its server
 * with that emulator variable pointing at the proxy (fx_env), injects the fault, and
 * checks what the server answered and what it left in Firestore, read straight from
 * the emulator (the test's hw handle does not go through the proxy). Tests end with
 * fx_done; suites use `.fini = fx_fini`, which stops whatever is left, pass or fail.
 */
#ifndef FAULTS_FAULTS_H
#define FAULTS_FAULTS_H

#include "../hardening/harness.h"
#include "proxy.h"

/* A proxy to target "host:port", stopped by fx_done / fx_fini. Asserts it starts. */
proxy *fx_proxy_to(const char *target);
/* A proxy in front of the emulator named by the test process's env_var ("host:port"). */
proxy *fx_proxy(const char *env_var);
/* "NAME=<proxy address>" in buf (returned). */
const char *fx_env(char *buf, size_t len, const char *name, const proxy *p);
/* A test's world: seeded documents, proxies as asked, and a server using them. */
typedef struct fx_world {
    hw w;
    proxy *fs;    /* in front of Firestore, or NULL */
    proxy *tasks; /* in front of Cloud Tasks, or NULL */
    hw_server s;
} fx_world;
enum { FX_FIRESTORE = 1, FX_TASKS = 2 };
/* hw_init and hw_seed, a proxy for each emulator in `proxied`, then the server (env on top). */
void fx_world_start(fx_world *f, int proxied, const char *const env[]);

/* Stops the test's servers, then its proxies. */
void fx_done(void);
void fx_fini(void);

/* POST /cleanupStaleJobs: the number of jobs it failed, or -1 (failed expectation) if not 200. */
int fx_sweep(const hw_server *s);
/* Polls the server's stdout for needle: 0, or -1 after timeout_ms. */
int fx_wait_log(const hw_server *s, const char *needle, int timeout_ms);
/* An integer field of a document (0 when absent). */
int64_t fx_int(const fs_doc *doc, const char *field);
/* Expects the session's jobStatus neither pending nor running: it can take a new job. */
void fx_expect_session_free(hw *w, const char *what);
/* Expects no job of the project pending or running. */
void fx_expect_no_active_job(hw *w, const char *what);

#endif
