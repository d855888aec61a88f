//! A function's event sources as `[[traffic]]` tables, with the invocation kinds agreed for
//! the simulator (`invocation = "sync" | "async" | "sqs" | "stream"`, and `kind =
//! "schedule"`): API Gateway (`Api`, `HttpApi`) and function URLs call synchronously; S3,
//! SNS and EventBridge rules asynchronously (Lambda's internal queue); SQS through an event
//! source mapping (`BatchSize` default 10, `MaximumBatchingWindowInSeconds` default 0,
//! `ScalingConfig.MaximumConcurrency`); Kinesis and DynamoDB streams through one
//! (`BatchSize` default 100, `ParallelizationFactor` default 1); `Schedule` and `ScheduleV2`
//! with `rate(...)` or `cron(...)` become a schedule (AWS Lambda Developer Guide, "Invoking
//! Lambda with events from other AWS services"; SAM specification, "EventSource").
//!
//! How often a request or message comes is not in a template: such tables get a rate
//! marked PLACEHOLDER. An event type with no mapping is a warning, not an error.

use super::draft::{Origin, Table, duration_text, lit};
use super::intrinsic::refers_to;
use super::template::{Func, Template};
use super::yaml::Node;

/// The placeholder request rate, per second.
pub const PLACEHOLDER_RATE_PER_S: f64 = 1.0;

/// Event types invoked asynchronously.
const ASYNC_TYPES: [&str; 4] = ["S3", "SNS", "EventBridgeRule", "CloudWatchEvent"];

/// The traffic tables of `f` and warnings for events that could not be mapped.
pub fn traffic_tables(t: &Template, f: &Func) -> (Vec<Table>, Vec<String>) {
    let mut tables = Vec::new();
    let mut warnings = Vec::new();
    let events = f.props.and_then(|p| p.get("Events"));
    for (name, ev) in events.map(Node::entries).unwrap_or_default() {
        let label = format!("{}.Properties.Events.{name}", f.id);
        match sam_event(t, f, &label, ev) {
            Ok(table) => tables.push(table),
            Err(w) => warnings.push(format!("{} line {}: {label}: {w}", t.file, ev.line)),
        }
    }
    if let Some((n, label)) = t.prop(f, "FunctionUrlConfig").filter(|_| f.sam) {
        tables.push(sync(t, f, n.line, &format!("{label}: a function URL")));
    }
    tables.extend(cloudformation_sources(t, f));
    if tables.is_empty() && warnings.is_empty() {
        let mut table = sync(
            t,
            f,
            f.line(),
            &format!("{}: no event source in the template", f.id),
        );
        table
            .notes
            .push("No event source found: a placeholder synchronous caller.".into());
        tables.push(table);
    }
    (tables, warnings)
}

/// One SAM event; `Err` says why it was not imported.
fn sam_event(t: &Template, f: &Func, label: &str, ev: &Node) -> Result<Table, String> {
    let ty = ev.get("Type").and_then(Node::scalar).ok_or("no Type")?;
    let props = ev.get("Properties");
    let what = format!("{label} (Type: {ty})");
    match ty {
        "Api" | "HttpApi" => Ok(sync(t, f, ev.line, &what)),
        _ if ASYNC_TYPES.contains(&ty) => Ok(asynchronous(t, f, ev.line, &what)),
        "SQS" => Ok(sqs(t, f, ev.line, &what, props)),
        "Kinesis" | "DynamoDB" => Ok(stream(t, f, ev.line, &what, props)),
        "Schedule" | "ScheduleV2" => {
            let key = if ty == "Schedule" {
                "Schedule"
            } else {
                "ScheduleExpression"
            };
            let expr = props.and_then(|p| p.get(key)).ok_or(format!("no {key}"))?;
            schedule(t, f, &what, expr, &format!("{label}.Properties.{key}"))
        }
        other => Err(format!(
            "event type {other} has no mapping to an invocation kind; not imported"
        )),
    }
}

/// A synchronous caller at the placeholder rate.
fn sync(t: &Template, f: &Func, line: usize, what: &str) -> Table {
    let mut table = placeholder(t, f, line, what);
    table.set(
        "invocation",
        lit("sync"),
        Origin::at(&t.file, line, format!("{what}: a synchronous caller")),
    );
    table
}

