"""coldsim-ray on a two-node Ray cluster on this machine (ray.cluster_utils.Cluster, Ray's
own way to test multi-node behaviour on one host; each node has one CPU).

Checks, each against the single-machine coldsim run of the same command:
  * a sweep and a compare (with --report) print and write the same bytes;
  * a worker node killed mid-run: the units it ran are retried elsewhere, same bytes;
  * errors end with exit code 2 and a clear message, never a hang: an unreachable cluster,
    a missing binary on the workers, a unit refused by the worker's binary (another build),
    a bad scenario file.
The cluster is shut down in every case (finally, also on SIGTERM).

Run by tests/integration/ray.rs:
    python cluster_test.py --coldsim BIN --driver VENV/bin/coldsim-ray --root REPO
Prints one line per check and "N passed, M failed"; exits 1 when one failed.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def sigterm(_signum, _frame):
    raise SystemExit("terminated")


class Checks:
    def __init__(self, args, address, tmp):
        self.a = args
        self.address = address
        self.tmp = tmp
        self.passed = 0
        self.failed = 0

    def coldsim(self, argv):
        return subprocess.run([self.a.coldsim] + argv, cwd=self.a.root,
                              capture_output=True, timeout=600)

    def driver(self, argv, address=None, timeout=600):
        cmd = [self.a.driver, "--coldsim", self.a.coldsim, "--connect-timeout", "180",
               "--address", address or self.address] + argv
        return subprocess.run(cmd, cwd=self.a.root, capture_output=True, timeout=timeout)

    def check(self, name, fn):
        t = time.monotonic()
        try:
            fn()
            self.passed += 1
            print("ok     %-45s %.1f s" % (name, time.monotonic() - t), flush=True)
        except Exception as e:  # noqa: BLE001 - reported
            self.failed += 1
            print("FAILED %-45s %.1f s: %s" % (name, time.monotonic() - t, e), flush=True)

    def same(self, argv, units, report=False):
        single, ray_report = None, None
        base = list(argv)
        if report:
            single = os.path.join(self.tmp, "single-%d" % time.monotonic_ns())
            ray_report = single + "-ray"
            base_single = base + ["--report", single]
            base_ray = base + ["--report", ray_report]
        else:
            base_single = base_ray = base
        want = self.coldsim(base_single)
        assert want.returncode == 0, want.stderr.decode()
        got = self.driver(["--units", str(units)] + base_ray)
        assert got.returncode == 0, "exit %d: %s" % (got.returncode, got.stderr.decode()[-2000:])
        assert got.stdout == want.stdout, "stdout differs:\n%s\n---\n%s" % (
            got.stdout.decode()[:800], want.stdout.decode()[:800])
        assert b" units, " in got.stderr, "no progress on stderr"
        if report:
            names = sorted(os.listdir(single))
            assert names == sorted(os.listdir(ray_report)), names
            for n in names:
                with open(os.path.join(single, n), "rb") as f1, \
                        open(os.path.join(ray_report, n), "rb") as f2:
                    assert f1.read() == f2.read(), "report file %s differs" % n

    def fails(self, argv, needle, address=None, limit_s=120):
        t = time.monotonic()
        got = self.driver(argv, address=address, timeout=limit_s + 60)
        err = got.stderr.decode(errors="replace")
        assert got.returncode == 2, "exit %d, want 2: %s" % (got.returncode, err[-1500:])
        assert needle in err, "%r not in: %s" % (needle, err[-1500:])
        assert got.stdout == b"", got.stdout[:200]
        took = time.monotonic() - t
        assert took < limit_s, "took %.0f s" % took


SWEEP = ["sweep", "scenarios/sparse.toml", "--set", "platform.keep_alive=5m,10m,20m",
         "--replications", "3", "--format", "json"]
COMPARE = ["compare", "scenarios/provisioned-vs-pings.toml", "--replications", "3"]
# Units of 2 replications of the reference workload (2.1 M invocations each): long enough
# that the unit the worker node runs is still running when the test kills the node.
KILL = ["scenario", "scenarios/reference.toml", "--replications", "16", "--format", "json"]


def killed_worker(c, cluster, worker, trace):
    """Kills the worker node while it runs a unit; the unit must be run again elsewhere
    (seen in the attempt files of COLDSIM_RAY_TRACE_DIR) and the output stay identical."""
    want = c.coldsim(KILL)
    assert want.returncode == 0, want.stderr.decode()
    for f in os.listdir(trace):
        os.remove(os.path.join(trace, f))
    cmd = [c.a.driver, "--coldsim", c.a.coldsim, "--address", c.address, "--units", "8",
           "--connect-timeout", "180"] + KILL
    p = subprocess.Popen(cmd, cwd=c.a.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    reader = threading.Thread(
        target=lambda: [lines.append(x.decode(errors="replace")) for x in p.stderr], daemon=True)
    reader.start()
    out_box = {}
    out_reader = threading.Thread(target=lambda: out_box.setdefault("out", p.stdout.read()),
                                  daemon=True)
    out_reader.start()
    node = worker.node_id
    victim = None
    try:
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline and p.poll() is None:
            done = "".join(lines)
            for f in os.listdir(trace):
                unit, node_id, _pid = f.split(".json.")[0] + ".json", *f.split(".json.")[1].split(".")
                if node_id == node and (unit + " done") not in done:
                    victim = unit
            if victim is None:
                time.sleep(0.02)
        assert victim, "the worker node ran no unit: %s" % "".join(lines)[-1500:]
        # Killed, not drained: its processes get SIGKILL.
        cluster.remove_node(worker, allow_graceful=False)
        p.wait(timeout=600)
    finally:
        if p.poll() is None:
            p.kill()
    out_reader.join(10)
    reader.join(10)
    assert p.returncode == 0, "exit %d: %s" % (p.returncode, "".join(lines)[-1500:])
    assert out_box.get("out") == want.stdout, "stdout differs after the node was removed"
    assert "8/8 units" in "".join(lines)
    attempts = [f for f in os.listdir(trace) if f.startswith(victim + ".")]
    nodes = {f.split(".json.")[1].split(".")[0] for f in attempts}
    assert len(attempts) >= 2 and len(nodes) == 2, (victim, attempts)
    print("       %s was running on the killed node; rerun on the other: %d attempts"
          % (victim, len(attempts)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coldsim", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, sigterm)
    from ray.cluster_utils import Cluster

    tmp = tempfile.mkdtemp(prefix="coldsim-ray-test-")
    trace = os.path.join(tmp, "attempts")
    os.mkdir(trace)
    # Inherited by the cluster's workers (see coldsim_ray/worker.py).
    os.environ["COLDSIM_RAY_TRACE_DIR"] = trace
    t0 = time.monotonic()
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    c = None
    try:
        worker = cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes(timeout=180)
        print("cluster of 2 nodes up in %.1f s at %s" % (time.monotonic() - t0, cluster.address),
              flush=True)
        c = Checks(args, cluster.address, tmp)
        c.check("sweep identical to coldsim (5 units)", lambda: c.same(SWEEP, 5))
        c.check("compare + --report identical (3 units)", lambda: c.same(COMPARE, 3, True))
        other = os.path.join(tmp, "coldsim-other-build")
        shutil.copy(args.coldsim, other)
        with open(other, "ab") as f:
            f.write(b"another build")
        c.check("missing binary on workers: exit 2",
                lambda: c.fails(["--worker-coldsim", "/nonexistent/coldsim"] + SWEEP,
                                "is missing (or not executable) on worker node"))
        c.check("unit refused by the worker's binary: exit 2",
                lambda: c.fails(["--worker-coldsim", other] + SWEEP,
                                "plan, run and merge with the same binary"))
        c.check("bad scenario file: exit 2",
                lambda: c.fails(["scenario", "scenarios/no-such-file.toml"],
                                "no-such-file.toml"))
        c.check("unreachable cluster: exit 2 quickly",
                lambda: c.fails(["--connect-timeout", "20"] + SWEEP, "cannot reach the Ray cluster",
                                address="127.0.0.1:1", limit_s=60))
        c.check("worker node killed mid-run: identical",
                lambda: killed_worker(c, cluster, worker, trace))
    finally:
        cluster.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ray part: %.1f s in all" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (c.passed, c.failed) if c else "0 passed, 1 failed")
    return 1 if c is None or c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
