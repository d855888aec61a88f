//! Readers of measurement files (src/calibrate/read/): exact counts and row-numbered warnings
//! on hand-made fixtures, unit conversions, and the real measurement data in data/.

use crate::common;

use std::path::Path;

use coldsim::calibrate::Day;
use coldsim::calibrate::read::generic::{
    ColdMetric, ColumnMapping, Observations, ValueUnit, read_generic, read_generic_file,
};
use coldsim::calibrate::read::imports::module_costs;
use coldsim::calibrate::read::importtime::{
    ImportTrace, read_import_table, read_import_table_file, read_importtime_any,
    read_importtime_profiles, read_importtime_profiles_file, read_importtime_text,
};
use coldsim::calibrate::read::insights::{read_insights, read_insights_file};
use coldsim::calibrate::read::report::{read_report, read_report_file, read_report_from};
use coldsim::error::InputError;

fn p() -> &'static Path {
    Path::new("fixture.log")
}

/// The group keys of `o` as string slices, for comparing with literals.
fn group_keys(o: &Observations) -> Vec<Vec<&str>> {
    o.groups
        .iter()
        .map(|k| k.iter().map(String::as_str).collect())
        .collect()
}

fn day(s: &str) -> Option<Day> {
    Day::parse_prefix(s)
}

/// 19 lines: 4 records (3 cold), 6 ignored, 9 warnings; no final newline.
fn report_fixture() -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    let mut line = |l: &[u8]| {
        b.extend_from_slice(l);
        b.push(b'\n');
    };
    line(b"2023-11-27T19:00:01.000Z\tINIT_START Runtime Version: python:3.9.v30\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc");
    line(b"2023-11-27T19:00:01.123Z\tSTART RequestId: aaaa-1 Version: $LATEST");
    line(b"2023-11-27T19:00:01.200Z\taaaa-1\t[INFO]\thello from the handler");
    line(b"2023-11-27T19:00:01.300Z\tEND RequestId: aaaa-1");
    line(b"2023-11-27T19:00:01.300Z\tREPORT RequestId: aaaa-1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\tInit Duration: 250.12 ms\t");
    line(b"");
    line(b"REPORT RequestId: bbbb-2 Duration: 3.01 ms Billed Duration: 4 ms Memory Size: 1024 MB Max Memory Used: 81 MB");
    line(b"2023-11-28T08:00:00.000Z REPORT RequestId: cccc-3\tDuration: 5.5 ms\tBilled Duration: 306 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 512.3 ms\tBilled Restore Duration: 300 ms\tXRAY TraceId: 1-6565-abc\tSegmentId: 12ab\tSampled: true");
    line(b"2023-11-28T08:00:01.000Z REPORT RequestId: dddd-4\tDuration: 7.0 ms\tBilled Dur");
    line(b"REPORT RequestId: eeee-5\tDuration: 12.x ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB");
    line(b"REPORT RequestId: ffff-6\tDuration: -1 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB");
    line(b"REPORT RequestId: gggg-7\tDuration: NaN ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB");
    line(b"\x00\x01garbage ### REPORT");
    line(b"\xff\xfe binary junk \xc3");
    line(b"REPORT RequestId: hhhh-8\tDuration: 1\xff ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB");
    line(b"REPORT RequestId: iiii-9\tDuration: 1e400 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB");
    line(b"REPORT RequestId: jjjj-10\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 99999999999 MB\tMax Memory Used: 40 MB");
    line(b"REPORT RequestId: kkkk-11\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 250.12");
    b.extend_from_slice(b"\"1701111601123\",\"2023-11-27T19:00:01.123Z\",\"REPORT RequestId: llll-12\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 100.5 ms\t\"");
    b
}

