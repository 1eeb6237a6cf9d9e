//! The committed vector files, replayed under `cargo test`, and the runner's own rules
//! (it must be able to fail).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::path::Path;

use conformance::{VectorFile, run_file, run_path};

fn committed(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join(name)
}

fn load(name: &str) -> VectorFile {
    serde_json::from_str(&std::fs::read_to_string(committed(name)).unwrap()).unwrap()
}

#[test]
fn committed_scope_vectors_all_pass() {
    let report = run_path(&committed("scopes.json"));
    for m in &report.failures {
        eprintln!(
            "#{} {} input={} expected={} got={}",
            m.index, m.function, m.input, m.expected, m.got
        );
    }
    assert_eq!(report.failed(), 0);
    assert!(report.passed >= 1000, "only {} vectors", report.passed);
}

#[test]
fn committed_domain_vectors_all_pass() {
    let report = run_path(&committed("domain.json"));
    for m in &report.failures {
        eprintln!(
            "#{} {} input={} expected={} got={}",
            m.index, m.function, m.input, m.expected, m.got
        );
    }
    assert_eq!(report.failed(), 0);
    assert!(report.passed >= 500, "only {} vectors", report.passed);
}

#[test]
fn a_share_the_runner_did_not_make_fails_what_follows() {
    // Drop the first Share.grant: the shares that later vectors see no longer match.
    let mut file = load("domain.json");
    let at = file
        .vectors
        .iter()
        .position(|v| v.function == "Share.grant")
        .unwrap();
    file.vectors.remove(at);
    assert!(run_file(&file).failed() > 0);
}

#[test]
fn a_changed_token_message_fails() {
    let mut file = load("domain.json");
    let vector = file
        .vectors
        .iter_mut()
        .find(|v| v.function == "APIToken.new")
        .unwrap();
    vector.output["message"] = serde_json::Value::from("something else");
    assert_eq!(run_file(&file).failed(), 1);
}

#[test]
fn a_changed_output_fails() {
    let mut file = load("scopes.json");
    let vector = file
        .vectors
        .iter_mut()
        .find(|v| v.function == "has_scope")
        .unwrap();
    vector.output = serde_json::Value::Bool(!vector.output.as_bool().unwrap());
    assert_eq!(run_file(&file).failed(), 1);
}

#[test]
fn a_missing_warning_fails() {
    let mut file = load("scopes.json");
    let vector = file
        .vectors
        .iter_mut()
        .find(|v| v.warnings.is_some())
        .unwrap();
    vector
        .warnings
        .as_mut()
        .unwrap()
        .push("an extra warning".to_owned());
    assert_eq!(run_file(&file).failed(), 1);
}

#[test]
fn an_unknown_fn_fails_and_is_not_skipped() {
    let mut file = load("scopes.json");
    file.vectors.truncate(3);
    file.vectors[1].function = "no_such_fn".to_owned();
    let report = run_file(&file);
    assert_eq!((report.passed, report.failed()), (2, 1));
    assert!(
        report.failures[0]
            .got
            .as_str()
            .unwrap()
            .contains("unknown fn `no_such_fn`")
    );
}

#[test]
fn another_jupyterhub_version_fails_the_file() {
    let mut file = load("scopes.json");
    file.jupyterhub_version = "5.4.0".to_owned();
    let report = run_file(&file);
    assert_eq!((report.passed, report.failed()), (0, 1));
}
