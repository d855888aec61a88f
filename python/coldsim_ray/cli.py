"""`coldsim-ray [options] scenario|compare|sweep FILE [coldsim flags]`: the coldsim command on
a Ray cluster. Plans units with the local binary, runs one Ray task per unit, merges with the
local binary and prints exactly the bytes `coldsim` prints (and writes the same --report).

Exit codes: coldsim's own (2 for bad input) when planning or merging fails; 2 when the
cluster cannot be reached in time, when a unit fails (bad input, a missing binary on a
worker) or when no unit finishes for --stall-timeout seconds; never a hang.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

COMMANDS = ("scenario", "compare", "sweep")


def _say(msg):
    sys.stderr.write("coldsim-ray: %s\n" % msg)
    sys.stderr.flush()


class Failure(Exception):
    """Ends the run with a message and an exit code (after cleaning up)."""

    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code


def _fail(msg, code=2):
    raise Failure(msg, code)


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _parse(argv):
    p = argparse.ArgumentParser(
        prog="coldsim-ray",
        description="Run a coldsim scenario, compare or sweep on a Ray cluster; prints the "
        "same bytes as coldsim.",
    )
    p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a "
                   "local Ray instance)")
    p.add_argument("--coldsim", help="the local coldsim binary (default: COLDSIM, else "
                   "coldsim on PATH); it plans, merges and is shipped to the workers")
    p.add_argument("--worker-coldsim", metavar="PATH", help="run units with the coldsim "
                   "binary at PATH on every node instead of shipping the local one")
    p.add_argument("--units", type=int, help="work units (default: 4 per CPU of the "
                   "cluster)")
    p.add_argument("--connect-timeout", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--stall-timeout", type=float, default=3600.0, metavar="SECONDS",
                   help="fail when no unit finishes for this long")
    p.add_argument("--max-retries", type=int, default=3,
                   help="reruns of a unit whose worker or node died")
    p.add_argument("command", choices=COMMANDS)
    p.add_argument("args", nargs=argparse.REMAINDER,
                   help="FILE and the flags of the coldsim command")
    return p.parse_args(argv)


def _find_binary(given):
    exe = given or os.environ.get("COLDSIM") or shutil.which("coldsim")
    if not exe or not os.path.isfile(exe):
        _fail("no coldsim binary (give --coldsim PATH or set COLDSIM); tried %r" % exe)
    return os.path.abspath(exe)


def _probe(address, timeout_s):
    """Fails fast when a host:port address does not accept connections."""
    import socket

    if not address or address in ("auto", "local") or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s).close()
    except (OSError, ValueError) as e:
        _fail("cannot reach the Ray cluster at %s: %s" % (address, e))


def _connect(address, timeout_s):
    """ray.init within timeout_s, else exit 2 (ray.init itself may retry for minutes)."""
    import logging

    import ray

    where = address or "a local Ray instance"
    _probe(address, timeout_s)

    def too_late():
        _say("error: cannot connect to the Ray cluster at %s within %.0f s" % (where, timeout_s))
        os._exit(2)

    watchdog = threading.Timer(timeout_s, too_late)
    watchdog.daemon = True
    watchdog.start()
    kwargs = dict(logging_level=logging.WARNING, log_to_driver=False)
    if address:
        kwargs["address"] = address
    else:
        kwargs["include_dashboard"] = False
    try:
        ray.init(**kwargs)
    except Exception as e:  # noqa: BLE001 - reported as the cause
        _fail("cannot connect to the Ray cluster at %s: %s" % (where, e))
    finally:
        watchdog.cancel()
    return ray


def _run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _plan(exe, command, args, units, plan_dir):
    p = _run([exe, command] + args + ["--plan", plan_dir, "--units", str(units)])
    if p.returncode != 0:
        raise Failure(p.stderr.decode(errors="replace").strip(), p.returncode)
    with open(os.path.join(plan_dir, "plan.json")) as f:
        return json.load(f)


def _submit(ray, opts, exe, plan_dir, plan):
    from . import worker

    ray.cloudpickle.register_pickle_by_value(worker)
    task = ray.remote(num_cpus=1, max_retries=opts.max_retries)(worker.run_unit)
    binary = None
    if not opts.worker_coldsim:
        with open(exe, "rb") as f:
            binary = ray.put(f.read())
    with open(os.path.join(plan_dir, "inputs.json"), "rb") as f:
        inputs = ray.put(f.read())
    pending = {}
    for k in range(len(plan["units"])):
        name = "unit-%03d.json" % k
        with open(os.path.join(plan_dir, name), "rb") as f:
            ref = task.remote(name, f.read(), inputs, binary, opts.worker_coldsim)
        pending[ref] = k
    return pending


def _progress(k, done, total, invocations, start):
    elapsed = time.monotonic() - start
    eta = elapsed / done * (total - done) if done else float("nan")
    _say("unit-%03d.json done: %d/%d units, %s invocations simulated, %.0f s elapsed, "
         "ETA %.0f s" % (k, done, total, format(invocations, ","), elapsed, eta))


def _collect(ray, pending, plan_dir, stall_s):
    from .worker import UnitFailed

    total, done, invocations = len(pending), 0, 0
    start = last = time.monotonic()
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
        if not ready:
            if time.monotonic() - last > stall_s:
                _fail("no unit finished for %.0f s (%d of %d pending); is the cluster out "
                      "of CPUs?" % (stall_s, len(pending), total))
            continue
        ref = ready[0]
        k = pending.pop(ref)
        try:
            data = ray.get(ref)
        except Exception as e:  # noqa: BLE001 - every failure of a unit ends the run
            cause = getattr(e, "cause", None)
            if isinstance(cause, UnitFailed) or type(cause).__name__ == "UnitFailed":
                _fail(str(cause))
            _fail("unit-%03d.json failed: %s" % (k, str(e).strip().splitlines()[-1]))
        with open(os.path.join(plan_dir, "unit-%03d.partial.json" % k), "wb") as f:
            f.write(data)
        invocations += json.loads(data).get("invocations", 0)
        done += 1
        last = time.monotonic()
        _progress(k, done, total, invocations, start)


def main(argv=None):
    opts = _parse(sys.argv[1:] if argv is None else argv)
    try:
        exe = _find_binary(opts.coldsim)
    except Failure as e:
        _say("error: %s" % e)
        return e.code
    # Ray may print to standard output; only the merge's bytes go there.
    stdout = os.dup(1)
    os.dup2(2, 1)
    address = opts.address or os.environ.get("RAY_ADDRESS")
    try:
        ray = _connect(address, opts.connect_timeout)
    except Failure as e:
        _say("error: %s" % e)
        return e.code
    work = tempfile.mkdtemp(prefix="coldsim-ray-")
    code = 1
    try:
        units = opts.units or max(1, 4 * int(ray.cluster_resources().get("CPU", 1)))
        plan_dir = os.path.join(work, "plan")
        plan = _plan(exe, opts.command, opts.args, units, plan_dir)
        _say("%d units on %s" % (len(plan["units"]), address or "a local Ray instance"))
        pending = _submit(ray, opts, exe, plan_dir, plan)
        _collect(ray, pending, plan_dir, opts.stall_timeout)
        merged = _run([exe, "merge", plan_dir])
        sys.stderr.write(merged.stderr.decode(errors="replace"))
        sys.stderr.flush()
        _write_all(stdout, merged.stdout)
        code = merged.returncode
    except Failure as e:
        msg = str(e)
        if msg:
            _say("error: %s" % msg if not msg.startswith("coldsim:") else msg)
        code = e.code
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ray.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