#[test]
fn report_fixture_counts_records_and_warnings() {
    let log = read_report(&report_fixture(), p()).unwrap();
    let d = &log.diagnostics;
    assert_eq!(
        (d.rows_read, d.records, d.ignored, d.warning_count()),
        (19, 4, 6, 9),
        "{d}"
    );
    let r = &log.records;
    assert_eq!(r.len(), 4);
    // Cold on-demand start with a timestamp prefix.
    assert_eq!(r[0].line, 5);
    assert_eq!(r[0].day, day("2023-11-27"));
    assert_eq!(r[0].request_id, "aaaa-1");
    assert_eq!(r[0].duration_ms, 12.34);
    assert_eq!(r[0].billed_duration_ms, 13.0);
    assert_eq!((r[0].memory_size_mb, r[0].max_memory_used_mb), (1024, 80));
    assert_eq!(r[0].init_duration_ms, Some(250.12));
    assert!(r[0].is_cold());
    // Warm, space-separated, no prefix.
    assert_eq!((r[1].line, r[1].day, r[1].duration_ms), (7, None, 3.01));
    assert!(!r[1].is_cold());
    // SnapStart restore with XRAY trailer.
    assert_eq!(r[2].line, 8);
    assert_eq!(r[2].restore_duration_ms, Some(512.3));
    assert_eq!(r[2].init_duration_ms, None);
    assert_eq!(r[2].memory_size_mb, 512);
    assert!(r[2].is_cold());
    // Console export prefix.
    assert_eq!((r[3].line, r[3].day), (19, day("2023-11-27")));
    assert_eq!(r[3].init_duration_ms, Some(100.5));

    let w: Vec<(u64, &str)> = d
        .warnings
        .iter()
        .map(|w| (w.row, w.message.as_str()))
        .collect();
    let expect: [(u64, &str); 9] = [
        (9, "REPORT line has no `Billed Duration`"),
        (10, "Duration `12.x` is not a number"),
        (11, "Duration `-1` is negative"),
        (12, "Duration is NaN"),
        (13, "REPORT line has no `RequestId`"),
        (15, "REPORT line is not valid UTF-8"),
        (16, "Duration `1e400` is not finite"),
        (17, "Memory Size `99999999999` is not a whole number of MB"),
        (
            18,
            "Init Duration `250.12` has no unit (expected ms; truncated line?)",
        ),
    ];
    assert_eq!(w, expect);
}

