# mk/docs.mk - the checks of what the repository says about itself, run by `make test`:
#   check-help    every subcommand and script answers --help; README matches `make help`;
#                 every link and path named in the docs exists (tests/help/check.sh)
#   check-layers  runtime/src/ff includes nothing of gcp/curl/libjwt, functions/ only the
#                 runtime's public headers (scripts/check-layers.sh)
# and the bench build: its objects are kept (not deleted as intermediates), coldstart
# built here.

.PHONY: check-help check-layers
check-help: all ## every subcommand and script answers --help; README targets and links resolve
	@tests/help/check.sh

check-layers: ## the layering: the framework includes no Google Cloud code, functions/ only public headers
	@scripts/check-layers.sh

TEST_EXTRA += check-help check-layers

.SECONDARY: $(call obj,$(wildcard bench/*.c))
bench: $(BUILD)/bench/coldstart
