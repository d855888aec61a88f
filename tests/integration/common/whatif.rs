//! Helpers of the what-if tests (compare, sweep, report, SVG charts): running the binary,
//! the keep-alive scenario whose cold fraction is known in closed form, and the text of an
//! SVG. Included with `#[path = "common/whatif.rs"] mod whatif;`.

use std::process::Command;

/// Runs the binary with `RAYON_NUM_THREADS` = `threads` (when given); returns (exit code,
/// stdout, stderr).
pub fn run_with_threads(args: &[&str], threads: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coldsim"));
    cmd.args(args);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    let out = cmd.output().expect("run coldsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the binary; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_with_threads(args, None)
}

/// Poisson arrivals at `rate` per second to function `api`, a single-threaded 1 ms handler
/// and a 1 ms cold start, constant keep-alive 10 s, 2 h after a 2 min warm-up: an arrival is
/// cold when the gap since the previous one exceeds the keep-alive T (plus ~1 ms of busy
/// time), so the cold fraction is e^{-λT}. `extra` (e.g. `[[variant]]` tables) is appended.
pub fn keep_alive_scenario(
    name: &str,
    seed: u64,
    replications: u32,
    rate: f64,
    extra: &str,
) -> String {
    format!(
        r#"
name = "{name}"
[run]
duration = "2h"
seed = {seed}
replications = {replications}
warmup = "2m"

[platform]
keep_alive = "10s"
max_lifetime = "1d"

[[function]]
name = "api"
memory_mb = 1769
cold_start = "1ms"
handler = "1ms"

[[traffic]]
function = "api"
kind = "poisson"
rate = {rate}
{extra}
"#
    )
}

/// Text content of every `<text>` element, trimmed and with XML entities decoded.
pub fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let open_end = after.find('>').expect("text tag closes");
        let close = after.find("</text>").expect("text element closes");
        out.push(
            after[open_end + 1..close]
                .trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[close + "</text>".len()..];
    }
    out
}