#[test]
fn report_from_reader_file_and_empty_input() {
    let fixture = report_fixture();
    let a = read_report(&fixture, p()).unwrap();
    let b = read_report_from(&fixture[..], p()).unwrap();
    assert_eq!(a, b);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.txt");
    std::fs::write(&path, &fixture).unwrap();
    assert_eq!(read_report_file(&path).unwrap(), a);
    let empty = read_report(b"", p()).unwrap();
    assert_eq!((empty.diagnostics.rows_read, empty.records.len()), (0, 0));
    let missing = dir.path().join("nope.log");
    match read_report_file(&missing) {
        Err(e @ InputError::Io { .. }) => assert!(e.to_string().contains("nope.log"), "{e}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    // Line counting: CRLF and a trailing newline.
    let crlf = b"START RequestId: a\r\nREPORT RequestId: a Duration: 1 ms Billed Duration: 1 ms Memory Size: 128 MB Max Memory Used: 1 MB\r\n";
    let l = read_report(crlf, p()).unwrap();
    assert_eq!((l.diagnostics.rows_read, l.diagnostics.records), (2, 1));
    assert_eq!(l.records[0].line, 2);
}

#[test]
fn report_records_convert_to_observations() {
    let log = read_report(&report_fixture(), p()).unwrap();
    let o = Observations::from_reports(&log.records, ColdMetric::Init, true);
    assert_eq!(o.group_columns, ["memory_size_mb"]);
    assert_eq!(
        o.groups,
        [vec!["128".to_string()], vec!["1024".to_string()]]
    );
    let vals: Vec<(u32, f64)> = o.values.iter().map(|v| (v.group, v.value_ms)).collect();
    assert_eq!(vals, [(1, 250.12), (0, 100.5)]);
    let d = &o.diagnostics;
    assert_eq!((d.rows_read, d.records, d.ignored), (4, 2, 2));
    let r = Observations::from_reports(&log.records, ColdMetric::Restore, false);
    assert_eq!(r.groups, [Vec::<String>::new()]);
    assert_eq!(r.values.len(), 1);
    assert_eq!(r.values[0].value_ms, 512.3);
    assert_eq!(r.values[0].day, day("2023-11-28"));
}

/// Columns shuffled; memory in bytes (1 MB = 1,000,000 bytes in Logs Insights).
const INSIGHTS: &str = "\
packaging,@requestId,@duration,@initDuration,@billedDuration,@memorySize,@maxMemoryUsed,@timestamp,function
zip,r1,12.3,1250.5,13,1024000000,80000000,2023-11-27 19:00:01.123,perf_zip
zip,r2,3.1,,4,1024000000,81000000,2023-11-27 19:00:02.000,perf_zip
image,r3,20,2400.0,21,10240000000,300000000,2023-11-28 07:00:00.000,perf_image
image,r4,20,abc,21,10240000000,300000000,2023-11-28 07:00:01.000,perf_image
image,r5,20,100,21,1769000000,300000000,2023-11-28 07:00:01.000
image,r6,20,100,21,1769000000,300000000,yesterday,perf_image
image,r7,20,900 ms,21,1769,300,,perf_image
zip,r8,-3,100,21,1769000000,300000000,2023-11-28 07:00:01.000,perf_zip
";

#[test]
fn insights_bytes_to_mb_and_warnings() {
    let t = read_insights(INSIGHTS.as_bytes(), Path::new("insights.csv")).unwrap();
    assert_eq!(t.extra_columns, ["packaging", "function"]);
    let d = &t.diagnostics;
    assert_eq!(
        (d.rows_read, d.records, d.ignored, d.warning_count()),
        (8, 4, 0, 4)
    );
    let r = &t.records;
    assert_eq!(
        (r[0].row, r[0].memory_size_mb, r[0].max_memory_used_mb),
        (1, 1024, 80)
    );
    assert_eq!(r[0].init_duration_ms, Some(1250.5));
    assert_eq!(r[0].day, day("2023-11-27"));
    assert_eq!(r[0].extra, ["zip", "perf_zip"]);
    assert_eq!((r[1].init_duration_ms, r[1].duration_ms), (None, 3.1));
    assert_eq!(
        (r[2].memory_size_mb, r[2].max_memory_used_mb),
        (10_240, 300)
    );
    // Already in MB (below 100,000) and a trailing ` ms`, blank timestamp.
    assert_eq!(
        (r[3].row, r[3].memory_size_mb, r[3].max_memory_used_mb),
        (7, 1769, 300)
    );
    assert_eq!((r[3].init_duration_ms, r[3].day), (Some(900.0), None));
    let w: Vec<(u64, &str)> = d
        .warnings
        .iter()
        .map(|w| (w.row, w.message.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            (4, "@initDuration `abc` is not a number"),
            (5, "row has 8 fields, the header has 9"),
            (6, "@timestamp `yesterday` does not start with YYYY-MM-DD"),
            (8, "@duration `-3` is negative"),
        ]
    );

    let o =
        Observations::from_insights(&t, &["packaging".into(), "memory_size_mb".into()]).unwrap();
    assert_eq!(o.group_columns, ["packaging", "memory_size_mb"]);
    assert_eq!(
        group_keys(&o),
        [
            vec!["image", "1769"],
            vec!["image", "10240"],
            vec!["zip", "1024"]
        ]
    );
    assert_eq!(o.group_counts(), [1, 1, 1]);
    assert_eq!((o.diagnostics.records, o.diagnostics.ignored), (3, 1));
    let e = Observations::from_insights(&t, &["runtime".into()]).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("runtime") && m.contains("packaging, function"),
        "{m}"
    );
}

#[test]
fn insights_missing_column_is_a_file_error() {
    let csv = "@timestamp,@requestId,@initDuration,@duration,@memorySize,@maxMemoryUsed\n";
    let e = read_insights(csv.as_bytes(), Path::new("export.csv")).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, InputError::File { .. }), "{e:?}");
    assert!(
        m.contains("export.csv") && m.contains("`@billedDuration`") && m.contains("@duration"),
        "{m}"
    );
    let e = read_insights(b"", Path::new("empty.csv")).unwrap_err();
    assert!(e.to_string().contains("empty.csv"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.csv");
    std::fs::write(&path, INSIGHTS).unwrap();
    assert_eq!(read_insights_file(&path).unwrap().records.len(), 4);
}

const GENERIC: &str = "\
date,function,arch,import_time_us
2024-01-01,a,x86_64,1500
2024-01-02,b,arm64,2500
2024-01-03,a,arm64,abc
2024-01-04,a,x86_64,-5
2024-13-01,a,x86_64,100
2024-01-05,a,riscv,100
2024-01-06,a
2024-01-07,b,x86_64,1e3
";

#[test]
fn generic_mapping_units_filters_and_warnings() {
    let m = ColumnMapping::parse(
        "import_time_us",
        "function",
        Some("date"),
        &["arch=x86_64,arm64".into()],
    )
    .unwrap();
    assert_eq!(m.value_unit, ValueUnit::Us);
    let o = read_generic(GENERIC.as_bytes(), Path::new("g.csv"), &m).unwrap();
    let d = &o.diagnostics;
    assert_eq!(
        (d.rows_read, d.records, d.ignored, d.warning_count()),
        (8, 3, 1, 4)
    );
    assert_eq!(o.groups, [vec!["a".to_string()], vec!["b".to_string()]]);
    let v: Vec<(u32, f64)> = o.values.iter().map(|x| (x.group, x.value_ms)).collect();
    assert_eq!(v, [(0, 1.5), (1, 2.5), (1, 1.0)]);
    assert_eq!(o.values[2].day, day("2024-01-07"));
    let rows: Vec<u64> = d.warnings.iter().map(|w| w.row).collect();
    assert_eq!(rows, [3, 4, 5, 7]);
    assert_eq!(
        d.warnings[0].message,
        "import_time_us `abc` is not a number"
    );
    assert_eq!(
        d.warnings[2].message,
        "date `2024-13-01` does not start with a date YYYY-MM-DD"
    );
    // Explicit unit overrides the suffix.
    let s = ColumnMapping::parse("import_time_us:s", "", None, &[]).unwrap();
    let o = read_generic(GENERIC.as_bytes(), Path::new("g.csv"), &s).unwrap();
    assert_eq!(o.values[0].value_ms, 1_500_000.0);
    assert_eq!(o.groups, [Vec::<String>::new()]);
}

#[test]
fn generic_unknown_column_lists_the_columns() {
    let m = ColumnMapping::parse("init_ms", "function", None, &[]).unwrap();
    let e = read_generic(GENERIC.as_bytes(), Path::new("g.csv"), &m).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("g.csv")
            && s.contains("`init_ms`")
            && s.contains("date, function, arch, import_time_us"),
        "{s}"
    );
    let m = ColumnMapping::parse("import_time_us", "", None, &["runtime=py".into()]).unwrap();
    assert!(
        read_generic(GENERIC.as_bytes(), Path::new("g.csv"), &m)
            .unwrap_err()
            .to_string()
            .contains("`runtime`")
    );
    let e = ColumnMapping::parse("x", "", None, &["arch".into()]).unwrap_err();
    assert!(e.to_string().contains("COLUMN=VALUE1,VALUE2"), "{e}");
}

