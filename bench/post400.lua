-- wrk script: the 400 path of startTransformPipeline (POST without projectId: refused by
-- validation, no remote call).
wrk.method = "POST"
wrk.body = '{"sessionId":"s1","stepId":"transform"}'
wrk.headers["Content-Type"] = "application/json"