/// An asynchronous caller at the placeholder rate, with the function's
/// `EventInvokeConfig` when it has one.
fn asynchronous(t: &Template, f: &Func, line: usize, what: &str) -> Table {
    let mut table = placeholder(t, f, line, what);
    table.set(
        "invocation",
        lit("async"),
        Origin::at(
            &t.file,
            line,
            format!("{what}: invoked asynchronously (Lambda's event queue)"),
        ),
    );
    if let Some((cfg, label)) = t.prop(f, "EventInvokeConfig") {
        if let Some(n) = cfg.get("MaximumRetryAttempts")
            && let Some(v) = t
                .value_at(
                    n,
                    &format!("{label}.MaximumRetryAttempts"),
                    (None, "2"),
                    |s| s.parse::<i64>().ok().map(Some),
                )
                .ok()
            && let Some(r) = v.value
        {
            table.set("async.max_retries", lit(r), v.origin);
        }
        if let Some(n) = cfg.get("MaximumEventAgeInSeconds")
            && let Some(v) = t
                .value_at(
                    n,
                    &format!("{label}.MaximumEventAgeInSeconds"),
                    (None, "6h"),
                    |s| s.parse::<f64>().ok().map(Some),
                )
                .ok()
            && let Some(s) = v.value
        {
            table.set("async.max_event_age", lit(duration_text(s)), v.origin);
        }
        if let Some(n) = cfg
            .get("DestinationConfig")
            .and_then(|d| d.get("OnFailure"))
        {
            table.set(
                "async.on_failure",
                lit("destination"),
                Origin::at(
                    &t.file,
                    n.line,
                    format!("{label}.DestinationConfig.OnFailure"),
                ),
            );
        }
    }
    table
}

/// An SQS event source mapping.
fn sqs(t: &Template, f: &Func, line: usize, what: &str, props: Option<&Node>) -> Table {
    let mut table = placeholder(t, f, line, what);
    table.set(
        "invocation",
        lit("sqs"),
        Origin::at(
            &t.file,
            line,
            format!("{what}: an SQS event source mapping"),
        ),
    );
    let prefix = format!("{}.Properties", what.split(" (").next().unwrap_or(what));
    int_key(
        t,
        &mut table,
        props,
        ("BatchSize", "sqs.batch_size"),
        (10, "10"),
        &prefix,
        line,
    );
    window(t, &mut table, props, "sqs.batching_window", &prefix, line);
    if let Some(n) = props
        .and_then(|p| p.get("ScalingConfig"))
        .and_then(|s| s.get("MaximumConcurrency"))
        && let Ok(v) = t.value_at(
            n,
            &format!("{prefix}.ScalingConfig.MaximumConcurrency"),
            (None, "none"),
            |s| s.parse::<i64>().ok().map(Some),
        )
        && let Some(c) = v.value
    {
        table.set("sqs.maximum_concurrency", lit(c), v.origin);
    }
    table
}

/// A Kinesis or DynamoDB stream event source mapping.
fn stream(t: &Template, f: &Func, line: usize, what: &str, props: Option<&Node>) -> Table {
    let mut table = placeholder(t, f, line, what);
    table.set(
        "invocation",
        lit("stream"),
        Origin::at(
            &t.file,
            line,
            format!("{what}: a stream event source mapping"),
        ),
    );
    let prefix = format!("{}.Properties", what.split(" (").next().unwrap_or(what));
    int_key(
        t,
        &mut table,
        props,
        ("BatchSize", "stream.batch_size"),
        (100, "100"),
        &prefix,
        line,
    );
    int_key(
        t,
        &mut table,
        props,
        ("ParallelizationFactor", "stream.parallelization_factor"),
        (1, "1"),
        &prefix,
        line,
    );
    window(
        t,
        &mut table,
        props,
        "stream.batching_window",
        &prefix,
        line,
    );
    table
}