#[test]
fn generic_lambda_perf_counts() {
    let path = common::data("lambda-perf/python-init-durations-2022-2024.csv.gz");
    let all = ColumnMapping::parse("init_duration_ms", "", Some("date"), &[]).unwrap();
    let o = read_generic_file(&path, &all).unwrap();
    assert_eq!(o.diagnostics.rows_read, 390_759);
    assert_eq!(o.values.len(), 390_759);
    assert_eq!(o.diagnostics.warning_count(), 0);
    // First row: 2022-09-04,python38,3.8,zip,128,x86_64,0,113.89
    assert_eq!(o.values[0].value_ms, 113.89);
    assert_eq!(o.values[0].day, day("2022-09-04"));
    let last = o.values.iter().filter_map(|v| v.day).max();
    assert_eq!(last, day("2024-12-31"));

    let m = ColumnMapping::parse(
        "init_duration_ms",
        "packaging,arch",
        Some("date"),
        &["python_version=3.12".into()],
    )
    .unwrap();
    let o = read_generic_file(&path, &m).unwrap();
    assert_eq!(
        group_keys(&o),
        [
            vec!["image", "arm64"],
            vec!["image", "x86_64"],
            vec!["zip", "arm64"],
            vec!["zip", "x86_64"]
        ]
    );
    // Counted independently with Python's csv module.
    assert_eq!(o.group_counts(), [14_595, 14_603, 14_597, 14_596]);
    let d = &o.diagnostics;
    assert_eq!(d.records + d.ignored, 390_759);
    // Mean of zip x86_64 (Python: 96.41857700739922 ms over 14,596 rows), to 1e-9 relative.
    let zx = o.group_index(&["zip", "x86_64"]).unwrap();
    let mean = o.group_values(zx).sum::<f64>() / 14_596.0;
    assert!((mean / 96.418_577_007_399_22 - 1.0).abs() < 1e-9, "{mean}");
    // 3.12 rows run 2023-12-20 .. 2024-12-31 (365 distinct days, per Python).
    let days: std::collections::BTreeSet<Day> = o.values.iter().filter_map(|v| v.day).collect();
    assert_eq!(days.len(), 365);
    assert_eq!(days.first().copied(), day("2023-12-20"));
}

