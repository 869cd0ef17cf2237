#!/usr/bin/env bash
# The installed program is whole: `cmake --install` into a temporary prefix (and the Debian
# package from `cpack -G DEB`, unpacked) runs an example experiment and reports on it from
# another folder, reading its data from PREFIX/share/llmperforacle and not from the checkout.
# usage: install_test.sh CMAKE CPACK BUILD_DIR
set -euo pipefail
cmake=$1 cpack=$2 build=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LLMPERFORACLE_HOME

check_prefix() {  # PREFIX: the installed tree under test
  local prefix=$1 bin=$1/bin/llmperforacle share=$1/share/llmperforacle
  test -x "$bin"
  test -f "$share/models/library/llama3-70b.yaml"
  test -f "$share/experiments/traces/SOURCES.md"
  # A GPU only the installed copy has: listing it proves the binary reads its own share folder.
  sed -e 's/^id: H100-SXM$/id: Installed-Probe-GPU/' -e 's/^aliases:.*$/aliases: []/' -e 's/^family_names:.*$/family_names: []/' -e 's/^name: .*$/name: Installed Probe GPU/' \
    "$share/hardware/gpus/h100-sxm.yaml" > "$share/hardware/gpus/zz-probe.yaml"
  "$bin" list gpus --format csv | grep -q '^Installed-Probe-GPU,'
  rm "$share/hardware/gpus/zz-probe.yaml"
  # An example copied elsewhere, its trace path resolved beside it as in experiments/.
  local run=$work/run-$(basename "$prefix")
  mkdir -p "$run/traces"
  cp "$share/experiments/tp_sweep_llama3_70b.yaml" "$run/exp.yaml"
  cp "$share/experiments/traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv" "$run/traces/"
  (cd "$run" && "$bin" run exp.yaml --out out --quiet --set workload.num_requests=200)
  test -s "$run/out/summary.csv"
  # A build with MPI installs its plugin in PREFIX/<libdir>/llmperforacle, which the installed
  # binary loads under mpirun (it does not link libmpi): ranks of the installed binary write what
  # one process wrote. Leak checking is off for OpenMPI's own allocations in sanitizer builds, as
  # in tests/cli/test_distributed.cpp.
  # "(with MPI" also when the plugin is missing ("(with MPI, but ..."): then the find below fails.
  if [[ $("$bin" --version) == *"(with MPI"* ]]; then
    test -n "$(find "$prefix" -path '*/llmperforacle/llmperforacle-mpi.so')"
    if command -v mpirun > /dev/null; then
      (cd "$run" && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 mpirun -np 2 --oversubscribe \
        "$bin" run exp.yaml --out out-mpi --quiet --set workload.num_requests=200)
      cmp "$run/out/summary.csv" "$run/out-mpi/summary.csv"
    fi
  fi
  if [ -f "$share/simulator/report/node_modules/vega/build/vega.min.js" ]; then
    (cd / && "$bin" report "$run/out" -o "$run/report.html" --quiet)
    test -s "$run/report.html"
  fi
}

"$cmake" --install "$build" --prefix "$work/prefix" > /dev/null
check_prefix "$work/prefix"

if command -v dpkg-deb > /dev/null && command -v dpkg-shlibdeps > /dev/null; then
  (cd "$build" && "$cpack" -G DEB -B "$work/deb" > /dev/null)
  deb=$(ls "$work"/deb/*.deb)
  dpkg-deb -x "$deb" "$work/debroot"
  dpkg-deb -f "$deb" Depends | grep -q libc6  # yaml-cpp, fmt, spdlog are linked in (simulator/dependencies.cmake)
  # The plugin's libmpi is found by dpkg-shlibdeps like the binary's libraries.
  if [[ $("$work/prefix/bin/llmperforacle" --version) == *"(with MPI"* ]]; then dpkg-deb -f "$deb" Depends | grep -q libopenmpi; fi
  check_prefix "$work/debroot/usr"
  echo "install test: prefix and .deb ($(basename "$deb")) both run"
else
  echo "install test: prefix runs; dpkg-deb/dpkg-shlibdeps not installed, .deb not checked"
fi
