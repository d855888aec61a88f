#!/usr/bin/env bash
# Speed-up of coldsim-ray on a local Ray instance (this machine's CPUs, 2 here) over coldsim
# on one thread, on the same command; checks that both print the same bytes. Run from
# anywhere after `cargo build --release` and `pip install ./python` into target/ray-venv
# (what `cargo test --release` sets up). REPS sets the replications (default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${COLDSIM:-$PWD/target/release/coldsim}
DRIVER=${DRIVER:-$PWD/target/ray-venv/bin/coldsim-ray}
ARGS=(scenario scenarios/reference.toml --replications "${REPS:-200}" --format json)
out=$(mktemp -d)
t0=$(date +%s.%N)
RAYON_NUM_THREADS=1 "$BIN" "${ARGS[@]}" > "$out/one.json" 2> /dev/null
t1=$(date +%s.%N)
"$DRIVER" --coldsim "$BIN" --units 8 "${ARGS[@]}" > "$out/ray.json" 2> "$out/ray.err"
t2=$(date +%s.%N)
cmp "$out/one.json" "$out/ray.json"
python3 - "$t0" "$t1" "$t2" <<'PY'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
one, ray = t1 - t0, t2 - t1
print(f"coldsim, 1 thread: {one:.1f} s; coldsim-ray, local Ray: {ray:.1f} s "
      f"(Ray start-up included); speed-up {one / ray:.2f}x; outputs identical")
PY
rm -rf "$out"
