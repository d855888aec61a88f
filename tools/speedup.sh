#!/usr/bin/env bash
# Measures the whole-process speed-up of HEAD over a base revision on the reference workload
# (README, "Speed and memory"). Not part of the test suite: it is a measurement.
#
#   tools/speedup.sh [BASE_REV]
#
# 1. builds BASE_REV (default: the main commit below) in a temporary git worktree with its own
#    target dir, and HEAD (this checkout, `cargo build --release`);
# 2. runs `coldsim scenario scenarios/reference.toml --replications 1 --format json` with
#    RAYON_NUM_THREADS=1, base and HEAD alternately, RUNS times each (default 7), prints the
#    median wall times, their ratio and millions of invocations per second, and checks that
#    the two JSON outputs are byte-identical;
# 3. times HEAD on `--replications 4` with 2 threads against 1 thread (alternately, RUNS
#    times each) and prints the ratio (the goal is >= 1.8).
#
# Environment: RUNS (default 7); BASE_TARGET_DIR to reuse a target dir for the base build
# (default: a fresh one in the temporary directory, so the first build compiles every
# dependency); CARGO_TARGET_DIR is honoured for HEAD. The temporary worktree and its target
# dir are removed on exit, also on failure or interrupt. Wall times are those of a shared
# machine if others use it: compare ratios from the same run only.
set -euo pipefail

DEFAULT_BASE=ee09781
BASE_REV=${1:-$DEFAULT_BASE}
RUNS=${RUNS:-7}
SCENARIO=scenarios/reference.toml

ROOT=$(git rev-parse --show-toplevel)
cd "$ROOT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/coldsim-speedup.XXXXXX")
WT="$TMP/base"
cleanup() {
    git -C "$ROOT" worktree remove --force "$WT" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "base: $BASE_REV ($(git rev-parse --short "$BASE_REV")), head: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' + uncommitted changes')"
git worktree add --detach --quiet "$WT" "$BASE_REV"

echo "building base in $WT ..."
(cd "$WT" && CARGO_TARGET_DIR="${BASE_TARGET_DIR:-$WT/target}" cargo build --release --quiet)
BASE_BIN="${BASE_TARGET_DIR:-$WT/target}/release/coldsim"
echo "building head ..."
cargo build --release --quiet
HEAD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/coldsim"
# Copies, so that a later build of either tree cannot change a binary being timed.
cp "$BASE_BIN" "$TMP/coldsim-base"
cp "$HEAD_BIN" "$TMP/coldsim-head"

# Wall time of one run of the given command, in seconds (stdout to $OUT).
wall() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >"$OUT"
    t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.4f\n", ns / 1e9}'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# alternate REPLICATIONS NAME_A THREADS_A BINARY_A NAME_B THREADS_B BINARY_B: RUNS alternating
# runs of the reference workload; wall times to $TMP/NAME.times, the JSON to $TMP/NAME.json.
alternate() {
    local reps=$1 names=("$2" "$5") threads=("$3" "$6") bins=("$4" "$7") i k
    : >"$TMP/$2.times"
    : >"$TMP/$5.times"
    for i in $(seq "$RUNS"); do
        for k in 0 1; do
            OUT="$TMP/${names[k]}.json" wall env RAYON_NUM_THREADS="${threads[k]}" "${bins[k]}" \
                scenario "$SCENARIO" --replications "$reps" --format json >>"$TMP/${names[k]}.times"
        done
    done
}

alternate 1 base 1 "$TMP/coldsim-base" head 1 "$TMP/coldsim-head"

if cmp -s "$TMP/base.json" "$TMP/head.json"; then
    IDENTICAL=yes
else
    IDENTICAL=NO
fi
INVOCATIONS=$(grep -o '"invocations": [0-9]*' "$TMP/head.json" | tail -n 1 | awk '{print $2}')
BASE_MED=$(median <"$TMP/base.times")
HEAD_MED=$(median <"$TMP/head.times")

echo
echo "reference workload, one replication, RAYON_NUM_THREADS=1, $RUNS alternating runs each"
echo "  machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
echo "  base $BASE_REV: median $BASE_MED s   ($(tr '\n' ' ' <"$TMP/base.times"))"
echo "  head:          median $HEAD_MED s   ($(tr '\n' ' ' <"$TMP/head.times"))"
awk -v b="$BASE_MED" -v h="$HEAD_MED" -v n="$INVOCATIONS" 'BEGIN {
    printf "  speed-up: %.2fx   (%.2f -> %.2f M invocations/s, %d invocations)\n", b / h, n / b / 1e6, n / h / 1e6, n
}'
echo "  JSON byte-identical: $IDENTICAL"

alternate 4 one 1 "$TMP/coldsim-head" two 2 "$TMP/coldsim-head"
ONE_MED=$(median <"$TMP/one.times")
TWO_MED=$(median <"$TMP/two.times")
cmp -s "$TMP/one.json" "$TMP/two.json" && THREADS_IDENTICAL=yes || THREADS_IDENTICAL=NO
echo
echo "head, --replications 4, $RUNS alternating runs each"
echo "  1 thread:  median $ONE_MED s"
echo "  2 threads: median $TWO_MED s"
awk -v a="$ONE_MED" -v b="$TWO_MED" 'BEGIN {
    r = a / b
    printf "  2 threads / 1 thread: %.2fx (goal >= 1.8: %s)\n", r, (r >= 1.8) ? "met" : "NOT met"
}'
echo "  JSON identical across thread counts: $THREADS_IDENTICAL"
[ "$IDENTICAL" = yes ] && [ "$THREADS_IDENTICAL" = yes ]
