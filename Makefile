# A thin wrapper around Meson for newcomers. Everything real is in
# meson.build and scripts/.
#
#   make demo      install dependencies, build, run a demo server in ./demo
#   make check     install dependencies, build with ASan+UBSan, run every test
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make deb       build the Debian package into build-deb/ (and run lintian)
#   make fuzz      build the libFuzzer targets (clang) into build-fuzz
#   make bench     run the benchmarks side by side with Dovecot (slow)

PREFIX ?= /usr/local
DESTDIR ?=
MESON_FLAGS ?=

.PHONY: all build demo check check-slow install deb fuzz bench clean deps

all: build

deps:
	@scripts/install-deps build

build: deps
	@test -f build/build.ninja || meson setup build $(MESON_FLAGS)
	ninja -C build

demo:
	@scripts/install-deps demo
	@test -f build/build.ninja || meson setup build $(MESON_FLAGS)
	ninja -C build
	scripts/demo

check:
	@scripts/install-deps check
	@test -f build-asan/build.ninja || \
		CC=gcc meson setup build-asan -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debug $(MESON_FLAGS)
	ninja -C build-asan
	@test -f build-fuzz/build.ninja || \
		CC=clang meson setup build-fuzz -Dfuzzing=true -Dtests=false \
			-Db_lundef=false -Dwerror=false $(MESON_FLAGS)
	ninja -C build-fuzz
	scripts/check

check-slow:
	@scripts/install-deps check
	ninja -C build-asan
	INFOSTORE_SLOW=1 scripts/check

install:
	@scripts/install-deps build
	@test -f build-release/build.ninja || \
		meson setup build-release --prefix=$(PREFIX) -Dbuildtype=release -Dtests=false
	meson configure build-release --prefix=$(PREFIX) >/dev/null
	ninja -C build-release
	DESTDIR=$(DESTDIR) meson install -C build-release --no-rebuild

deb:
	@scripts/install-deps deb
	scripts/deb

fuzz:
	@scripts/install-deps check
	@test -f build-fuzz/build.ninja || \
		CC=clang meson setup build-fuzz -Dfuzzing=true -Dtests=false \
			-Db_lundef=false -Dwerror=false
	ninja -C build-fuzz

bench:
	@scripts/install-deps bench
	@test -f build-release/build.ninja || \
		meson setup build-release -Dbuildtype=release -Dtests=false
	ninja -C build-release
	bench/run-all

clean:
	rm -rf build build-asan build-fuzz build-release build-deb
