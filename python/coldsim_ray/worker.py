"""The Ray task: runs one work unit with a coldsim binary on whatever node Ray picks."""

import hashlib
import os
import subprocess
import tempfile


class UnitFailed(Exception):
    """A unit could not run: a missing binary or a coldsim error (bad input, exit 2)."""


def _binary_from_bytes(data):
    """Writes the shipped binary once per node (content-addressed) and gives its path."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = os.path.join(tempfile.gettempdir(), "coldsim-ray-bin", digest)
    path = os.path.join(folder, "coldsim")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    return path


def _trace_attempt(name):
    """For tests: with COLDSIM_RAY_TRACE_DIR set, leaves a file NAME.NODE_ID.PID there for
    each attempt at a unit, so a test can see which node ran it and that it was retried."""
    trace = os.environ.get("COLDSIM_RAY_TRACE_DIR")
    if trace:
        import ray

        node_id = ray.get_runtime_context().get_node_id()
        open(os.path.join(trace, "%s.%s.%d" % (name, node_id, os.getpid())), "w").close()


def run_unit(name, unit_bytes, inputs_bytes, binary_bytes, worker_binary):
    """Runs the unit (`name`, its JSON and the plan's inputs.json) with the binary shipped
    as `binary_bytes`, or the one at `worker_binary` on the node; gives the partial's bytes.
    Raises UnitFailed with coldsim's own message when the unit fails."""
    import socket

    node = socket.gethostname()
    _trace_attempt(name)
    if worker_binary:
        exe = worker_binary
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            raise UnitFailed(
                "%s: the coldsim binary %s is missing (or not executable) on worker node %s"
                % (name, exe, node)
            )
    else:
        exe = _binary_from_bytes(binary_bytes)
    with tempfile.TemporaryDirectory(prefix="coldsim-unit-") as d:
        unit = os.path.join(d, name)
        inputs = os.path.join(d, "inputs.json")
        out = os.path.join(d, "out.partial.json")
        with open(unit, "wb") as f:
            f.write(unit_bytes)
        with open(inputs, "wb") as f:
            f.write(inputs_bytes)
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        try:
            p = subprocess.run(
                [exe, "run-unit", unit, "--inputs", inputs, "-o", out],
                cwd=d,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as e:
            raise UnitFailed("%s: cannot run %s on worker node %s: %s" % (name, exe, node, e))
        if p.returncode != 0:
            raise UnitFailed(
                "%s failed on worker node %s (exit %d): %s"
                % (name, node, p.returncode, p.stderr.decode(errors="replace").strip())
            )
        with open(out, "rb") as f:
            return f.read()