/// An integer sub-table key from property `prop`, or AWS's default.
fn int_key(
    t: &Template,
    table: &mut Table,
    props: Option<&Node>,
    (prop, key): (&str, &str),
    default: (i64, &str),
    prefix: &str,
    line: usize,
) {
    let fact = match props.and_then(|p| p.get(prop)) {
        Some(n) => t
            .value_at(n, &format!("{prefix}.{prop}"), default, |s| s.parse().ok())
            .ok(),
        None => None,
    };
    match fact {
        Some(f) => table.set(key, lit(f.value), f.origin),
        None => table.set(
            key,
            lit(default.0),
            Origin::at(
                &t.file,
                line,
                format!("no {prop}: AWS default {}", default.1),
            ),
        ),
    }
}

/// `MaximumBatchingWindowInSeconds` as a duration (default 0 s).
fn window(
    t: &Template,
    table: &mut Table,
    props: Option<&Node>,
    key: &str,
    prefix: &str,
    line: usize,
) {
    let prop = "MaximumBatchingWindowInSeconds";
    let fact = props.and_then(|p| p.get(prop)).and_then(|n| {
        t.value_at(n, &format!("{prefix}.{prop}"), (0.0, "0 s"), |s| {
            s.parse().ok()
        })
        .ok()
    });
    match fact {
        Some(f) => table.set(key, lit(duration_text(f.value)), f.origin),
        None => table.set(
            key,
            lit("0s"),
            Origin::at(&t.file, line, format!("no {prop}: AWS default 0 s")),
        ),
    }
}

/// A traffic table with the placeholder Poisson rate.
fn placeholder(t: &Template, f: &Func, line: usize, what: &str) -> Table {
    let mut table = t.traffic_table(f, line, what);
    table.set(
        "kind",
        lit("poisson"),
        Origin::importer("requests at random times (Poisson)"),
    );
    table.set(
        "rate",
        lit(PLACEHOLDER_RATE_PER_S),
        Origin::importer(
            "PLACEHOLDER, edit: a template does not say how often this source calls \
             (requests per second; coldsim import logs measures it)",
        ),
    );
    table
}

/// A schedule from a `rate(...)` or `cron(...)` expression.
fn schedule(t: &Template, f: &Func, what: &str, expr: &Node, label: &str) -> Result<Table, String> {
    let (text, how) = t.scope.resolve(expr)?;
    let origin = Origin::at(
        &t.file,
        expr.line,
        match how {
            Some(h) => format!("{label} = {h}: {text}"),
            None => format!("{label}: {text}"),
        },
    );
    let mut table = t.traffic_table(f, expr.line, what);
    table.set("kind", lit("schedule"), origin.clone());
    match parse_schedule(&text)? {
        ScheduleExpr::Every(s) => table.set("every", lit(s), origin.clone()),
        ScheduleExpr::Cron(c) => table.set("cron", lit(c), origin.clone()),
    }
    table.set(
        "invocation",
        lit("async"),
        Origin::at(
            &t.file,
            expr.line,
            "EventBridge invokes a schedule's target asynchronously",
        ),
    );
    Ok(table)
}

/// A schedule expression as the scenario writes it.
#[derive(Debug, PartialEq)]
pub enum ScheduleExpr {
    /// `every = "5m"`.
    Every(String),
    /// `cron = "0 12 * * ? *"`.
    Cron(String),
}

