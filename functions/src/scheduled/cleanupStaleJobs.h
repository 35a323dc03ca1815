/*
 * cleanupStaleJobs.h - the sweeper (HTTP, called by Cloud Scheduler).
 */
#ifndef CLEANUP_STALE_JOBS_H
#define CLEANUP_STALE_JOBS_H

#include "ff.h"

void cleanup_stale_jobs(ff_request *req, ff_response *res);

#endif
