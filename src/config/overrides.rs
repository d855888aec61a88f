//! What-if overrides of a scenario file: `set = { "function.api.memory_mb" = 512 }` in a
//! `[[variant]]` table, or `--set function.api.memory_mb=512,1024` on `coldsim sweep`.
//!
//! A key is a dotted path into the scenario file as written: `function.NAME.KEY` selects the
//! `[[function]]` whose `name` is NAME, `traffic.N.KEY` the N-th `[[traffic]]` (from 0; the
//! same for `deploy.N`), and other segments walk tables (`platform.keep_alive`,
//! `platform.zip.download_mb_per_s`). Missing tables on the way are created, so a key the
//! base file leaves at its default can be set. The override is applied to the parsed TOML
//! table before the typed build, so every check of a scenario file applies to a variant too;
//! an override whose path the scenario schema does not know is an error naming the key.

use std::path::Path;

use super::file::ScenarioFile;
use super::scenario::{Scenario, load_scenario_from_table};
use crate::error::{InputError, InputResult, ValueError};

/// One override: a dotted key and its new value.
pub type Override = (String, toml::Value);

/// Reads the scenario file at `path` as a TOML table (without typing it).
pub fn read_table(path: &Path) -> InputResult<toml::Table> {
    let text = crate::input::read_text(path, crate::input::InputKind::Toml)?;
    text.parse::<toml::Table>().map_err(|e| InputError::Toml {
        file: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Sets `key` (a dotted path, see the module documentation) to `value` in `table`.
/// Errors say which segment of the path is wrong.
pub fn apply(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), ValueError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err("empty segment in the key path".into());
    }
    let mut node = table;
    let mut i = 0;
    while i + 1 < parts.len() {
        let part = parts[i];
        let entry = node
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = match entry {
            toml::Value::Table(t) => t,
            toml::Value::Array(items) => {
                let sel = parts[i + 1];
                if i + 2 >= parts.len() {
                    return Err(format!(
                        "`{part}.{sel}` selects a [[{part}]] table; name a key inside it"
                    )
                    .into());
                }
                i += 1;
                select(part, sel, items)?
            }
            other => {
                return Err(format!(
                    "`{}` is a {} in the file, not a table; cannot set a key inside it",
                    parts[..=i].join("."),
                    other.type_str()
                )
                .into());
            }
        };
        i += 1;
    }
    node.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

/// The element of array `[[part]]` selected by `sel`: a number is an index; otherwise the
/// table whose `name` is `sel`.
fn select<'a>(
    part: &str,
    sel: &str,
    items: &'a mut [toml::Value],
) -> Result<&'a mut toml::Table, ValueError> {
    let n = items.len();
    let index = match sel.parse::<usize>() {
        Ok(k) if k < n => k,
        Ok(k) => {
            return Err(format!(
                "[[{part}]] has {n} table{}; index {k} is out of range",
                if n == 1 { "" } else { "s" }
            )
            .into());
        }
        Err(_) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|v| v.get("name")?.as_str().map(str::to_string))
                .collect();
            items
                .iter()
                .position(|v| v.get("name").and_then(|x| x.as_str()) == Some(sel))
                .ok_or_else(|| {
                    ValueError::from(format!(
                        "no [[{part}]] named \"{sel}\" (names: {})",
                        if names.is_empty() {
                            "none; use an index".to_string()
                        } else {
                            names.join(", ")
                        }
                    ))
                })?
        }
    };
    match &mut items[index] {
        toml::Value::Table(t) => Ok(t),
        _ => Err(format!("{part}.{sel} is not a table").into()),
    }
}

/// Parses a command-line value as TOML (`512`, `3.5`, `true`, `"5m"`, `{ dist = ... }`); a
/// bare word that is not TOML is taken as a string (`5m`, `image`).
pub fn parse_value(text: &str) -> toml::Value {
    let text = text.trim();
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// Splits `V1,V2,...` at the commas outside quotes, braces and brackets.
pub fn split_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut cur) = (0i32, None::<char>, String::new());
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// The overrides of a variant's `set` table, in key order.
pub fn from_set_table(set: &toml::Table) -> Vec<Override> {
    set.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Builds the scenario of variant `variant` of the file at `path`: `base` (the file's table)
/// with `overrides` applied, then typed and checked like any scenario file. Each override is
/// checked against the schema as it is applied, so an unknown path names its key; every
/// error names the variant (`variant` is its label in messages, e.g. `variant "image"` or
/// `sweep point "memory_mb=512"`).
pub fn build_variant(
    path: &Path,
    base: &toml::Table,
    variant: &str,
    overrides: &[Override],
) -> InputResult<Scenario> {
    let mut table = base.clone();
    // Variants of a variant make no sense; the typed build ignores them anyway.
    table.remove("variant");
    let key_err =
        |key: &str, msg: String| InputError::field(path, format!("{variant}: set.\"{key}\""), msg);
    for (key, value) in overrides {
        apply(&mut table, key, value.clone()).map_err(|m| key_err(key, m.into()))?;
        let check: Result<ScenarioFile, _> = table.clone().try_into();
        if let Err(e) = check {
            return Err(key_err(key, e.to_string().trim_end().replace('\n', " ")));
        }
    }
    load_scenario_from_table(path, table).map_err(|e| {
        InputError::field(
            path,
            variant.to_string(),
            format!("the scenario with its overrides is invalid: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().expect("valid toml")
    }

    #[test]
    fn paths_select_functions_by_name_and_traffic_by_index() {
        let mut t = table(
            "[[function]]\nname = \"a\"\nmemory_mb = 128\n[[function]]\nname = \"api\"\n\
             [[traffic]]\nrate = 1.0\n",
        );
        apply(&mut t, "function.api.memory_mb", parse_value("512")).unwrap();
        apply(&mut t, "traffic.0.rate", parse_value("3.0")).unwrap();
        apply(&mut t, "platform.keep_alive", parse_value("5m")).unwrap();
        assert_eq!(t["function"][1]["memory_mb"].as_integer(), Some(512));
        assert_eq!(t["function"][0]["memory_mb"].as_integer(), Some(128));
        assert_eq!(t["traffic"][0]["rate"].as_float(), Some(3.0));
        assert_eq!(t["platform"]["keep_alive"].as_str(), Some("5m"));
        assert!(
            apply(&mut t, "function.nope.memory_mb", parse_value("1"))
                .unwrap_err()
                .0
                .contains("no [[function]] named \"nope\"")
        );
        assert_eq!(
            apply(&mut t, "traffic.3.rate", parse_value("1"))
                .unwrap_err()
                .0,
            "[[traffic]] has 1 table; index 3 is out of range"
        );
        assert!(
            apply(&mut t, "function..memory_mb", parse_value("1"))
                .unwrap_err()
                .0
                .contains("empty segment")
        );
        assert!(apply(&mut t, "", parse_value("1")).is_err());
        assert!(apply(&mut t, "function.api", parse_value("1")).is_err());
    }

    #[test]
    fn values_parse_as_toml_or_strings_and_split_outside_brackets() {
        assert_eq!(parse_value("512").as_integer(), Some(512));
        assert_eq!(parse_value("image").as_str(), Some("image"));
        assert_eq!(parse_value("\"5m\"").as_str(), Some("5m"));
        assert_eq!(
            split_values("5m, { dist = \"constant\", value = \"1s\" },\"a,b\""),
            vec!["5m", "{ dist = \"constant\", value = \"1s\" }", "\"a,b\""]
        );
    }
}