/// A hand-built tree:
/// ```text
/// _frozen_importlib_external (0) ← _io (1), marshal (1)
/// top (0) ← a1 (1) ← b2 (2) ← c3 (3);  a1 ← b3 (2)
/// ```
const IMPORTTIME: &str = "\
import time: self [us] | cumulative | imported package
import time:       274 |        274 |   _io
import time:        40 |         40 |   marshal
import time:       777 |       1091 | _frozen_importlib_external
import time:        10 |         10 |       c3
import time:        20 |         30 |     b2
import time:         5 |          5 |     b3
import time:       100 |        135 |   a1
import time:        50 |        185 | top
2023-11-27T19:00:00.000Z INIT_START Runtime Version: python:3.9.v30
2023-11-27T19:00:00.100Z\timport time: self [us] | cumulative | imported package
2023-11-27T19:00:00.100Z\timport time:        12 |         12 |   x
2023-11-27T19:00:00.100Z\timport time: garbage | 1 | y
2023-11-27T19:00:00.100Z\timport time:   1 |   2 |    odd
START RequestId: 1 Version: $LATEST
INIT_START Runtime Version: python:3.9.v30
import time:         3 |          3 | solo
";

fn parents(t: &ImportTrace) -> Vec<Option<u32>> {
    t.events.iter().map(|e| e.parent).collect()
}

