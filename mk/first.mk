# mk/first.mk - the warm-up suite (tests/warmup) counts the document IDs lib/warmup.c
# draws: every call to fs_new_id in its binary goes through the test's __wrap_fs_new_id.
$(BUILD)/tests/warmup: LDFLAGS += -Wl,--wrap=fs_new_id
