# mk/help.mk - `make help`: every target that carries a `## text` comment on its rule line,
# in the root Makefile, fuzz/fuzz.mk and mk/*.mk, one line each, in file order:
#   target: prerequisites ## what it does, in one line
# A target without such a comment is internal and not listed. README.md's "Make targets"
# table holds the same lines (`make help HELP_FORMAT=md` prints them as table rows);
# tests/help/check.sh fails when the two differ.

HELP_FORMAT ?= text

.PHONY: help
help: ## list the make targets, one line each
	@awk -v format=$(HELP_FORMAT) ' \
	    /^[A-Za-z0-9][A-Za-z0-9_.-]*:([^=]|$$).*## / { \
	        t = $$0; sub(/:.*/, "", t); d = $$0; sub(/^[^#]*## /, "", d); \
	        if (seen[t]++) next; \
	        if (format == "md") printf "| `make %s` | %s |\n", t, d; \
	        else printf "  %-15s %s\n", t, d; \
	    }' $(filter-out %.d,$(MAKEFILE_LIST))
