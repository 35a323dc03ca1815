/*
 * transformPipelineJob.h - the Cloud Tasks handler that runs a transform pipeline job.
 */
#ifndef TRANSFORM_PIPELINE_JOB_H
#define TRANSFORM_PIPELINE_JOB_H

#include "ff.h"

void transform_pipeline_job(ff_request *req, ff_response *res);

#endif
