//! `coldsim import template|config|logs`: every mapped property and event type of the
//! fixtures in tests/fixtures/import/ (values checked against the fixture by hand), the
//! `# from:` comment on every value, malformed inputs (exit 2 naming file and line), the
//! written scenarios loading and running, and a round trip: logs made from a known
//! scenario's invocations give back its traffic rate and handler quantiles within sampling
//! error.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use coldsim::config::load_scenario;
use coldsim::import::{function_config, logs_scenario, template};

use super::common::{assert_bad_input, cli};

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/import").join(name)
}

/// The line of `text` setting `key` in the `n`-th table whose `name`/`function` is `who`
/// (`[[function]]` or `[[traffic]]`), without its comment.
fn values_of(text: &str, header: &str, who: &str) -> Vec<Vec<(String, String)>> {
    let mut tables = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    for line in text.lines() {
        if line.starts_with('[') {
            if let Some(t) = current.take() {
                tables.push(t);
            }
            if line == header {
                current = Some(Vec::new());
            }
            continue;
        }
        if let (Some(t), Some((k, rest))) = (current.as_mut(), line.split_once(" = ")) {
            let v = rest.split("  # from: ").next().unwrap_or(rest);
            t.push((k.to_string(), v.to_string()));
        }
    }
    tables.extend(current);
    tables
        .into_iter()
        .filter(|t| {
            t.iter()
                .any(|(k, v)| (k == "name" || k == "function") && v == &format!("\"{who}\""))
        })
        .collect()
}

fn get<'a>(t: &'a [(String, String)], key: &str) -> &'a str {
    t.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {t:?}"))
}

/// Every `key = value` line has a `# from:` comment naming a file and line or the importer.
fn assert_every_value_has_an_origin(text: &str) {
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = "))
    {
        let from = line.split_once("  # from: ").map(|(_, f)| f);
        let from = from.unwrap_or_else(|| panic!("no origin: {line}"));
        let has_line = from.split_whitespace().next().is_some_and(|w| {
            w.rsplit_once(':')
                .is_some_and(|(_, n)| n.parse::<u32>().is_ok())
        });
        assert!(has_line || from.starts_with("coldsim import: "), "{line}");
    }
}

#[test]
fn sam_template_maps_every_function_property() {
    let out = template::import_template(&fixture("sam.yaml")).unwrap();
    let s = &out.scenario;
    assert_every_value_has_an_origin(s);
    let api = &values_of(s, "[[function]]", "ApiFunction")[0];
    assert_eq!(get(api, "memory_mb"), "1024"); // !Ref MemParam, Default 1024
    assert_eq!(get(api, "arch"), "\"arm64\"");
    assert_eq!(get(api, "packaging"), "\"zip\"");
    assert_eq!(get(api, "reserved_concurrency"), "50"); // !FindInMap [Sizes, !Ref Stage, reserved]
    assert_eq!(get(api, "provisioned_concurrency"), "5");
    assert!(s.contains("MemorySize = !Ref MemParam: its Default (line 7)"));
    let worker = &values_of(s, "[[function]]", "WorkerFunction")[0];
    assert_eq!(get(worker, "memory_mb"), "256"); // Globals.Function.MemorySize
    assert_eq!(get(worker, "arch"), "\"x86_64\""); // !Ref without a Default: AWS default
    assert!(s.contains("!Ref ArchParam: a parameter without a Default; AWS default x86_64"));
    assert_eq!(get(worker, "runtime"), "\"python3.11\"");
    let snap = &values_of(s, "[[function]]", "SnapFunction")[0];
    assert_eq!(get(snap, "packaging"), "\"snapstart\"");
    assert_eq!(get(snap, "runtime"), "\"java21\""); // java21's SnapStart (restore) model
    // Layers without their sizes: zip, and the comment says why.
    let layers = &values_of(s, "[[function]]", "LayerFunction")[0];
    assert_eq!(get(layers, "packaging"), "\"zip\"");
    assert!(s.contains("Layers: 2 layer(s): zip, without them"));
    let image = &values_of(s, "[[function]]", "ImageFunction")[0];
    assert_eq!(get(image, "packaging"), "\"image\"");
    // Globals' Runtime on an image: read as its base image's, and said so.
    assert_eq!(get(image, "runtime"), "\"python3.12\"");
    assert!(s.contains("Lambda takes no Runtime for an image"));
    assert!(!s.contains("workload = "), "no stand-in workload: {s}");
    assert_eq!(get(image, "memory_mb"), "2048");
    assert!(s.contains(
        "# Timeout = 30 s (from: tests/fixtures/import/sam.yaml:20 Globals.Function.Timeout)"
    ));
}