#[test]
fn importtime_text_tree_and_boundaries() {
    let tr = read_importtime_text(IMPORTTIME.as_bytes(), Path::new("it.log")).unwrap();
    let d = &tr.diagnostics;
    assert_eq!(
        (d.rows_read, d.records, d.ignored, d.warning_count()),
        (17, 10, 5, 2)
    );
    assert_eq!(
        d.warnings.iter().map(|w| w.row).collect::<Vec<_>>(),
        [13, 14]
    );
    assert_eq!(
        d.warnings[1].message,
        "import time line: indentation of 3 spaces is not a multiple of 2"
    );
    assert_eq!(tr.traces.len(), 3);
    let t = &tr.traces[0];
    assert_eq!(t.key, ["1"]);
    let names: Vec<&str> = t.events.iter().map(|e| e.module.as_str()).collect();
    assert_eq!(
        names,
        [
            "_io",
            "marshal",
            "_frozen_importlib_external",
            "c3",
            "b2",
            "b3",
            "a1",
            "top"
        ]
    );
    assert_eq!(
        t.events.iter().map(|e| e.depth).collect::<Vec<_>>(),
        [1, 1, 0, 3, 2, 2, 1, 0]
    );
    assert_eq!(
        parents(t),
        [
            Some(2),
            Some(2),
            None,
            Some(4),
            Some(6),
            Some(6),
            Some(7),
            None
        ]
    );
    assert!(!t.truncated && t.self_known && t.orphans == 0);
    // Second trace: after INIT_START and a header, cut short at depth 1.
    let t2 = &tr.traces[1];
    assert_eq!(
        (t2.key[0].as_str(), t2.events.len(), t2.truncated),
        ("2", 1, true)
    );
    assert_eq!(t2.events[0].module, "x");
    // Third: INIT_START without a header still starts a trace.
    assert_eq!(tr.traces[2].events[0].module, "solo");
    assert_eq!(tr.notes.len(), 1);
    assert!(tr.notes[0].contains("truncated"), "{:?}", tr.notes);
    // Conservation in the hand tree is exact: cumulative = self + children's cumulative.
    for (i, e) in t.events.iter().enumerate() {
        let kids: u64 = t
            .events
            .iter()
            .filter(|c| c.parent == Some(i as u32))
            .map(|c| c.cumulative_us)
            .sum();
        assert_eq!(e.cumulative_us, e.self_us + kids, "{}", e.module);
    }
}

const PROFILE: &str = "\
function_name,packaging,memory_mb,log_stream,line_no,self_us,cumulative_us,depth,module
f,zip,1024,s1,3,777,1091,0,_frozen_importlib_external
f,zip,1024,s1,1,274,274,1,_io
f,zip,1024,s1,2,40,40,1,marshal
g,image,1024,s2,1,10,10,2,c
g,image,1024,s2,2,x,20,1,b
g,image,1024,s2,3,20,30,1,b
";

#[test]
fn importtime_profile_csv_sorted_by_line_and_truncated() {
    let tr = read_importtime_profiles(PROFILE.as_bytes(), Path::new("prof.csv")).unwrap();
    assert_eq!(
        tr.key_columns,
        ["function_name", "packaging", "memory_mb", "log_stream"]
    );
    let d = &tr.diagnostics;
    assert_eq!((d.rows_read, d.records, d.warning_count()), (6, 5, 1));
    assert_eq!(d.warnings[0].row, 5);
    assert_eq!(d.warnings[0].message, "self_us `x` is not a number");
    assert_eq!(tr.traces.len(), 2);
    let t = &tr.traces[0];
    assert_eq!(t.key, ["f", "zip", "1024", "s1"]);
    let names: Vec<&str> = t.events.iter().map(|e| e.module.as_str()).collect();
    assert_eq!(names, ["_io", "marshal", "_frozen_importlib_external"]);
    assert_eq!(parents(t), [Some(2), Some(2), None]);
    assert!(!t.truncated);
    let g = &tr.traces[1];
    assert!(g.truncated);
    assert_eq!(parents(g), [Some(1), None]);
    // Missing column.
    let e = read_importtime_profiles(b"module,self_us,depth\n", Path::new("bad.csv")).unwrap_err();
    assert!(e.to_string().contains("`cumulative_us`"), "{e}");
    // Content sniffing picks the same reader.
    assert_eq!(
        read_importtime_any(PROFILE.as_bytes(), Path::new("prof.csv")).unwrap(),
        tr
    );
}

