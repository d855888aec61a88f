//! `coldsim models`: the built-in models ([`crate::config::builtin`]) as a table (name, kind,
//! description) or as JSON.

use serde_json::{Map, Value};

use crate::config::builtin::BuiltinModel;

/// The models as a table for people, with how to name one in a scenario.
pub fn table(models: &[BuiltinModel]) -> String {
    let mut rows = vec![vec![
        "name".to_string(),
        "kind".to_string(),
        "description".to_string(),
    ]];
    rows.extend(models.iter().map(|m| {
        vec![
            m.name.to_string(),
            m.kind.to_string(),
            m.description().to_string(),
        ]
    }));
    let mut out = super::grid::render_aligned(&rows, "", 3);
    out.push_str(
        "\nName one in a scenario from any folder: workload = \"python312-hello\", \
         platform = \"calibrated/lambda-perf\" (a file on disk of that name wins).\n",
    );
    out
}

/// The models as JSON: an array of `{name, kind, path, description}`.
pub fn json(models: &[BuiltinModel]) -> Value {
    Value::Array(
        models
            .iter()
            .map(|m| {
                let mut o = Map::new();
                o.insert("name".into(), Value::from(m.name));
                o.insert("kind".into(), Value::from(m.kind));
                o.insert("path".into(), Value::from(m.repo_path));
                o.insert("description".into(), Value::from(m.description()));
                Value::Object(o)
            })
            .collect(),
    )
}
