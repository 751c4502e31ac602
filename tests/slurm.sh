#!/usr/bin/env bash
# A real Slurm test: a one-node Slurm cluster on this machine (Debian packages, no
# systemd), the baseline run as a job array of 4 shards whose index and count come from
# SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, merged, and compared with one run of all
# the replications: every output byte-identical, the manifest once `execution` is dropped.
# The shards, `merge` and `verify` use the README's exact paths (output/shards/shard-N,
# output/shards/shard-*, output/baseline-20230908), in a scratch folder that links the
# repository's scenarios/.
#
# Needs root (it installs packages and starts munged, slurmctld and slurmd); stops every
# daemon it started on exit. Usage: bash tests/slurm.sh  (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPS=2000
SHARDS=4

log() { echo "slurm.sh: $*" >&2; }
fail() { log "FAILED: $*"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (installs and starts Slurm)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/policysim

WORK=$(mktemp -d /tmp/policysim-slurm.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'fail "command failed at line $LINENO"' ERR

# --- munge: reuse a working munged, else start our own --------------------------------
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        install -d -o munge -g munge -m 700 /etc/munge
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
    MUNGE_PID=/run/munge/policysim-test-munged.pid
    rm -f "$MUNGE_PID"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID"
    for _ in $(seq 50); do [ -s "$MUNGE_PID" ] && break; sleep 0.1; done
    [ -s "$MUNGE_PID" ] || fail "munged did not start"
    PIDS+=("$(cat "$MUNGE_PID")")
    munge -n | unmunge >/dev/null || fail "munged does not answer"
fi

# --- a one-node cluster -----------------------------------------------------------------
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/log" "$WORK/run"
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=policysim-test
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
# Daemons run in the foreground (-D) in the background of this shell, so their pids are ours.
slurmctld -D -i -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=("$!")
slurmd -D -N localhost -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=("$!")

state=""
for _ in $(seq 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    tail -20 "$WORK"/log/* >&2 || true
    fail "the node did not become idle (state: '${state:-none}')"
fi
log "cluster up: $(sinfo -h -o '%P %D %T')"

# --- the array job ----------------------------------------------------------------------
# The job runs in $WORK/run as a user's would in a checkout: scenarios/ is the repository's.
RUN=$WORK/run
ln -s "$ROOT/scenarios" "$RUN/scenarios"
cat >"$WORK/shards.sbatch" <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=policysim-shards
#SBATCH --output=$RUN/slurm-%A_%a.out
#SBATCH --cpus-per-task=1
# The shard index and count come from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT.
exec "$BIN" run scenarios/baseline.toml --reps $REPS --quiet --out "output/shards/shard-\$SLURM_ARRAY_TASK_ID"
JOB
if ! sbatch --wait --array=0-$((SHARDS - 1)) --chdir="$RUN" "$WORK/shards.sbatch" >&2; then
    cat "$RUN"/slurm-*.out >&2 || true
    fail "the array job failed"
fi
cd "$RUN"
for k in $(seq 0 $((SHARDS - 1))); do
    [ -f "output/shards/shard-$k/manifest.json" ] || fail "shard $k wrote no manifest"
    python3 - "output/shards/shard-$k/manifest.json" "$k" "$SHARDS" <<'PY' || fail "shard $k has the wrong shard"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["shard"] == {"index": int(sys.argv[2]), "count": int(sys.argv[3])}, m["shard"]
PY
done

# The README's commands, verbatim but for --quiet.
"$BIN" merge --quiet output/shards/shard-*
"$BIN" verify --quiet output/baseline-20230908 >&2 || fail "verify of the merged folder failed"
OUT=$RUN/output
mv "$OUT/baseline-20230908" "$OUT/merged"
env -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_COUNT \
    "$BIN" run scenarios/baseline.toml --reps $REPS --quiet --out "$OUT/single"

for f in "$OUT"/single/*; do
    name=$(basename "$f")
    [ "$name" = manifest.json ] && continue
    cmp -s "$f" "$OUT/merged/$name" || fail "$name differs between the merged shards and one run"
done
python3 - "$OUT/single/manifest.json" "$OUT/merged/manifest.json" <<'PY' || fail "manifests differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
ea, eb = a.pop("execution"), b.pop("execution")
assert a == b, [k for k in a if a.get(k) != b.get(k)]
assert ea["events"] == eb["events"], (ea["events"], eb["events"])
PY
log "merged $SHARDS Slurm array shards == one run of $REPS replications"
echo "1 passed, 0 failed"
