# mk/conformance.mk - `make conformance`: Google's Functions Framework conformance client
# against the test-only conformance functions (tests/conformance/), every mode; part of
# `make test`. FF_CONFORMANCE_CLIENT names the client (see tests/conformance/run.sh).

$(BUILD)/bin/conformance-functions: $(call obj,tests/conformance/conformance_functions.c $(FF_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

.PHONY: conformance
conformance: $(BUILD)/bin/conformance-functions ## Google's Functions Framework conformance client, every mode (FF_CONFORMANCE_CLIENT)
	@BUILD=$(BUILD) tests/conformance/run.sh

TEST_EXTRA += conformance
