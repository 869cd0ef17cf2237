#!/usr/bin/env bash
# The generated bash completion script, the way bash uses it: sourced into a clean shell, then
# _llmperforacle called with COMP_WORDS/COMP_CWORD set as bash sets them on <TAB>, and COMPREPLY
# checked. Usage: test_completion.sh BINARY COMPLETION_SCRIPT (the build's post-build output).
set -euo pipefail
binary=$1
script=$2

bash -n "$script"
# The post-build step wrote what the binary generates now.
diff <("$binary" completion bash) "$script"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/exp/sub"
touch "$work/exp/a.yaml" "$work/exp/b.yml" "$work/exp/notes.txt"
ln -s "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")" "$work/llmperforacle"

# A clean shell (no rc files, no bash-completion package): only the script under test is loaded.
# `llmperforacle` resolves through PATH, as for an installed binary.
PATH="$work:$PATH" bash --norc -s -- "$script" "$work" <<'BODY'
set -u
source "$1"
cd "$2/exp"
failures=0

# complete LINE: COMPREPLY for LINE typed up to the cursor (a trailing space starts a new word),
# split into words as bash would with the default COMP_WORDBREAKS (which holds '=').
complete_line() {
  local line=$1
  local spaced=${line//=/ = }
  read -ra COMP_WORDS <<<"$spaced"
  [[ $line == *' ' || $line == *'=' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  _llmperforacle
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# expect LINE WANT: the sorted replies, space-separated, equal WANT.
expect() {
  local got
  got=$(complete_line "$1")
  if [[ $got == "$2" ]]; then echo "ok   '$1' -> $got"
  else echo "FAIL '$1': got '$got', want '$2'"; failures=$((failures + 1)); fi
}

# expect_has LINE WORD: WORD is among the replies.
expect_has() {
  local got
  got=$(complete_line "$1")
  if [[ " $got " == *" $2 "* ]]; then echo "ok   '$1' has $2"
  else echo "FAIL '$1': '$2' not in '$got'"; failures=$((failures + 1)); fi
}

expect 'llmperforacle ru' 'run'
expect 'llmperforacle co' 'compare completion'
expect 'llmperforacle --ver' '--verbose --version'
# Global options before the command: the command and its options complete after them.
expect 'llmperforacle --verbose ru' 'run'
expect 'llmperforacle --quiet run experiment.yaml --res' '--restart --resume'
expect 'llmperforacle -v --quiet help me' 'memory merge'
expect 'llmperforacle help me' 'memory merge'
expect 'llmperforacle bench --che' '--check-oom'
expect 'llmperforacle bench --model Llama3-8B --concurrency 1 2 --che' '--check-oom'
expect 'llmperforacle run experiment.yaml --res' '--restart --resume'
expect_has 'llmperforacle memory --gpu H1' 'H100-SXM'
# Typed as a path (build/bin/llmperforacle): the ids come from that binary.
expect_has "$2/llmperforacle memory --gpu H1" 'H100-SXM'
expect_has 'llmperforacle recommend --model Llama3-70B --gpu H100-SXM A1' 'A100-80GB-SXM'
expect_has 'llmperforacle memory --model Llama3-' 'Llama3-70B'
expect 'llmperforacle compare --format ' 'csv json table'
expect 'llmperforacle compare --format=' 'csv json table'
expect 'llmperforacle compare a.csv --format=j' 'json'
expect 'llmperforacle replay --framework ' 'static vllm'
expect 'llmperforacle list ' 'gpus interconnects models quantizations'
expect 'llmperforacle list models --format c' 'csv'
expect_has 'llmperforacle roofline --quantization ' 'awq'
expect 'llmperforacle roofline --accounting ' 'corrected seed'
expect 'llmperforacle completion ' 'bash'
# Experiment files: *.yaml, *.yml and folders; any file for --trace; folders for --out.
expect 'llmperforacle run ' 'a.yaml b.yml sub'
expect 'llmperforacle validate a' 'a.yaml'
expect 'llmperforacle perf --trace n' 'notes.txt'
expect 'llmperforacle run a.yaml --out ' 'sub'
# A number has no completion; nor does a second FILE.
expect 'llmperforacle run a.yaml --jobs ' ''
expect 'llmperforacle nosuchcommand --' ''

echo "$failures failure(s)"
exit $((failures > 0))
BODY
