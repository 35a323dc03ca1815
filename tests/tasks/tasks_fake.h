/*
 * tasks_fake.h - the fixture of the Cloud Tasks REST suites: fake_google standing in for
 * cloudtasks.googleapis.com and its token endpoint, with a service-account key for
 * project demo-test, and the Tasks client pointed at it (no emulator variables).
 */
#ifndef TESTS_TASKS_FAKE_H
#define TESTS_TASKS_FAKE_H

#include "../support/fake_google.h"

#define TF_SA_EMAIL "runner@demo-test.iam.gserviceaccount.com"

/* The fake of the running test; set by tf_setup, NULL after tf_teardown. */
extern fake_google *tf_api;

/* Criterion .init / .fini of a suite that talks to the fake. */
void tf_setup(void);
void tf_teardown(void);

#endif
