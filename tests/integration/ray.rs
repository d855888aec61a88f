//! coldsim-ray (python/) on a two-node Ray cluster on this machine: the test installs what
//! it needs (a virtual environment under the target folder with `pip install ./python`, which
//! pulls the pinned `ray` from PyPI; reused while the pinned version matches) and runs
//! python/tests/cluster_test.py, which starts the cluster (`ray.cluster_utils.Cluster`),
//! checks a sweep, a compare with --report, a killed worker node and the error cases against
//! the single-machine binary, and always shuts the cluster down. Without PyPI the test fails
//! (it never skips).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest the cluster checks may take before the test is stopped (they take about 40 s
/// alone on the 2-core machine).
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(900);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `ray==X` pin of python/pyproject.toml.
fn ray_pin() -> String {
    let text = std::fs::read_to_string(root().join("python/pyproject.toml")).unwrap();
    let at = text
        .find("\"ray==")
        .expect("python/pyproject.toml pins ray");
    let rest = &text[at + 6..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn run(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// The virtual environment with the pinned ray and the working tree's coldsim-ray.
fn venv() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../ray-venv");
    let python = dir.join("bin/python");
    let pin = ray_pin();
    let matches = python.exists()
        && Command::new(&python)
            .args([
                "-c",
                &format!("import ray, sys; sys.exit(ray.__version__ != '{pin}')"),
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !matches {
        let _ = std::fs::remove_dir_all(&dir);
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&dir),
            "python3 -m venv (python3 3.9+ with venv is needed)",
        );
    }
    run(
        Command::new(dir.join("bin/pip"))
            .args(["install", "--disable-pip-version-check", "--retries", "2"])
            .args(["--timeout", "30", "-q"])
            .arg(root().join("python")),
        &format!(
            "pip install ./python (it needs PyPI for ray=={pin} and setuptools; \
             this test does not skip without it)"
        ),
    );
    dir
}

/// Exact: coldsim-ray prints and writes coldsim's bytes on a 2-node cluster, also with a
/// worker node removed mid-run; the error cases exit 2 (see python/tests/cluster_test.py).
#[test]
fn coldsim_ray_on_a_two_node_cluster_matches_coldsim() {
    let started = Instant::now();
    let venv = venv();
    let installed = started.elapsed();
    let mut child = Command::new(venv.join("bin/python"))
        .arg(root().join("python/tests/cluster_test.py"))
        .args(["--coldsim", env!("CARGO_BIN_EXE_coldsim")])
        .arg("--driver")
        .arg(venv.join("bin/coldsim-ray"))
        .arg("--root")
        .arg(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python/tests/cluster_test.py");
    let deadline = Instant::now() + CLUSTER_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            // SIGTERM first: the script shuts the cluster down in its `finally`.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            std::thread::sleep(Duration::from_secs(30));
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "cluster checks took more than {CLUSTER_TIMEOUT:?}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "ray: venv ready in {:.1} s, cluster checks in {:.1} s\n{stdout}",
        installed.as_secs_f64(),
        (started.elapsed() - installed).as_secs_f64()
    );
    assert!(
        out.status.success() && stdout.contains("7 passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