#[test]
fn import_tables_one_time_per_module() {
    let csv = "function_name,packaging,python_version,order,module,import_time_us\n\
               f,zip,3.9,1,numpy,939036\nf,zip,3.9,0,site,15472\nh,image,3.9,0,numpy,12.5\n";
    let tr = read_import_table(csv.as_bytes(), Path::new("top.csv")).unwrap();
    assert_eq!(
        tr.key_columns,
        ["function_name", "packaging", "python_version"]
    );
    assert_eq!(tr.traces.len(), 2);
    let t = &tr.traces[0];
    assert!(!t.self_known);
    assert_eq!(t.events[0].module, "site");
    assert_eq!(
        (
            t.events[1].cumulative_us,
            t.events[1].depth,
            t.events[1].parent
        ),
        (939_036, 0, None)
    );
    assert_eq!(tr.traces[1].events[0].cumulative_us, 13); // 12.5 µs rounded
    let costs = module_costs(&tr.traces, &[1]);
    let numpy_zip = costs
        .iter()
        .find(|c| c.group == ["zip"] && c.module == "numpy")
        .unwrap();
    assert_eq!(numpy_zip.cumulative_ms_median, 939.036);
    assert_eq!(numpy_zip.self_ms_median, None);
}

#[test]
fn real_import_tables() {
    let top = common::data("datasci-perf/importtime_toplevel_2023-11-23_us.csv");
    let tr = read_import_table_file(&top).unwrap();
    let d = &tr.diagnostics;
    assert_eq!((d.rows_read, d.records, d.warning_count()), (235, 235, 0));
    assert_eq!(tr.traces.len(), 8);
    let z = tr
        .find(&["perf_zip_Python39_import_measure", "zip", "3.9"])
        .unwrap();
    assert_eq!(z.events.len(), 30);
    assert_eq!(z.events[0].module, "_frozen_importlib_external");
    assert_eq!(z.events[11].module, "numpy");
    assert_eq!(z.events[11].cumulative_us, 939_036);

    let measure = common::data("datasci-perf/import_measure_2023-11-24_us.csv");
    let tr = read_import_table_file(&measure).unwrap();
    assert_eq!(tr.diagnostics.records, 60);
    assert_eq!(tr.diagnostics.warning_count(), 0);
    let z = tr
        .find(&["perf_zip_Python39_import_measure", "zip", "3.9"])
        .unwrap();
    // Per-module file, first rows: numpy 834658.898 µs, pandas 3097687.964 µs (rounded).
    assert_eq!(z.events[0].module, "numpy");
    assert_eq!(z.events[0].cumulative_us, 834_659);
    assert_eq!(z.events[1].cumulative_us, 3_097_688);
}

/// cumulative − self − Σ children's cumulative, µs. CPython rounds each printed time up
/// (`_PyTime_ROUND_CEILING`) from exact values where cumulative = self + Σ children, so with k
/// children the printed difference lies in [−k, 0].
fn residual(t: &ImportTrace, i: usize) -> (i64, i64) {
    let e = &t.events[i];
    let kids: Vec<_> = t
        .events
        .iter()
        .filter(|c| c.parent == Some(i as u32))
        .collect();
    let sum: i64 = kids.iter().map(|c| c.cumulative_us as i64).sum();
    (
        e.cumulative_us as i64 - e.self_us as i64 - sum,
        kids.len() as i64,
    )
}

