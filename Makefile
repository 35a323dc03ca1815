# Build, test and run the transform pipeline backend.
# `make help` lists every target, one line each (the `## ` comments on the rules below,
# in fuzz/fuzz.mk and mk/*.mk; mechanism in mk/help.mk).
# BUILD=dir puts objects elsewhere (parallel builds, sanitizer builds).

BUILD    ?= build
CC       ?= cc
OPT      ?= -O2
SAN      ?=
PKGS     := libh2o-evloop jansson libcurl libjwt libcrypto
# libcurl: headers only; the library is dlopen'ed at first use (runtime/src/gcp/gcp_curl.c)
LINK_PKGS := libh2o-evloop jansson libjwt libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CFLAGS   := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
            -DH2O_USE_EPOLL=1 -D_GNU_SOURCE $(SAN) \
            -Iruntime/include -Ishared/include -Ifunctions/src $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := $(SAN) -pthread -Wl,-O1,--as-needed
LDLIBS    = -lc -lcrypto $(PKG_LIBS) -lm
# mimalloc takes malloc/free over from glibc in the two server binaries, for every library
# they load (jansson, h2o, libcurl): 15 % fewer instructions per start request
# (docs/performance.md, "Phase 5"). First in the link order, so its symbols come first in
# the loader's lookup. Not in sanitizer builds, whose runtime brings its own allocator.
ALLOC_LIBS = $(if $(SAN),,-lmimalloc)

FF_SRC        := $(sort $(wildcard runtime/src/ff/*.c))
GCP_SRC       := $(sort $(wildcard runtime/src/gcp/*.c))
RUNTIME_SRC   := $(FF_SRC) $(GCP_SRC)
SHARED_SRC    := $(sort $(wildcard shared/src/*.c))
FUNCTIONS_SRC := $(sort $(filter-out functions/src/main.c,$(shell find functions/src -name '*.c')))
SUPPORT_SRC   := $(sort $(filter-out tests/support/functions_test_main.c,$(wildcard tests/support/*.c)))
ALL_TEST_DIRS := $(filter-out support,$(sort $(notdir $(patsubst %/,%,$(dir $(wildcard tests/*/test_*.c))))))
# SUITES="firestore auth" runs only those tests/<dir> suites.
TEST_DIRS     := $(if $(SUITES),$(filter $(SUITES),$(ALL_TEST_DIRS)),$(ALL_TEST_DIRS))

NPROC    := $(shell nproc 2>/dev/null || echo 2)
# Checks that are not Criterion suites: each mk/*.mk fragment appends its targets, and
# `make test` runs them after the suites (not when SUITES picks some).
TEST_EXTRA :=

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ := $(call obj,$(RUNTIME_SRC) $(SHARED_SRC) $(FUNCTIONS_SRC))

.PHONY: all deps test test-asan test-valgrind test-build run bench load fuzz fuzz-build format clean
all: $(BUILD)/bin/functions ## build/bin/functions, one executable with every function of functions/src/index.c (the default goal)

deps: ## install the missing Debian and npm packages, naming each (a second run installs nothing)
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bin/functions: $(call obj,functions/src/main.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(ALLOC_LIBS) $(LDLIBS) -o $@

# The same binary plus test-only functions (echo, sleep, fail, ...) for the contract suite.
$(BUILD)/bin/functions-test: $(call obj,tests/support/functions_test_main.c tests/support/test_functions.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(ALLOC_LIBS) $(LDLIBS) -o $@

# Benchmark programs: bench/<name>.c linked with the runtime.
$(BUILD)/bench/%: $(call obj,bench/%.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcurl -o $@

# One Criterion binary per tests/<dir>/ so a suite's build failure names its area.
define suite_rule
$(BUILD)/tests/$(1): $(call obj,$(wildcard tests/$(1)/*.c) $(SUPPORT_SRC)) $(LIB_OBJ)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -lcurl -lcriterion -o $$@
endef
$(foreach d,$(TEST_DIRS),$(eval $(call suite_rule,$(d))))

test-build: $(BUILD)/bin/functions $(BUILD)/bin/functions-test $(addprefix $(BUILD)/tests/,$(TEST_DIRS)) ## build the functions binaries and every suite, run nothing

test: deps ## deps, build, every Criterion suite against real emulators, then the checks (SUITES="a b": only tests/a, tests/b)
	@$(MAKE) --no-print-directory -j$(NPROC) test-build
	@BUILD=$(BUILD) scripts/run-tests.sh $(addprefix $(BUILD)/tests/,$(TEST_DIRS))
	@for t in $(if $(SUITES),,$(TEST_EXTRA)); do $(MAKE) --no-print-directory $$t || exit 1; done

test-asan: deps ## the same suites under AddressSanitizer + UndefinedBehaviorSanitizer (objects in build/asan)
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test-build
	@BUILD=build/asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    scripts/run-tests.sh $(addprefix build/asan/tests/,$(TEST_DIRS))

# The unit suites (no servers) under valgrind memcheck.
VALGRIND_SUITES ?= runtime shared
test-valgrind: deps ## the unit suites (runtime, shared) under valgrind memcheck
	@$(MAKE) --no-print-directory -j$(NPROC) SUITES="$(VALGRIND_SUITES)" test-build
	@FF_VALGRIND=1 BUILD=$(BUILD) scripts/run-tests.sh $(addprefix $(BUILD)/tests/,$(VALGRIND_SUITES))

run: deps all ## the local stack: emulators + every function, one demo pipeline run, then serves until Ctrl-C
	@scripts/run-local.sh

bench: deps all $(BUILD)/bin/functions-test $(BUILD)/bench/pipeline_bench $(BUILD)/bench/firestore_bench ## benchmarks, each figure beside a baseline measured in the same run
	@rm -f $(BUILD)/bench/targets.txt
	@BUILD=$(BUILD) bench/run.sh
	@BUILD=$(BUILD) bench/firestore.sh
	@BUILD=$(BUILD) bench/pipeline.sh
	@BUILD=$(BUILD) bench/summary.sh

# The load test: 200 connections for 60 s on fresh sessions, then every job verified.
load: deps all $(BUILD)/bench/pipeline_bench ## load test: 200 connections for 60 s through the emulators, then every job verified
	@BUILD=$(BUILD) bench/load.sh

format: ## clang-format every C file of the tree
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean: ## remove build/
	rm -rf build

include $(wildcard fuzz/fuzz.mk) # absent from the image build context (.dockerignore)
include $(wildcard mk/*.mk)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
