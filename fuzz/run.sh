#!/usr/bin/env bash
# Runs each fuzz target for a fixed time: `bash fuzz/run.sh [SECONDS] [TARGET...]`
# (default 60 s, both targets). Used by .ci/run; see fuzz/README.md. Exits non-zero on
# the first crash, leak, timeout or out-of-memory, leaving the input in
# fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario loader)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: the nightly toolchain is missing (cargo +nightly); it is on the machine image" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

# Per input: at most 20 s (a hang), 2 GB resident, 1 GB in one allocation (what a
# scenario asks the engine to allocate is part of what is checked). One replication of
# an accepted scenario takes milliseconds.
limits=(-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_total_time="$seconds")
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    case $target in
        # The shipped scenarios seed the byte-level target; they are read, never written
        # (new inputs go to the first folder, fuzz/corpus/loader).
        loader) seeds=(scenarios tests/scenarios); extra=(-dict=fuzz/loader.dict -max_len=65536) ;;
        *) seeds=(); extra=() ;;
    esac
    echo "fuzz: $target for ${seconds}s"
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" "${seeds[@]}" -- \
        "${limits[@]}" "${extra[@]}" -print_final_stats=1
done