#[test]
fn real_importtime_profiles_tree() {
    let path = common::data("datasci-perf/importtime_profiles_2023-12-08_us.csv");
    let tr = read_importtime_profiles_file(&path).unwrap();
    let d = &tr.diagnostics;
    assert_eq!(
        (d.rows_read, d.records, d.warning_count()),
        (9_794, 9_794, 0)
    );
    assert_eq!(
        tr.key_columns,
        [
            "function_name",
            "packaging",
            "python_version",
            "memory_mb",
            "log_stream"
        ]
    );
    assert_eq!(tr.traces.len(), 12);
    // Only the zip 1024 and 3538 MB streams end at depth 0; the image and zip_layers streams
    // (and zip 1769, 10240) were cut short by the export's row limit.
    let complete: Vec<&str> = tr
        .traces
        .iter()
        .filter(|t| !t.truncated)
        .map(|t| t.key[0].as_str())
        .collect();
    assert_eq!(
        complete,
        ["perf_zip_Python39_3538", "perf_zip_Python39_1024"]
    ); // file order
    // Streams whose lines are in print order: no orphans, and conservation holds at every
    // event within [−k, 0] µs (checked independently with a Python script).
    for name in [
        "perf_zip_Python39_1024",
        "perf_zip_layers_Python39_10240",
        "perf_image_Python39_1024",
    ] {
        let t = tr.find(&[name]).unwrap();
        assert_eq!(t.orphans, 0, "{name}");
        for i in 0..t.events.len() {
            let (r, k) = residual(t, i);
            assert!(
                (-k..=0).contains(&r),
                "{name} {}: {r} with {k} children",
                t.events[i].module
            );
        }
    }
    // Other streams have lines out of order: orphans are reported.
    assert_eq!(tr.find(&["perf_zip_Python39_1769"]).unwrap().orphans, 175);
    assert!(
        tr.notes
            .iter()
            .any(|n| n.contains("perf_zip_Python39_1769") && n.contains("175"))
    );

    let t = tr
        .find(&["perf_zip_Python39_10240", "zip", "3.9", "10240"])
        .unwrap();
    let pd = t.events.iter().position(|e| e.module == "pandas").unwrap();
    assert_eq!(t.events[pd].depth, 0);
    let (r, k) = residual(t, pd);
    assert_eq!(k, 14);
    assert!((-k..=0).contains(&r), "pandas residual {r} µs");
    assert_eq!(
        (t.events[pd].self_us, t.events[pd].cumulative_us),
        (2_818, 1_715_046)
    );
    // numpy is imported by the handler before pandas (a top-level import), so it is not in
    // pandas' subtree; pandas.core.frame is an indirect child.
    let np = t.events.iter().position(|e| e.module == "numpy").unwrap();
    assert!(np < pd && t.events[np].parent.is_none() && t.events[np].depth == 0);
    let ancestors = |mut i: usize| {
        let mut out = Vec::new();
        while let Some(p) = t.events[i].parent {
            i = p as usize;
            out.push(t.events[i].module.as_str());
        }
        out
    };
    let clean = tr.find(&["perf_zip_Python39_1024"]).unwrap();
    let frame = clean
        .events
        .iter()
        .position(|e| e.module == "pandas.core.frame")
        .unwrap();
    let mut i = frame;
    let mut chain = Vec::new();
    while let Some(p) = clean.events[i].parent {
        i = p as usize;
        chain.push(clean.events[i].module.as_str());
    }
    assert_eq!(chain.last(), Some(&"pandas"), "{chain:?}");
    assert!(chain.len() >= 2, "{chain:?}");
    assert!(ancestors(np).is_empty());

    // Module costs by packaging: pandas appears in the 4 zip streams; its direct imports
    // include pandas.core.api.
    let costs = module_costs(&tr.traces, &[1]);
    let pz = costs
        .iter()
        .find(|c| c.group == ["zip"] && c.module == "pandas")
        .unwrap();
    assert_eq!(pz.n, 4);
    assert!(pz.imports.iter().any(|m| m == "pandas.core.api"));
    assert!(pz.imports.windows(2).all(|w| w[0] < w[1]));
    // Median of 4 cumulative times (1,680,332 1,530,139 1,746,791 1,715,046 µs) =
    // (1,680,332 + 1,715,046) / 2 µs.
    assert_eq!(
        pz.cumulative_ms_median,
        (1_680_332.0 + 1_715_046.0) / 2.0 / 1e3
    );
    let sorted = costs
        .windows(2)
        .all(|w| (&w[0].group, &w[0].module) < (&w[1].group, &w[1].module));
    assert!(sorted);
}