#[test]
fn sam_events_map_to_invocation_kinds_and_schedules() {
    let out = template::import_template(&fixture("sam.yaml")).unwrap();
    let s = &out.scenario;
    let api = values_of(s, "[[traffic]]", "ApiFunction");
    assert_eq!(api.len(), 2); // Api and HttpApi
    assert!(api.iter().all(|t| get(t, "invocation") == "\"sync\""));
    assert!(api.iter().all(|t| get(t, "rate") == "1.0"));
    assert!(s.contains("rate = 1.0  # from: coldsim import: PLACEHOLDER, edit"));
    let worker = values_of(s, "[[traffic]]", "WorkerFunction");
    let sqs = &worker[0];
    assert_eq!(get(sqs, "invocation"), "\"sqs\"");
    assert_eq!(get(sqs, "sqs.batch_size"), "25");
    assert_eq!(get(sqs, "sqs.batching_window"), "\"5s\"");
    assert_eq!(get(sqs, "sqs.maximum_concurrency"), "8");
    let (kinesis, dynamo) = (&worker[1], &worker[2]);
    assert_eq!(get(kinesis, "invocation"), "\"stream\"");
    assert_eq!(get(kinesis, "stream.batch_size"), "200");
    assert_eq!(get(kinesis, "stream.parallelization_factor"), "4");
    assert_eq!(get(dynamo, "stream.batch_size"), "100"); // AWS default
    assert_eq!(get(dynamo, "stream.parallelization_factor"), "1");
    let events = values_of(s, "[[traffic]]", "EventsFunction");
    assert_eq!(events.len(), 6); // S3, SNS, EventBridgeRule, CloudWatchEvent, 2 schedules
    for t in &events[..4] {
        assert_eq!(get(t, "invocation"), "\"async\"");
        assert_eq!(get(t, "async.max_retries"), "1");
        assert_eq!(get(t, "async.max_event_age"), "\"1h\"");
    }
    assert_eq!(get(&events[4], "kind"), "\"schedule\"");
    assert_eq!(get(&events[4], "every"), "\"5m\"");
    assert_eq!(get(&events[5], "cron"), "\"0 12 ? * MON-FRI *\"");
    let url = &values_of(s, "[[traffic]]", "SnapFunction")[0];
    assert_eq!(get(url, "invocation"), "\"sync\"");
    // The unknown event type is a warning comment, not a failure.
    assert_eq!(out.warnings.len(), 1);
    assert!(out.warnings[0].contains("AlexaSkill") && out.warnings[0].contains("line 104"));
    assert!(s.contains("# warning: tests/fixtures/import/sam.yaml line 104"));
}

#[test]
fn cloudformation_json_reads_aliases_mappings_rules_urls_and_permissions() {
    let out = template::import_template(&fixture("cfn.json")).unwrap();
    let s = &out.scenario;
    assert_every_value_has_an_origin(s);
    let f = &values_of(s, "[[function]]", "Orders")[0];
    assert_eq!(get(f, "memory_mb"), "512");
    assert_eq!(get(f, "arch"), "\"arm64\"");
    assert_eq!(get(f, "reserved_concurrency"), "20");
    assert_eq!(get(f, "provisioned_concurrency"), "3"); // from the AWS::Lambda::Alias
    assert!(s.contains("cfn.json:30 OrdersAlias (AWS::Lambda::Alias)"));
    let t = values_of(s, "[[traffic]]", "Orders");
    let kinds: Vec<&str> = t.iter().map(|t| get(t, "invocation")).collect();
    assert_eq!(kinds, ["\"sqs\"", "\"async\"", "\"sync\"", "\"async\""]);
    assert_eq!(get(&t[0], "sqs.batch_size"), "5");
    assert_eq!(get(&t[1], "cron"), "\"30 2 * * ? *\"");
}

