#!/usr/bin/env bash
# Opens a run's, a comparison's and a backtest's report.html in headless Chromium, offline,
# and checks that every chart rendered and that the page raised no script error.
#
#   tests/browser_report.sh            # from the repository root; installs chromium and
#                                      # fonts-noto-cjk with apt-get if they are missing
#
# Leaves the screenshots in $OUT (default: a temp dir, printed) for a look at the
# charts and the Chinese labels. Exit 0 when every page passes, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="${OUT:-$(mktemp -d /tmp/policysim-browser.XXXXXX)}"
mkdir -p "$OUT"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-./target}/release/policysim
$BIN run scenarios/baseline.toml --reps 500 --out "$OUT/run" --force --quiet
$BIN compare scenarios/baseline.toml scenarios/no_policy.toml scenarios/strong_attraction.toml \
    --reps 300 --out "$OUT/compare" --force --quiet
$BIN backtest scenarios/baseline.toml --actuals actuals/example --reps 300 \
    --out "$OUT/backtest" --force --quiet >/dev/null

chrome() {
    # No network, no first-run or background traffic: the page must stand on its own.
    timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$(mktemp -d)" "$@" 2>>"$OUT/chromium.log"
}

passed=0
failed=0
check_page() { # name, html, expected charts
    local name=$1 html=$2 want=$3 ok=1
    local png="$OUT/$name.png" dom="$OUT/$name.dom.html"
    chrome --screenshot="$png" --window-size=1400,4000 "file://$html" >/dev/null || true
    chrome --dump-dom --virtual-time-budget=5000 "file://$html" >"$dom" || true
    if [ ! -s "$png" ]; then
        echo "FAIL $name: no screenshot"; ok=0
    fi
    local title svgs figures
    title=$(grep -o '<title>[^<]*</title>' "$dom" | head -1 | sed 's/<[^>]*>//g')
    svgs=$(grep -o '<svg' "$dom" | wc -l)
    figures=$(grep -o '<figure class="chart">' "$dom" | wc -l)
    if [ "$title" != "ok" ]; then
        echo "FAIL $name: page title is '$title' (the page's own check sets 'ok')"; ok=0
    fi
    if [ "$svgs" -ne "$want" ] || [ "$figures" -ne "$want" ]; then
        echo "FAIL $name: $svgs svg / $figures charts, expected $want"; ok=0
    fi
    # No error text outside the scripts (the scripts themselves name their checks).
    if sed '/<script/,/<\/script>/d' "$dom" | grep -qi 'error\|could not be drawn'; then
        echo "FAIL $name: the page shows an error"; ok=0
    fi
    if [ $ok -eq 1 ]; then
        echo "ok   $name: $svgs charts, title '$title', screenshot $png"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}

# Run report: fan chart, histogram, instruments, targets, and the tornado of outlay.total
# over the parameters (the baseline draws some once per replication). Comparison: the fan chart, then
# per pair an outlay-difference chart and, when some target's probability changed, a
# target-change chart (no_policy changes none; strong_attraction moves firms).
check_page run "$OUT/run/report.html" 5
check_page compare "$OUT/compare/report.html" 4
# Backtest: one strip per observation of actuals/example/observations.csv.
check_page backtest "$OUT/backtest/report.html" "$(($(wc -l <actuals/example/observations.csv) - 1))"

echo "$passed passed, $failed failed (screenshots in $OUT)"
[ "$failed" -eq 0 ]
