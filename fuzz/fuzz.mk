# fuzz/fuzz.mk - libFuzzer harnesses, included from the root Makefile (see fuzz/README.md).
#   make fuzz-build                 builds every harness into $(BUILD)/fuzz/
#   make fuzz [FUZZ_SECONDS=30]     runs each harness for FUZZ_SECONDS on a temporary copy
#                                   of fuzz/corpus/<harness>; fails when one crashes
# Everything here is built with clang (-fsanitize=fuzzer,address,undefined), objects under
# $(BUILD)/fuzz/obj/, independently of the gcc objects of the root Makefile.

FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 30
FUZZ_HARNESSES := fuzz_http_request fuzz_json_schema fuzz_firestore_value fuzz_cloudevent fuzz_token
FUZZ_PKGS      := libh2o-evloop jansson libcurl libjwt libcrypto
FUZZ_PKG_CFLAGS := $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_PKG_LIBS   := $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null)
FUZZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS    := -std=gnu11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Wall -Wextra -Werror -Wshadow \
                  -Wno-unused-parameter -DH2O_USE_EPOLL=1 -D_GNU_SOURCE \
                  -Iruntime/include -Ishared/include -Ifunctions/src $(FUZZ_PKG_CFLAGS)
FUZZ_LDFLAGS   := $(FUZZ_SAN) -fsanitize=fuzzer -pthread

fuzz_obj = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))

FUZZ_LIB_SRC    := $(sort $(wildcard runtime/src/ff/*.c runtime/src/gcp/*.c) $(wildcard shared/src/*.c) \
                     $(filter-out functions/src/main.c,$(shell find functions/src -name '*.c')))
FUZZ_LIB_OBJ    := $(call fuzz_obj,$(FUZZ_LIB_SRC))
FUZZ_COMMON_OBJ := $(call fuzz_obj,fuzz/harness_util.c)
# fuzz_token compiles auth_keys.c into keys_access.c (to reach its static parsers and caches).
FUZZ_EXTRA_fuzz_token := $(call fuzz_obj,fuzz/keys_access.c)
FUZZ_DROP_fuzz_token  := $(call fuzz_obj,runtime/src/gcp/auth_keys.c)

.PHONY: fuzz fuzz-build

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

define fuzz_rule
$(BUILD)/fuzz/$(1): $(call fuzz_obj,fuzz/$(1).c) $(FUZZ_COMMON_OBJ) $(FUZZ_EXTRA_$(1)) \
                    $(filter-out $(FUZZ_DROP_$(1)),$(FUZZ_LIB_OBJ))
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $$^ $(FUZZ_PKG_LIBS) -lm -o $$@
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call fuzz_rule,$(h))))

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ_HARNESSES)) ## build the libFuzzer harnesses (clang) into build/fuzz/

fuzz: fuzz-build ## run each libFuzzer harness for FUZZ_SECONDS (30) on a copy of its corpus
	@fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