#[test]
fn function_configuration_maps_memory_arch_layers_runtime() {
    let out = function_config::import_config(&fixture("config.json")).unwrap();
    let s = &out.scenario;
    assert_every_value_has_an_origin(s);
    let f = &values_of(s, "[[function]]", "checkout")[0];
    assert_eq!(get(f, "memory_mb"), "1769");
    assert!(s.contains("memory_mb = 1769  # from: tests/fixtures/import/config.json:9 MemorySize"));
    assert_eq!(get(f, "arch"), "\"arm64\"");
    assert_eq!(get(f, "packaging"), "\"zip\""); // one layer, sizes unknown; SnapStart None
    assert_eq!(get(f, "runtime"), "\"python3.12\"");
    assert!(s.contains("EphemeralStorage.Size = 1024 MB"));
    assert!(s.contains("Timeout = 15 s"));
}

#[test]
fn written_template_and_config_scenarios_load_and_run() {
    let dir = tempfile::tempdir().unwrap();
    for (what, input) in [("template", "loadable.yaml"), ("config", "config.json")] {
        let out = dir.path().join(format!("{what}.toml"));
        let input = fixture(input);
        let (code, err) = cli(&[
            "import",
            what,
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, err) = cli(&["scenario", out.to_str().unwrap(), "--replications", "1"]);
        assert_eq!(code, 0, "{err}");
    }
    // loadable.yaml: Cron fires every 10 minutes and at noon: 144 + 1 a day, plus S3's
    // placeholder 1/s; the scenario loads with both schedules.
    let sc = load_scenario(&dir.path().join("template.toml")).unwrap();
    let horizon = coldsim::engine::SimTime(24 * 3_600_000_000);
    let per_day: Vec<f64> = sc
        .traffic
        .iter()
        .map(|t| t.process.expected_arrivals(horizon))
        .collect();
    assert_eq!(per_day, vec![86_400.0, 144.0, 1.0, 86_400.0]);
}

#[test]
fn malformed_inputs_exit_2_naming_file_and_line() {
    assert_bad_input(
        cli(&["import", "template", "tests/fixtures/import/malformed.yaml"]),
        "malformed.yaml",
        &["line 6", "not valid YAML"],
    );
    assert_bad_input(
        cli(&["import", "config", "tests/fixtures/import/malformed.yaml"]),
        "malformed.yaml",
        &["line 6"],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.toml");
    let out = out.to_str().unwrap();
    assert_bad_input(
        cli(&[
            "import",
            "logs",
            "tests/fixtures/import/bad-report.log",
            "-o",
            out,
        ]),
        "bad-report.log",
        &["line 2", "Duration `12.x` is not a number"],
    );
    assert_bad_input(
        cli(&[
            "import",
            "logs",
            "tests/fixtures/import/no-timestamp.log",
            "-o",
            out,
        ]),
        "no-timestamp.log",
        &["line 1", "no timestamp"],
    );
    assert_bad_input(
        cli(&["import", "template", "tests/fixtures/import/config.json"]),
        "config.json",
        &["no Resources"],
    );
    // Never over an input.
    let (code, err) = cli(&[
        "import",
        "template",
        "tests/fixtures/import/sam.yaml",
        "-o",
        "tests/fixtures/import/sam.yaml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is also an input"), "{err}");
}

#[test]
fn logs_text_and_insights_csv_give_arrivals_durations_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("week.toml");
    let paths = [fixture("tail.log"), fixture("insights.csv")];
    let imported = logs_scenario::import_logs(&paths, &out, None).unwrap();
    let s = &imported.scenario;
    assert_every_value_has_an_origin(s);
    // tail.log: 9 lines, 3 REPORT, 2 START, 2 END, 1 INIT_START, 1 other; insights.csv: 5
    // rows, 3 REPORT, 1 START, 1 other.
    assert!(
        s.contains("14 lines, 6 REPORT, 3 START, 2 END, 1 INIT_START, 2 other lines skipped"),
        "{s}"
    );
    let files: Vec<&str> = imported
        .side_files
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        files,
        ["week.orders.csv", "week.tail.csv", "week.users.csv"]
    );
    let tail = String::from_utf8(imported.side_files[1].1.clone()).unwrap();
    // r1: START 12:00:00.400 less Init 300 ms; r2: START 12:00:10.000; r3: REPORT 12:00:30.040
    // less 40 ms. Time zero is the first arrival of all files (12:00:00.100).
    assert_eq!(
        tail,
        "timestamp,time_utc,duration_ms\n0.000000,2024-05-01T12:00:00.1Z,50\n\
         9.900000,2024-05-01T12:00:10Z,20\n29.900000,2024-05-01T12:00:30Z,40\n"
    );
    let users = String::from_utf8(imported.side_files[2].1.clone()).unwrap();
    // Epoch milliseconds 1714564805000 = 12:00:05 less 10 ms.
    assert!(
        users.contains("4.890000,2024-05-01T12:00:04.99Z,10"),
        "{users}"
    );
    assert!(s.contains(
        "Observed in the logs for tail: 3 invocations, 1 of them cold (cold fraction 0.3333)"
    ));
    assert!(s.contains("Observed Init Duration: p50 400.0 ms"));
    let orders = &values_of(s, "[[function]]", "orders")[0];
    assert_eq!(get(orders, "memory_mb"), "1024");
    // --function puts everything under one name.
    let one = logs_scenario::import_logs(&paths, &out, Some("api")).unwrap();
    assert_eq!(one.side_files.len(), 1);
    assert!(one.scenario.contains("6 invocations, 2 of them cold"));
}

