//! The integration tests, one binary with a module per area, so the suite compiles and links
//! once. `memory` and `storage_alloc` stay separate binaries: they measure the peak memory
//! and the allocations of their own process.

#![allow(dead_code)]

mod anatomy_scenarios;
mod bad_input;
mod bad_input_anatomy;
mod cache_tiers;
mod calibrate_cli;
mod calibrate_fit;
mod calibrate_imports;
mod calibrate_lambda_perf;
mod calibrate_mixture;
mod calibrate_protocol;
mod calibrate_readers;
mod calibrate_readers_prop;
mod cli;
mod common;
mod compare;
mod cost;
mod deploy;
mod determinism;
mod event_sources;
mod fuzz_regressions;
mod hostile_input;
mod image_bench_shape;
mod import;
mod import_runtimes;
mod imports;
mod lambda_perf_hello;
mod lifecycle;
mod limits;
mod mitigations;
mod model_data;
mod outputs;
mod pipeline;
mod ray;
mod readme;
mod report;
mod retirement;
mod routing;
mod runtime_choice;
mod runtimes;
mod scaling;
mod scenarios;
mod sim_core;
mod snapstart;
mod storage_che;
mod storage_fleet;
mod svg_charts;
mod sweep;
mod units;
mod users;
mod whatif_scenarios;
mod whatif_work;
mod zip_vs_image;