/// `rate(5 minutes)` or `cron(0 12 * * ? *)`; `at(...)` and anything else are refused.
pub fn parse_schedule(text: &str) -> Result<ScheduleExpr, String> {
    let text = text.trim();
    if let Some(body) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let (n, unit) = body
            .trim()
            .split_once(' ')
            .ok_or(format!("\"{text}\": expected rate(N unit)"))?;
        let n: u64 = n
            .parse()
            .map_err(|_| format!("\"{text}\": {n} is not a whole number"))?;
        let seconds = match unit.trim() {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3600,
            "day" | "days" => 86_400,
            u => {
                return Err(format!(
                    "\"{text}\": unknown unit {u} (minutes, hours or days)"
                ));
            }
        };
        return Ok(ScheduleExpr::Every(duration_text((n * seconds) as f64)));
    }
    if let Some(body) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        crate::traffic::cron::Cron::parse(body)?;
        return Ok(ScheduleExpr::Cron(
            body.split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    Err(format!(
        "\"{text}\": not a rate(...) or cron(...) expression (one-time at(...) schedules are not imported)"
    ))
}

/// Event sources declared as CloudFormation resources that point at `f`:
/// `AWS::Lambda::EventSourceMapping`, `AWS::Events::Rule` targets, `AWS::Lambda::Url` and
/// `AWS::Lambda::Permission` for S3 and SNS.
fn cloudformation_sources(t: &Template, f: &Func) -> Vec<Table> {
    let mut tables = Vec::new();
    for (id, res) in t.resources_of("AWS::Lambda::EventSourceMapping") {
        let Some(p) = res.get("Properties") else {
            continue;
        };
        if p.get("FunctionName").and_then(refers_to) != Some(f.id) {
            continue;
        }
        let what = format!("{id} (AWS::Lambda::EventSourceMapping)");
        match source_service(t, p.get("EventSourceArn")) {
            Some("sqs") => tables.push(sqs(t, f, res.line, &what, Some(p))),
            Some("kinesis" | "dynamodb") => tables.push(stream(t, f, res.line, &what, Some(p))),
            _ => {}
        }
    }
    for (id, res) in t.resources_of("AWS::Events::Rule") {
        let Some(p) = res.get("Properties") else {
            continue;
        };
        let targets = p.get("Targets").map(Node::items).unwrap_or_default();
        if !targets
            .iter()
            .any(|x| x.get("Arn").and_then(refers_to) == Some(f.id))
        {
            continue;
        }
        let what = format!("{id} (AWS::Events::Rule)");
        match p.get("ScheduleExpression") {
            Some(e) => {
                if let Ok(table) = schedule(
                    t,
                    f,
                    &what,
                    e,
                    &format!("{id}.Properties.ScheduleExpression"),
                ) {
                    tables.push(table);
                }
            }
            None => tables.push(asynchronous(t, f, res.line, &what)),
        }
    }
    for (id, res) in t.resources_of("AWS::Lambda::Url") {
        let target = res
            .get("Properties")
            .and_then(|p| p.get("TargetFunctionArn"));
        if target.and_then(refers_to) == Some(f.id) {
            tables.push(sync(
                t,
                f,
                res.line,
                &format!("{id} (AWS::Lambda::Url): a function URL"),
            ));
        }
    }
    for (id, res) in t.resources_of("AWS::Lambda::Permission") {
        let Some(p) = res.get("Properties") else {
            continue;
        };
        let principal = p
            .get("Principal")
            .and_then(Node::scalar)
            .unwrap_or_default();
        if p.get("FunctionName").and_then(refers_to) == Some(f.id)
            && matches!(principal, "s3.amazonaws.com" | "sns.amazonaws.com")
        {
            tables.push(asynchronous(
                t,
                f,
                res.line,
                &format!("{id} (AWS::Lambda::Permission for {principal})"),
            ));
        }
    }
    tables
}

/// The AWS service of an event source: from a literal ARN or the type of the resource an
/// intrinsic points at.
fn source_service<'a>(t: &Template<'a>, arn: Option<&'a Node>) -> Option<&'a str> {
    let arn = arn?;
    if let Some(s) = arn.scalar() {
        return s.split(':').nth(2);
    }
    match t.type_of(refers_to(arn)?)? {
        "AWS::SQS::Queue" => Some("sqs"),
        "AWS::Kinesis::Stream" => Some("kinesis"),
        "AWS::DynamoDB::Table" => Some("dynamodb"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_cron_expressions_become_every_and_cron() {
        assert_eq!(
            parse_schedule("rate(5 minutes)"),
            Ok(ScheduleExpr::Every("5m".into()))
        );
        assert_eq!(
            parse_schedule("rate(1 day)"),
            Ok(ScheduleExpr::Every("24h".into()))
        );
        assert_eq!(
            parse_schedule("cron(0  12 * * ? *)"),
            Ok(ScheduleExpr::Cron("0 12 * * ? *".into()))
        );
        assert!(parse_schedule("at(2024-01-01T00:00:00)").is_err());
        assert!(parse_schedule("rate(5 fortnights)").is_err());
    }
}
