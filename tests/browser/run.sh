#!/bin/sh
# The browser suite, as scripts/check runs it: installs playwright-core from
# npm into node_modules/ if it is missing (never a browser: Debian's
# /usr/bin/chromium is used), then runs run.mjs, which ends with
# "RESULT N passed, M failed".
cd "$(dirname "$0")" || exit 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/playwright-core/package.json ]; then
	if ! npm ci --no-audit --no-fund >&2 && ! npm install --no-audit --no-fund >&2; then
		echo "FAIL: npm could not install playwright-core"
		echo "RESULT 0 passed, 1 failed"
		exit 1
	fi
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "FAIL: no chromium at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps check)"
	echo "RESULT 0 passed, 1 failed"
	exit 1
fi
exec node run.mjs
