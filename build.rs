//! Rebuilds the crate when a model file changes: `src/config/builtin.rs` embeds every file
//! under `models/` (`include_dir`, the built-in workloads, platforms and runtime models),
//! which stable Rust cannot track by itself.

fn main() {
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=build.rs");
}
