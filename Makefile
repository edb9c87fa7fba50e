# The entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# each installs what it needs first (make deps).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
# Paths relative to the checkout, so that ccache hits across clones (CI builds a fresh one).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build test stress fuzz tsan asan bench demo clean format

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Unit, integration and fuzz-smoke tests; slow stress tests are kept for `make stress`.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow $(CTEST_FLAGS)

stress: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L slow $(CTEST_FLAGS)

fuzz: deps
	@scripts/run-fuzz 300

# The multi-threaded unit and socket tests under ThreadSanitizer, and under AddressSanitizer
# with UndefinedBehaviorSanitizer (neither part of `make test`).
tsan: deps
	@scripts/run-tsan

asan: deps
	@scripts/run-asan

bench: build
	@scripts/bench

demo: build
	@scripts/demo

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
