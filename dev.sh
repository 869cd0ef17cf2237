#!/usr/bin/env bash
# The two set-up commands of the README, on a fresh Debian 12 machine:
#   ./dev.sh run    install what is missing, build, run the main job on its default experiment
#   ./dev.sh test   install what is missing, build, run the whole test suite
# Both are idempotent: installed packages and an up-to-date build are left alone.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config libyaml-cpp-dev nlohmann-json3-dev
          libspdlog-dev libfmt-dev catch2 libeigen3-dev libopenmpi-dev openmpi-bin nodejs chromium)
# npm: Debian's package, unless the installed Node.js brings its own (NodeSource's does).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
BUILD_DIR=${LLMPO_BUILD_DIR:-build}

install_missing() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
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

build() {
  [ -f "$BUILD_DIR/build.ninja" ] || cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR" --parallel "$(nproc)"
}

case "${1:-}" in
  run)
    install_missing
    report_libraries
    build
    "$BUILD_DIR/bin/llmperforacle" run experiments/quickstart.yaml --out results/quickstart
    ;;
  test)
    install_missing
    report_libraries
    build
    ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
    ;;
  *)
    echo "usage: ./dev.sh run | test" >&2
    exit 2
    ;;
esac
