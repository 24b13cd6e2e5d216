//! The committed JSON Schema is the public contract of the report: it must match the types.

use std::path::PathBuf;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json")
}

#[test]
fn committed_schema_matches_the_types() {
    let generated = serde_json::to_string_pretty(&shared::report_schema()).unwrap() + "\n";
    let path = schema_path();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "shared/schema/report.schema.json is stale: the report types changed. If the change is \
         deliberate, bump SCHEMA_VERSION and run `UPDATE_SCHEMA=1 cargo test -p shared --test schema`."
    );
}

#[test]
fn every_fixture_validates_against_the_schema_and_round_trips() {
    let schema = shared::report_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match the schema: {errors:#?}",
            path.display()
        );
        let report: shared::Report = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            json,
            "{} does not round-trip",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 1, "no fixtures in {}", dir.display());
}
