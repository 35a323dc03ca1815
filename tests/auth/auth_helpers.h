/*
 * auth_helpers.h - shared set-up of the auth suite: a clean credential environment
 * per test, a running fake_google, a scratch directory for key files, and a port
 * nothing listens on.
 */
#ifndef AUTH_HELPERS_H
#define AUTH_HELPERS_H

#include "../support/fake_google.h"

#define TEST_SA_EMAIL "runner@demo-test.iam.gserviceaccount.com"

/* The fake of the current test (started by auth_setup, stopped by auth_teardown). */
extern fake_google *g_fake;
/* A scratch directory of the current test. */
extern char g_tmpdir[];

/* Unsets every credential/emulator variable, forgets cached credentials, starts the fake. */
void auth_setup(void);
/* Stops the fake, removes the scratch directory. */
void auth_teardown(void);
/* Writes text to <tmpdir>/name and returns the path (static buffer). */
const char *auth_write_file(const char *name, const char *text);
/* Writes a service-account key the fake accepts; sets GOOGLE_APPLICATION_CREDENTIALS. */
const char *auth_use_key_file(const char *project_id);
/* Adds the published signing key kid to the fake and points both key URLs at the fake. */
void auth_use_fake_keys(const char *kid);
/* "127.0.0.1:PORT" of a port that refuses connections (static buffer). */
const char *auth_closed_host(void);

#endif
