//! Property tests of the measurement readers: arbitrary bytes and arbitrary mutations of
//! valid fixtures never panic, and every row is accounted for
//! (`records + ignored + warnings == rows_read`).

use std::path::Path;

use coldsim::calibrate::Diagnostics;
use coldsim::calibrate::read::generic::{ColdMetric, ColumnMapping, Observations, read_generic};
use coldsim::calibrate::read::imports::module_costs;
use coldsim::calibrate::read::importtime::{
    read_import_table, read_importtime_any, read_importtime_profiles, read_importtime_text,
};
use coldsim::calibrate::read::insights::read_insights;
use coldsim::calibrate::read::report::read_report;
use proptest::prelude::*;

const REPORT: &str = "2023-11-27T19:00:01.123Z\tSTART RequestId: a Version: $LATEST\n\
2023-11-27T19:00:01.300Z\tREPORT RequestId: a\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\tInit Duration: 250.12 ms\t\n\
REPORT RequestId: b Duration: 3.01 ms Billed Duration: 4 ms Memory Size: 1024 MB Max Memory Used: 81 MB\n\
REPORT RequestId: c\tDuration: 5.5 ms\tBilled Duration: 306 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 512.3 ms\tBilled Restore Duration: 300 ms\tXRAY TraceId: 1-2\tSegmentId: 3\tSampled: true\n\
\n\
END RequestId: c\n";

const INSIGHTS: &str = "@timestamp,@requestId,@initDuration,@duration,@billedDuration,@memorySize,@maxMemoryUsed,function\n\
2023-11-27 19:00:01.123,r1,1250.5,12.3,13,1024000000,80000000,f\n\
2023-11-27 19:00:02.000,r2,,3.1,4,1024000000,81000000,f\n\
2023-11-28 07:00:00.000,r3,2400.0,20,21,10240000000,300000000,g\n";

const GENERIC: &str = "date,runtime,python_version,packaging,memory_mb,arch,sample_idx,init_duration_ms\n\
2022-09-04,python38,3.8,zip,128,x86_64,0,113.89\n\
2022-09-04,python38,3.8,zip,128,arm64,1,119.28\n\
2024-12-31,python312,3.12,image,1024,x86_64,9,301.5\n";

const TEXT: &str = "import time: self [us] | cumulative | imported package\n\
import time:       274 |        274 |   _io\n\
import time:       777 |       1051 | _frozen_importlib_external\n\
import time:        10 |         10 |     c\n\
import time:        20 |         30 |   b\n\
import time:        50 |         80 | a\n";

const PROFILE: &str = "function_name,packaging,memory_mb,log_stream,line_no,self_us,cumulative_us,depth,module\n\
f,zip,1024,s1,1,274,274,1,_io\n\
f,zip,1024,s1,2,777,1051,0,_frozen_importlib_external\n\
g,image,1024,s2,1,10,10,2,c\n\
g,image,1024,s2,2,20,30,1,b\n";

const TABLE: &str = "function_name,packaging,python_version,order,module,import_time_us\n\
f,zip,3.9,0,site,15472\n\
f,zip,3.9,1,numpy,939036\n";

/// Every row is a record, ignored, or carries exactly one warning.
fn accounted(d: &Diagnostics) -> bool {
    d.records + d.ignored + d.warning_count() == d.rows_read
}

/// Applies edits (position, operation, byte) to `base`: delete, duplicate, replace, insert.
fn mutate(base: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut m = base.as_bytes().to_vec();
    for &(pos, op, byte) in edits {
        if m.is_empty() {
            m.push(byte);
            continue;
        }
        let pos = pos % m.len();
        match op % 4 {
            0 => {
                m.remove(pos);
            }
            1 => m.insert(pos, m[pos]),
            2 => m[pos] = byte,
            _ => m.insert(pos, byte),
        }
    }
    m
}

/// Bytes biased to what matters to the parsers.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"0123456789.-e:,|\t\n\r \"@MBmsREPORTNaNinf_=".to_vec()),
        1 => any::<u8>(),
    ]
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), byte()), 1..8)
}

fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    let p = Path::new("prop.txt");
    let log = read_report(bytes, p).expect("text readers never fail on bytes");
    prop_assert!(accounted(&log.diagnostics), "report {}", log.diagnostics);
    prop_assert_eq!(log.records.len() as u64, log.diagnostics.records);
    for r in &log.records {
        prop_assert!(r.duration_ms.is_finite() && r.duration_ms >= 0.0);
        prop_assert!(r.init_duration_ms.is_none_or(|v| v.is_finite() && v >= 0.0));
    }
    let o = Observations::from_reports(&log.records, ColdMetric::Init, true);
    prop_assert!(accounted(&o.diagnostics));

    if let Ok(t) = read_insights(bytes, p) {
        prop_assert!(accounted(&t.diagnostics), "insights {}", t.diagnostics);
        prop_assert!(
            t.records
                .iter()
                .all(|r| r.extra.len() == t.extra_columns.len())
        );
        let cols: Vec<String> = t.extra_columns.clone();
        if let Ok(o) = Observations::from_insights(&t, &cols) {
            prop_assert!(accounted(&o.diagnostics));
        }
    }

    let m = ColumnMapping::parse(
        "init_duration_ms",
        "packaging,arch",
        Some("date"),
        &["python_version=3.8,3.12".to_string()],
    )
    .unwrap();
    if let Ok(o) = read_generic(bytes, p, &m) {
        prop_assert!(accounted(&o.diagnostics), "generic {}", o.diagnostics);
        prop_assert_eq!(o.values.len() as u64, o.diagnostics.records);
        prop_assert!(o.values.iter().all(|v| (v.group as usize) < o.groups.len()
            && v.value_ms.is_finite()
            && v.value_ms >= 0.0));
        prop_assert!(o.groups.iter().all(|g| g.len() == 2));
    }

    let tr = read_importtime_text(bytes, p).expect("text readers never fail on bytes");
    prop_assert!(accounted(&tr.diagnostics), "importtime {}", tr.diagnostics);
    for parsed in [
        read_importtime_profiles(bytes, p),
        read_import_table(bytes, p),
        read_importtime_any(bytes, p),
    ]
    .into_iter()
    .flatten()
    {
        prop_assert!(
            accounted(&parsed.diagnostics),
            "import csv {}",
            parsed.diagnostics
        );
        let events: usize = parsed.traces.iter().map(|t| t.events.len()).sum();
        prop_assert_eq!(events as u64, parsed.diagnostics.records);
        for t in &parsed.traces {
            for (i, e) in t.events.iter().enumerate() {
                if let Some(q) = e.parent {
                    // A parent is printed after its child, one level up.
                    prop_assert!((q as usize) > i && t.events[q as usize].depth + 1 == e.depth);
                }
            }
        }
        let _ = module_costs(&parsed.traces, &[0, 1, 7]);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_all(&bytes)?;
    }

    #[test]
    fn biased_bytes_never_panic(bytes in prop::collection::vec(byte(), 0..400)) {
        check_all(&bytes)?;
    }

    #[test]
    fn mutated_report_log(e in edits()) {
        check_all(&mutate(REPORT, &e))?;
    }

    #[test]
    fn mutated_insights_csv(e in edits()) {
        check_all(&mutate(INSIGHTS, &e))?;
    }

    #[test]
    fn mutated_generic_csv(e in edits()) {
        check_all(&mutate(GENERIC, &e))?;
    }

    #[test]
    fn mutated_importtime_text(e in edits()) {
        check_all(&mutate(TEXT, &e))?;
    }

    #[test]
    fn mutated_importtime_profile(e in edits()) {
        check_all(&mutate(PROFILE, &e))?;
    }

    #[test]
    fn mutated_import_table(e in edits()) {
        check_all(&mutate(TABLE, &e))?;
    }
}

/// Valid fixtures are read whole: the invariant is not met by skipping everything.
#[test]
fn unmutated_fixtures_have_no_warnings() {
    let p = Path::new("fixture");
    let r = read_report(REPORT.as_bytes(), p).unwrap();
    assert_eq!(
        (
            r.diagnostics.records,
            r.diagnostics.ignored,
            r.diagnostics.warning_count()
        ),
        (3, 3, 0)
    );
    let t = read_insights(INSIGHTS.as_bytes(), p).unwrap();
    assert_eq!(
        (t.diagnostics.records, t.diagnostics.warning_count()),
        (3, 0)
    );
    let m = ColumnMapping::parse(
        "init_duration_ms",
        "packaging,arch",
        Some("date"),
        &["python_version=3.8,3.12".to_string()],
    )
    .unwrap();
    let g = read_generic(GENERIC.as_bytes(), p, &m).unwrap();
    assert_eq!(
        (g.diagnostics.records, g.diagnostics.warning_count()),
        (3, 0)
    );
    let i = read_importtime_text(TEXT.as_bytes(), p).unwrap();
    assert_eq!(
        (
            i.diagnostics.records,
            i.diagnostics.ignored,
            i.diagnostics.warning_count()
        ),
        (5, 1, 0)
    );
    let pr = read_importtime_profiles(PROFILE.as_bytes(), p).unwrap();
    assert_eq!((pr.diagnostics.records, pr.traces.len()), (4, 2));
    let tb = read_import_table(TABLE.as_bytes(), p).unwrap();
    assert_eq!((tb.diagnostics.records, tb.traces.len()), (2, 1));
}
