#!/usr/bin/env bash
# The two set-up commands of the README, on a fresh Debian 12 machine:
#   ./dev.sh run    install what is missing, build, run the main job on its default experiment
#   ./dev.sh test   install what is missing, build, run the whole test suite
#   ./dev.sh sanitize          the test suite under AddressSanitizer + UBSan (build-asan/)
#   ./dev.sh fuzz [seconds]    the libFuzzer targets of tests/fuzz: their corpus, then N s each
# Both are idempotent: installed packages and an up-to-date build are left alone.
set -euo pipefail
cd "$(dirname "$0")"

# Set-up in layers: `run` installs what building and running need; `test` adds what the tests
# need; the hardening builds add clang.
RUN_PACKAGES=(build-essential cmake ninja-build pkg-config libyaml-cpp-dev nlohmann-json3-dev
              libspdlog-dev libfmt-dev libeigen3-dev)
# catch2: the test framework; OpenMPI: `mpirun -np N llmperforacle run` (optional in the build,
# tested); nodejs/npm: the report's chart libraries; chromium: headless renders of the report;
# groff-base (groff, nroff; 1 MB): the man page is checked with groff -ww; dpkg-dev: the .deb of
# the install test (dpkg-shlibdeps).
TEST_PACKAGES=(catch2 libopenmpi-dev openmpi-bin nodejs chromium groff-base dpkg-dev)
# npm: Debian's package, unless the installed Node.js brings its own (NodeSource's does).
command -v npm >/dev/null 2>&1 || TEST_PACKAGES+=(npm)
# libclang-rt-14-dev (libFuzzer, the sanitizer runtimes) is only recommended by clang, and
# recommendations are not installed.
HARDENING_PACKAGES=(clang libclang-rt-14-dev)
BUILD_DIR=${LLMPO_BUILD_DIR:-build}

install_missing() {  # PACKAGE...
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The charting libraries `llmperforacle report` inlines, at the versions package-lock.json pins:
# installed when node_modules is missing or older than the lockfile.
report_libraries() {
  local dir=simulator/report
  [ -d "$dir/node_modules" ] && [ "$dir/node_modules" -nt "$dir/package-lock.json" ] && return 0
  npm ci --prefix "$dir" --no-audit --no-fund
  touch "$dir/node_modules"
}

# build ON|OFF: the Release build, with or without the test suite. A folder configured before
# OpenMPI was installed is configured afresh, so that MPI is found (objects are kept).
build() {
  local tests=$1
  if [ "$tests" = ON ] && grep -qs "^LLMPO_WITH_MPI_BUILD:INTERNAL=OFF" "$BUILD_DIR/CMakeCache.txt"; then
    rm -f "$BUILD_DIR/CMakeCache.txt"
  fi
  if [ ! -f "$BUILD_DIR/build.ninja" ] || ! grep -qs "^LLMPO_BUILD_TESTS:BOOL=$tests" "$BUILD_DIR/CMakeCache.txt"; then
    # shellcheck disable=SC2086  # LLMPO_CMAKE_ARGS: extra settings, e.g. CI's -DLLMPO_WERROR=ON
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMPO_BUILD_TESTS="$tests" ${LLMPO_CMAKE_ARGS:-}
  fi
  cmake --build "$BUILD_DIR" --parallel "$(nproc)"
}

# The hardening builds live in their own folders with fixed settings, so they never disturb the
# Release build above: configure_in DIR COMPILER CMAKE_ARGS... configures a folder once. A folder
# configured with another compiler (the sanitizer build used g++ before) is started afresh: CMake
# cannot switch compilers in place.
configure_in() {
  local dir=$1 compiler=$2
  shift 2
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -qs "^CMAKE_CXX_COMPILER:[A-Z]*=\(.*/\)\?$compiler\$" "$dir/CMakeCache.txt"; then
    echo "$dir was configured with another compiler: configuring it afresh with $compiler"
    rm -rf "$dir"
  fi
  [ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" "$@"
}
# Debug: all checks; -O1: fast; -g1: line tables, enough for stacks, 25% faster build.
HARDENED_FLAGS=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" -DLLMPO_LTO=OFF)

# Stop at the first report with a symbolised stack; leaks count as failures. Exported for the
# test binary and the llmperforacle processes the CLI tests start.
sanitizer_options() {
  export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
}

case "${1:-}" in
  run)
    install_missing "${RUN_PACKAGES[@]}"
    # A folder already set up for the tests keeps them; a fresh one builds the program alone.
    tests=OFF
    dpkg-query -W -f='${Status}' catch2 2>/dev/null | grep -q "install ok installed" && tests=ON
    build "$tests"
    "$BUILD_DIR/bin/llmperforacle" run experiments/quickstart.yaml --out results/quickstart
    ;;
  test)
    install_missing "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    report_libraries
    build ON
    ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
    ;;
  sanitize)
    install_missing "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${HARDENING_PACKAGES[@]}"
    report_libraries  # the report tests inline them
    # clang, like the fuzz build: its instrumented objects are a third smaller than g++'s, built a
    # third faster, and a test process starts in half the time (g++'s UBSan data needs ~4 million
    # relocations at every start of the test binary).
    configure_in build-asan clang++ -DLLMPO_SANITIZE=ON "${HARDENED_FLAGS[@]}"
    cmake --build build-asan --parallel "$(nproc)"
    sanitizer_options
    ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)"
    ;;
  fuzz)
    install_missing "${RUN_PACKAGES[@]}" "${HARDENING_PACKAGES[@]}"
    # Only the fuzz targets and the libraries they link: the tests are not needed here.
    configure_in build-fuzz clang++ -DLLMPO_FUZZ=ON -DLLMPO_BUILD_TESTS=OFF \
      "${HARDENED_FLAGS[@]}"
    cmake --build build-fuzz --parallel "$(nproc)" --target llmpo_fuzz
    sanitizer_options
    tests/fuzz/run_fuzzers.sh build-fuzz/bin "${2:-60}"
    ;;
  *)
    echo "usage: ./dev.sh run | test | sanitize | fuzz [seconds]" >&2
    exit 2
    ;;
esac
