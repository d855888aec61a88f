//! Embeds the built-in runtime models (`models/runtimes/*.toml`, written by
//! `coldsim calibrate --recipe models/calibration/lambda-perf-all.toml`) into the binary, so
//! `runtime = "ID"` and `coldsim runtimes` work from any folder: writes
//! `$OUT_DIR/runtime_files.rs`, a table of (file name, contents) in name order. Also
//! rebuilds when any model file changes: `src/config/builtin.rs` embeds every file under
//! `models/` (`include_dir`), which stable Rust cannot track by itself.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/runtimes");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut s = String::from(
        "/// Built-in runtime model files: (file name, contents).\npub(crate) const FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        let _ = writeln!(
            s,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    s.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("runtime_files.rs");
    std::fs::write(out, s).unwrap();
}
