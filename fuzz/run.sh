#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/README.md).
#
#   bash fuzz/run.sh [--runs N | --seconds N] [TARGET...]     (default: --runs 10000, all three)
#
# --runs N (what .ci/run does): each target starts from the committed seeds only
# (fuzz/seeds/scenario/; for `loader` the shipped scenarios), with a fixed -seed= and a
# fixed number of inputs; every seed runs every time (the mutations after them can still
# differ a little between runs, see fuzz/README.md). --seconds N searches for that long
# from fuzz/corpus/TARGET (kept between runs, not committed) and the seeds: for finding
# new things locally, not for CI.
#
# Exits non-zero on the first crash, leak, timeout or out-of-memory, after printing the
# input (for `scenario`, the scenario file it wrote); the input stays in
# fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=runs
amount=10000
case ${1:-} in
    --runs) amount=$2; shift 2 ;;
    --seconds) mode=seconds; amount=$2; shift 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario loader actuals)

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
limits=(-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024)

# Prints a failing input so that a CI log alone tells what broke.
show() {
    local target=$1 artifact
    artifact=$(ls -t "fuzz/artifacts/$target"/* 2>/dev/null | head -n 1) || true
    [ -n "$artifact" ] || return 0
    echo "fuzz: $target failed on $artifact; the input:" >&2
    if [ "$target" = scenario ]; then
        # Replayed, the target prints the scenario file before it fails again.
        FUZZ_SHOW_SCENARIO=1 cargo +nightly fuzz run scenario "$artifact" -- -runs=1 >&2 || true
    else
        cat -v "$artifact" >&2
        echo >&2
    fi
}

for target in "${targets[@]}"; do
    seeds=()
    [ -d "fuzz/seeds/$target" ] && seeds+=("fuzz/seeds/$target")
    extra=()
    # The shipped scenarios seed the byte-level target too; they are read, never written.
    [ "$target" = loader ] && seeds+=(scenarios tests/scenarios) && extra=(-dict=fuzz/loader.dict -max_len=65536)
    [ "$target" = actuals ] && extra=(-dict=fuzz/actuals.dict -max_len=16384)
    if [ "$mode" = runs ]; then
        # New inputs go to a fresh folder; the seeds are only read.
        corpus=$(mktemp -d)
        run=(-seed=1 -runs="$amount")
        # CI builds without AddressSanitizer: what the targets check (panics, hangs,
        # memory, refusals, finite outputs) needs none, and the sanitizer's build is most
        # of the fuzz step's time. The open-ended search (--seconds) keeps it.
        build=(--sanitizer none)
    else
        corpus=fuzz/corpus/$target
        mkdir -p "$corpus"
        build=()
        run=(-max_total_time="$amount")
    fi
    echo "fuzz: $target, $mode $amount"
    if ! cargo +nightly fuzz run "${build[@]}" "$target" "$corpus" "${seeds[@]}" -- \
        "${limits[@]}" "${run[@]}" "${extra[@]}" -print_final_stats=1; then
        show "$target"
        exit 1
    fi
    # An `if`, not `&&`: as the loop's last command a false test would be the script's
    # exit status, and an open-ended search that found nothing would exit 1.
    if [ "$mode" = runs ]; then rm -rf "$corpus"; fi
done