/// One REPORT line per invocation record of `--invocations-csv`, timed at the record's end
/// from `base_ms` (epoch ms), as `aws logs tail` prints them.
fn report_lines(csv_text: &str, base_ms: i64, memory_mb: u32) -> String {
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (end, cold, init, handler) = (
        col("end_s"),
        col("cold"),
        col("init_duration_ms"),
        col("handler_ms"),
    );
    let mut out = String::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let end_ms = base_ms + (r[end].parse::<f64>().unwrap() * 1000.0).round() as i64;
        let ts = jiff::Timestamp::from_millisecond(end_ms).unwrap();
        let d: f64 = r[handler].parse().unwrap();
        let mut line = format!(
            "{ts} 2024/05/01/[$LATEST]x REPORT RequestId: r{i}\tDuration: {d:.2} ms\tBilled \
             Duration: {} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: 70 MB",
            d.ceil()
        );
        if matches!(&r[cold], "true" | "1") {
            line += &format!("\tInit Duration: {} ms", &r[init]);
        }
        out += &line;
        out.push('\n');
        if i % 50 == 0 {
            out += &format!("{ts} 2024/05/01/[$LATEST]x END RequestId: r{i}\n");
        }
    }
    out
}

/// The `p` quantile of sorted `v` (nearest rank).
fn quantile(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn round_trip_logs_of_a_known_scenario_give_back_its_rate_and_handler() {
    // Known: Poisson 2/s for an hour, handler lognormal median 80 ms, p99 400 ms at 2,048 MB
    // (at least one vCPU, so the handler runs as drawn).
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.toml");
    let (rate, hours, median, p99) = (2.0_f64, 1.0_f64, 80.0_f64, 400.0_f64);
    std::fs::write(
        &known,
        format!(
            "[run]\nduration = \"{hours}h\"\nseed = 5\nreplications = 1\n[[function]]\nname = \"api\"\n\
             memory_mb = 2048\nworkload = \"models/workloads/python312-hello.toml\"\n\
             handler = {{ dist = \"lognormal\", median = \"{median}ms\", p99 = \"{p99}ms\" }}\n\
             [[traffic]]\nfunction = \"api\"\nkind = \"poisson\"\nrate = {rate}\n"
        ),
    )
    .unwrap();
    let inv = dir.path().join("inv.csv");
    let (code, err) = cli(&[
        "scenario",
        known.to_str().unwrap(),
        "--invocations-csv",
        inv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let lines = report_lines(
        &std::fs::read_to_string(&inv).unwrap(),
        1_714_521_600_000,
        2048,
    );
    // Gzipped, as exports often are.
    let log = dir.path().join("api.log.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines.as_bytes()).unwrap();
    std::fs::write(&log, gz.finish().unwrap()).unwrap();

    let out = dir.path().join("imported.toml");
    let (code, err) = cli(&[
        "import",
        "logs",
        log.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("name = \"api\""),
        "the file name gives the function: {text}"
    );
    let trace = std::fs::read_to_string(dir.path().join("imported.api.csv")).unwrap();
    let rows: Vec<(f64, f64)> = trace
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();

    // Traffic: the count of a Poisson process over T is Poisson(rate·T); 4 standard
    // deviations (sqrt(7200) = 85) is the tolerance.
    let expected = rate * hours * 3600.0;
    let n = rows.len() as f64;
    assert!(
        (n - expected).abs() < 4.0 * expected.sqrt(),
        "{n} arrivals, expected {expected}"
    );
    let span_s = rows.last().unwrap().0 - rows[0].0;
    let rate_hat = (n - 1.0) / span_s;
    assert!(
        (rate_hat - rate).abs() < 4.0 * rate / expected.sqrt(),
        "rate {rate_hat}"
    );

    // Handler: a sample quantile's standard error is sqrt(p(1-p)/n) / f(q), with f the
    // lognormal density f(x) = φ(z) / (x σ); 4 of them is the tolerance (≈3.3 ms at the
    // median and ≈11 ms at p90 for n = 7,200).
    let sigma = (p99 / median).ln() / 2.326_348;
    let mut d: Vec<f64> = rows.iter().map(|r| r.1).collect();
    d.sort_by(f64::total_cmp);
    for (p, z) in [(0.5, 0.0), (0.9, 1.281_552)] {
        let q = median * (sigma * z).exp();
        let density = (-z * z / 2.0_f64).exp() / (2.0 * std::f64::consts::PI).sqrt() / (q * sigma);
        let se = (p * (1.0 - p) / n).sqrt() / density;
        let got = quantile(&d, p);
        assert!(
            (got - q).abs() < 4.0 * se,
            "p{p}: {got} ms, expected {q:.1} ± {:.1}",
            4.0 * se
        );
    }

    // The imported scenario replays every arrival.
    let sc = load_scenario(&out).unwrap();
    let summary = coldsim::runner::run_scenario(&sc, None, None).unwrap();
    let invocations = summary.get("api", "invocations").unwrap();
    assert_eq!(invocations, n, "every arrival of the trace is replayed");
}

/// The error of loading `toml`, or a panic if it loads.
fn load_error(toml: &str) -> String {
    let (_dir, path) = super::common::write(toml);
    match load_scenario(&path) {
        Ok(_) => panic!("should not load:\n{toml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn schedule_kind_fires_on_time_and_refuses_bad_keys() {
    let schedule = |keys: &str| {
        super::common::VALID.replace(
            "kind = \"poisson\"\nrate = 2.0",
            &format!("kind = \"schedule\"\n{keys}"),
        )
    };
    // An hour of a 5-minute rate: 12 firings at 0, 5, ..., 55 min; of an hourly cron: 1.
    for (keys, expected) in [("every = \"5m\"", 12.0), ("cron = \"0 * * * ? *\"", 1.0)] {
        let s = super::common::summary(&schedule(keys));
        assert_eq!(s.get("api", "invocations"), Some(expected), "{keys}");
    }
    let both = load_error(&schedule("every = \"5m\"\ncron = \"0 * * * ? *\""));
    assert!(
        both.contains("traffic[0].every") && both.contains("exactly one"),
        "{both}"
    );
    let neither = load_error(&schedule(""));
    assert!(neither.contains("exactly one"), "{neither}");
    let bad = load_error(&schedule("cron = \"0 25 * * ? *\""));
    assert!(
        bad.contains("traffic[0].cron") && bad.contains("hours"),
        "{bad}"
    );
    let stray = load_error(&schedule("every = \"5m\"\nrate = 1.0"));
    assert!(stray.contains("does not apply"), "{stray}");
}

#[test]
fn a_logs_insights_export_replays_as_a_trace_of_its_dates() {
    // insights.csv has four dated rows (12:00:01, 12:00:02, 12:00:02.010, 12:00:02.060) and
    // one in epoch milliseconds, which a trace does not take: the trace is its first four.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("insights.csv")).unwrap();
    let four: Vec<&str> = text.lines().take(5).collect();
    std::fs::write(dir.path().join("export.csv"), four.join("\n")).unwrap();
    let toml = super::common::VALID.replace(
        "kind = \"poisson\"\nrate = 2.0",
        "kind = \"trace\"\nfile = \"export.csv\"\nformat = \"timestamps\"\ncolumn = \"@timestamp\"",
    );
    let path = dir.path().join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let sc = load_scenario(&path).unwrap();
    let s = coldsim::runner::run_scenario(&sc, None, None).unwrap();
    assert_eq!(s.get("api", "invocations"), Some(4.0));
}
