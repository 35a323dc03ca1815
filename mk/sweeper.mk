# mk/sweeper.mk - the sweeper suite (tests/sweeper) drives the real functions server with
# the end-to-end helpers of tests/functions: link them into its binary too.
$(BUILD)/tests/sweeper: $(call obj,tests/functions/e2e.c tests/functions/e2e_docs.c)
