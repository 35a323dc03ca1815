# The guest demo page (web/, bundled with esbuild from the pinned npm packages) and its
# real-browser test (tests/browser/, headless Chromium from Debian driven by puppeteer-core).
#   make               also builds $(BUILD)/web (the page served by `make run`)
#   make test-browser  the guest flow in Chromium against the local stack on free ports
WEB_OUT := $(BUILD)/web

all: $(WEB_OUT)/app.js $(WEB_OUT)/index.html

# esbuild resolves firebase from tools/node_modules (the one lockfile).
$(WEB_OUT)/app.js: $(wildcard web/src/*.js) tools/package-lock.json
	@test -x tools/node_modules/.bin/esbuild || scripts/deps.sh
	@mkdir -p $(dir $@)
	NODE_PATH=tools/node_modules tools/node_modules/.bin/esbuild web/src/main.js --bundle --minify \
	    --format=iife --target=es2020 --log-level=warning --outfile=$@

$(WEB_OUT)/index.html: web/index.html
	@mkdir -p $(dir $@)
	cp $< $@

.PHONY: test-browser
test-browser: deps all ## the guest flow in headless Chromium against the local stack (timings printed, screenshot in build/)
	@BUILD=$(BUILD) node tests/browser/guest_flow.js

TEST_EXTRA += test-browser
