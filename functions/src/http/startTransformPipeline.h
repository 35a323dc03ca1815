/*
 * startTransformPipeline.h - the HTTP function that starts a transform pipeline job.
 */
#ifndef START_TRANSFORM_PIPELINE_H
#define START_TRANSFORM_PIPELINE_H

#include "ff.h"

void start_transform_pipeline(ff_request *req, ff_response *res);

#endif
