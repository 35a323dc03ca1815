# mk/indexes.mk - the Firestore index check (tests/indexes). During `make test` every
# Firestore query is recorded (FS_QUERY_LOG, see runtime/include/gcp/firestore.h); after
# the suites, index-check judges each query the functions sent against
# firestore.indexes.json. The suite also records and checks the sweeper on its own.
INDEX_QUERY_LOG := $(abspath $(BUILD))/firestore-queries.jsonl

$(BUILD)/tests/indexes: $(call obj,tests/functions/e2e.c tests/functions/e2e_docs.c)

test: index-log-reset
test: export FS_QUERY_LOG := $(INDEX_QUERY_LOG)
TEST_EXTRA += index-check

.PHONY: index-log-reset index-check
index-log-reset:
	@mkdir -p $(dir $(INDEX_QUERY_LOG)) && rm -f $(INDEX_QUERY_LOG)

index-check: $(BUILD)/tests/indexes ## every Firestore query the functions sent during make test is served by a declared or automatic index
	@echo "== index check: every query the functions sent during the run"
	@FS_QUERY_LOG_CHECK=$(INDEX_QUERY_LOG) $(BUILD)/tests/indexes --filter 'recorded/every_query_of_the_run_is_indexed'
