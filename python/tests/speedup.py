"""Speed-up of coldsim-ray over coldsim on one thread, on this machine.

    target/ray-venv/bin/python python/tests/speedup.py [--reps 100] [--cpus 2]

Times `coldsim scenario scenarios/reference.toml --replications REPS --format json` with
RAYON_NUM_THREADS=1 (before and after, the mean is used), then the same command through
coldsim-ray on a local Ray instance of CPUS CPUs started by this script (its start-up timed
apart), checks the outputs are identical and prints the times and ratios. The Ray instance is
shut down in every case.
"""

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def timed(cmd, env=None):
    t = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (cmd, p.stderr.decode()[-2000:]))
    return time.monotonic() - t, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--units", type=int, default=8)
    a = ap.parse_args()
    exe = os.path.join(ROOT, "target/release/coldsim")
    driver = os.path.join(os.path.dirname(sys.executable), "coldsim-ray")
    args = ["scenario", "scenarios/reference.toml", "--replications", str(a.reps),
            "--format", "json"]
    one_env = dict(os.environ, RAYON_NUM_THREADS="1")
    t1, want = timed([exe] + args, one_env)
    import ray

    t = time.monotonic()
    ctx = ray.init(num_cpus=a.cpus, include_dashboard=False)
    up = time.monotonic() - t
    try:
        address = ctx.address_info["gcs_address"]
        tr, got = timed([driver, "--address", address, "--coldsim", exe,
                         "--units", str(a.units)] + args)
    finally:
        ray.shutdown()
    t2, again = timed([exe] + args, one_env)
    assert got == want == again, "outputs differ"
    one = (t1 + t2) / 2
    print("coldsim, 1 thread: %.1f s (%.1f, %.1f); Ray start-up: %.1f s; coldsim-ray job on "
          "%d CPUs, %d units: %.1f s; speed-up %.2fx (job), %.2fx (with start-up); outputs "
          "identical; load average %s"
          % (one, t1, t2, up, a.cpus, a.units, tr, one / tr, one / (tr + up),
             " ".join("%.1f" % x for x in os.getloadavg())))


if __name__ == "__main__":
    main()
