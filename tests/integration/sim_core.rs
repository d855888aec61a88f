//! The simulator core's event mechanics, on hand-traced scenarios: keyed events cancelled
//! when their sandbox goes away (provisioned recycling across a deploy) and periodic events
//! (warm-up pings).

use crate::common;

/// Function `pc` has no traffic of its own (a second function carries the scenario's
/// traffic, far too little to matter).
fn scenario(extra: &str, duration: &str) -> String {
    format!(
        "[run]\nduration = \"{duration}\"\nseed = 1\n\
         [platform]\nmax_lifetime = \"10m\"\n\
         [[function]]\nname = \"pc\"\nmemory_mb = 1769\nhandler = \"100ms\"\ncold_start = \"1s\"\n{extra}\
         [[function]]\nname = \"other\"\nmemory_mb = 1769\nhandler = \"100ms\"\ncold_start = \"1s\"\n\
         [[traffic]]\nfunction = \"other\"\nkind = \"poisson\"\nrate = 0.0001\n"
    )
}

/// Tolerance: exact, traced by hand (minutes). One provisioned sandbox, lifetime 10, lead 2,
/// a 27 min run: A (ready ahead at 0) recycles at 8 (B starts) and retires at 10. The deploy
/// at 12 releases idle B, and B's recycle at 16 is cancelled with it; C starts at 12,
/// recycles at 20 (D starts) and retires at 22; D's recycle at 28 is past the end. Created
/// 4, recycled 2, released 1, retired at lifetime 2, alive at the end 1 (D). Had B's
/// recycle fired at 16 on its reused slot (C's), C would have recycled at 16 and D at 24:
/// 3 recycled, 5 created.
#[test]
fn a_released_provisioned_sandbox_never_recycles() {
    let mut text = scenario("provisioned_concurrency = 1\n", "27m");
    text += "[[deploy]]\nfunction = \"pc\"\nat = \"12m\"\n";
    let t = common::load(&text);
    let s = &common::run_once(&t.scenario).functions[0];
    assert_eq!(s.sandboxes_created, 4);
    assert_eq!(s.provisioned_inits, 4);
    assert_eq!(s.provisioned_recycled, 2);
    assert_eq!(s.provisioned_released, 1);
    assert_eq!(s.retired_lifetime, 2);
    assert_eq!(s.alive_at_end, 1);
    assert_eq!(s.invocations, 0);
}

/// Tolerance: exact. Pings every 4 min, 2 at a time, in a 10 min run: bursts at 4 and 8
/// (12 is past the end), 4 pings; the first burst cold-starts both sandboxes, the second
/// finds them idle (keep-alive 10 min).
#[test]
fn a_periodic_ping_fires_every_period_until_the_end() {
    let t = common::load(&scenario(
        "warmup_pings = { every = \"4m\", concurrency = 2 }\n",
        "10m",
    ));
    let s = &common::run_once(&t.scenario).functions[0];
    assert_eq!(s.pings, 4);
    assert_eq!(s.ping_cold_starts, 2);
    assert_eq!(s.sandboxes_created, 2);
}
