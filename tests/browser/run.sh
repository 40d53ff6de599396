#!/bin/sh
# The browser suite, as scripts/check runs it: installs playwright-core and
# axe-core from npm into node_modules/ if either is missing (never a
# browser: Debian's /usr/bin/chromium is used), then runs run.mjs (the web
# access), dav.mjs (CalDAV into the agenda) and a11y.mjs (axe-core on every
# page, light and dark), each ending with "RESULT N passed, M failed", and
# ends with one RESULT line that sums them.
cd "$(dirname "$0")" || exit 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/playwright-core/package.json ] || [ ! -f node_modules/axe-core/axe.min.js ]; then
	if ! npm ci --no-audit --no-fund >&2 && ! npm install --no-audit --no-fund >&2; then
		echo "FAIL: npm could not install playwright-core and axe-core"
		echo "RESULT 0 passed, 1 failed"
		exit 1
	fi
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "FAIL: no chromium at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps check)"
	echo "RESULT 0 passed, 1 failed"
	exit 1
fi
passed=0
failed=0
for script in run.mjs dav.mjs a11y.mjs; do
	out=$(node "$script")
	code=$?
	printf '%s\n' "$out" | grep -v '^RESULT '
	line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
	p=$(printf '%s' "$line" | sed -n 's/^RESULT \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/^RESULT \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ] || [ -z "$f" ]; then
		echo "FAIL: $script ended without a RESULT line (exit $code)"
		p=0
		f=1
	elif [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $script exited $code"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
