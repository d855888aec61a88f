//! The README cannot go stale: every example block marked `<!-- coldsim-example -->` starts
//! with the command it shows (`$ coldsim ARGS`), and this test runs that command from the
//! repository root and compares what it prints with the rest of the block.
//!
//! To regenerate the examples after a deliberate change of output:
//! `COLDSIM_UPDATE_README=1 cargo test --release --test integration readme`.

use std::path::Path;
use std::process::Command;

const MARKER: &str = "<!-- coldsim-example -->";
const UPDATE_VAR: &str = "COLDSIM_UPDATE_README";

/// One example: the line range of its output inside the README, its arguments and output.
struct Example {
    /// Index of the `$ coldsim ...` line.
    command_line: usize,
    /// Index of the closing fence.
    end: usize,
    args: Vec<String>,
    shown: String,
}

/// Splits a command line into arguments: whitespace separates, double quotes group.
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(cur);
    }
    args
}

fn examples(lines: &[&str]) -> Vec<Example> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.trim() != MARKER {
            continue;
        }
        assert!(
            lines.get(i + 1).is_some_and(|f| f.starts_with("```")),
            "README line {}: {MARKER} must be followed by a fenced block",
            i + 1
        );
        let command = lines
            .get(i + 2)
            .and_then(|c| c.strip_prefix("$ coldsim "))
            .unwrap_or_else(|| {
                panic!(
                    "README line {}: the block must start with `$ coldsim ARGS`",
                    i + 3
                )
            });
        let end = (i + 3..lines.len())
            .find(|&k| lines[k].starts_with("```"))
            .unwrap_or_else(|| panic!("README line {}: unclosed block", i + 2));
        let shown: String = lines[i + 3..end].iter().map(|l| format!("{l}\n")).collect();
        out.push(Example {
            command_line: i + 2,
            end,
            args: split_args(command),
            shown,
        });
    }
    out
}

fn run(root: &Path, args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_coldsim"))
        .args(args)
        .current_dir(root)
        .output()
        .expect("run coldsim");
    assert_eq!(
        out.status.code(),
        Some(0),
        "coldsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A short line diff: each differing line of `shown` and `actual` side by side.
fn diff(shown: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (shown.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for k in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(k).copied(), b.get(k).copied());
        if x != y {
            out.push_str(&format!(
                "line {}:\n- {}\n+ {}\n",
                k + 1,
                x.unwrap_or("<none>"),
                y.unwrap_or("<none>")
            ));
        }
    }
    out
}

/// Tolerance: exact (byte for byte). Every marked example in README.md is what its command
/// prints now; with COLDSIM_UPDATE_README=1 the README is rewritten instead.
#[test]
fn readme_examples_are_what_their_commands_print() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let found = examples(&lines);
    assert!(
        found.len() >= 3,
        "expected the README's examples to be marked"
    );
    let update = std::env::var_os(UPDATE_VAR).is_some_and(|v| v == "1");
    let mut new_lines: Vec<String> = Vec::new();
    let mut next = 0;
    let mut stale = Vec::new();
    for ex in &found {
        let actual = run(root, &ex.args);
        if actual != ex.shown {
            stale.push(format!(
                "README.md example `coldsim {}` (line {}):\n{}",
                ex.args.join(" "),
                ex.command_line + 1,
                diff(&ex.shown, &actual)
            ));
        }
        new_lines.extend(lines[next..=ex.command_line].iter().map(|l| l.to_string()));
        new_lines.extend(actual.lines().map(str::to_string));
        next = ex.end;
    }
    new_lines.extend(lines[next..].iter().map(|l| l.to_string()));
    if update {
        let mut out = new_lines.join("\n");
        out.push('\n');
        std::fs::write(&path, out).unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "{}\nRegenerate with: {UPDATE_VAR}=1 cargo test --release --test integration readme",
        stale.join("\n")
    );
}

/// Tolerance: exact. The argument splitter keeps a quoted objective as one argument.
#[test]
fn example_commands_split_like_a_shell() {
    assert_eq!(
        split_args(r#"sweep a.toml --objective "min cost where latency.p99 < 800ms""#),
        vec![
            "sweep",
            "a.toml",
            "--objective",
            "min cost where latency.p99 < 800ms"
        ]
    );
}
