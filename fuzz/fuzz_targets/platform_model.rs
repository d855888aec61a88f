//! Platform model files (`models/platform/*.toml`): the input is written to a scratch file
//! that a fixed scenario names as `platform = "..."`.
#![no_main]

use coldsim_fuzz::{load_naming_model_or_scenario, repo_path, scratch_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let model = scratch_file("platform.toml", data);
    let scenario = repo_path("scenarios/fuzz-platform.toml");
    let text = format!(
        "platform = {:?}\n\n[run]\nduration = \"1h\"\n\n[[function]]\nname = \"f\"\n\
         memory_mb = 1024\nworkload = \"models/workloads/python312-hello.toml\"\n\
         handler = {{ dist = \"lognormal\", median = \"80ms\", p99 = \"400ms\" }}\n\n\
         [[traffic]]\nfunction = \"f\"\nkind = \"poisson\"\nrate = 1.0\n",
        model.display().to_string()
    );
    // The error may be about the model (naming it) or the scenario.
    load_naming_model_or_scenario(&scenario, &text, &model);
});
