//! Workload model files (`models/workloads/*.toml`): the input is written to a scratch file
//! that a fixed scenario names as its workload, once per packaging (zip, zip_layers, image,
//! snapstart), since each packaging reads different sections of the model.
#![no_main]

use coldsim_fuzz::{load_naming_model_or_scenario, repo_path, scratch_file};
use libfuzzer_sys::fuzz_target;

const PACKAGINGS: [&str; 4] = ["zip", "zip_layers", "image", "snapstart"];

fuzz_target!(|data: &[u8]| {
    let model = scratch_file("workload.toml", data);
    let scenario = repo_path("scenarios/fuzz-workload.toml");
    for packaging in PACKAGINGS {
        let text = format!(
            "[run]\nduration = \"1h\"\n\n[[function]]\nname = \"f\"\nmemory_mb = 1024\n\
             packaging = \"{packaging}\"\nworkload = {:?}\n\
             handler = {{ dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }}\n\n\
             [[traffic]]\nfunction = \"f\"\nkind = \"poisson\"\nrate = 1.0\n",
            model.display().to_string()
        );
        // The error may be about the model (naming it) or the scenario.
        load_naming_model_or_scenario(&scenario, &text, &model);
    }
});
