#!/bin/bash
# Row files as CSV and as Parquet (docs/performance.md): a baseline run of $1
# replications in each format (sizes, wall and CPU time, the Parquet phase from the files'
# birth and modification times), then the load of outlay.total by polars, pandas, DuckDB.
# Usage: benches/row_formats.sh 100000 (a release build; OUT=folder for the two run
# folders, default /tmp, removed first and left behind; POLICYSIM=binary; PYTHON=a
# python3 with polars, pandas, pyarrow and duckdb). On a shared machine, run it under the
# heavy-job lock.
set -u
n=$1
cd "$(dirname "$0")/.."
B=${POLICYSIM:-target/release/policysim}
PY=${PYTHON:-python3}
log() { echo "$(date -u +%H:%M:%S) $*"; }
for fmt in csv parquet; do
  out=${OUT:-/tmp}/rows-$fmt-$n
  rm -rf $out
  log "run $n $fmt load: $(cat /proc/loadavg)"
  /usr/bin/time -f "TIME $n $fmt: %e s wall, %U s user, %S s sys, %M kB max RSS" \
    $B run scenarios/baseline.toml --reps $n --threads 2 --quiet --rows $fmt --out $out
  log "done $n $fmt load: $(cat /proc/loadavg)"
  ls -l $out | grep -E "replications|series|parameters"
  for f in $out/*.parquet; do [ -e "$f" ] && echo "STAT $f birth $(stat -c %.9W $f) modified $(stat -c %.9Y $f)"; done
done
for fmt in csv parquet; do
  for lib in polars pandas duckdb; do
    $PY benches/load_outlay.py $lib ${OUT:-/tmp}/rows-$fmt-$n/replications.$fmt
  done
done
cmp ${OUT:-/tmp}/rows-csv-$n/summary.csv ${OUT:-/tmp}/rows-parquet-$n/summary.csv && echo "summary.csv identical at $n"
log "set $n finished load: $(cat /proc/loadavg)"
