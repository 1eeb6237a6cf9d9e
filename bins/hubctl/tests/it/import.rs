//! `hubctl import-jupyterhub` on a database made by the real JupyterHub ORM (the store's
//! test script, run with the oracle venv's Python): counts printed, no secret printed, exit
//! codes, and nothing created when the source is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::hubctl;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Makes a JupyterHub database at `path` with `make_jupyterhub_db.py`; returns its output.
fn make_jupyterhub_db(path: &Path) -> Value {
    let python = workspace().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-oracle",
        python.display()
    );
    let out = Command::new(python)
        .arg(workspace().join("crates/store/tests/it/make_jupyterhub_db.py"))
        .arg(format!("sqlite:///{}", path.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_jupyterhub_db.py failed (run scripts/setup-oracle):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hubctl"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn import_prints_counts_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("jupyterhub.sqlite");
    let expected = make_jupyterhub_db(&source);
    let source_url = format!("sqlite:///{}", source.display());

    // The default target: hubcap.sqlite in the working directory.
    let (code, out, err) = run_in(dir.path(), &["import-jupyterhub", &source_url]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("hubcap.sqlite").exists());
    for line in [
        "(schema revision f460b0348206)",
        "     4 users",
        "     3 groups",
        "    10 API tokens",
        "     1 share codes",
        "api_tokens row 11: no OAuth client",
        "into sqlite:///hubcap.sqlite",
    ] {
        assert!(out.contains(line), "`{line}` missing from:\n{out}");
    }
    let mut secrets: Vec<&str> = expected["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["secret"].as_str().unwrap())
        .collect();
    secrets.push(expected["share_code"].as_str().unwrap());
    secrets.push(expected["stale_token"].as_str().unwrap());
    for secret in secrets {
        assert!(!out.contains(secret) && !err.contains(secret));
    }
    assert!(
        !out.contains("sha512:") && !err.contains("sha512:"),
        "{out}"
    );

    // Again into the same database: refused, exit code 1, nothing changed.
    let (code, out, err) = run_in(dir.path(), &["import-jupyterhub", &source_url]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("is not empty (4 users"), "{err}");

    // Into the JupyterHub database itself: refused before anything is written.
    let before = std::fs::read(&source).unwrap();
    let (code, _, err) = hubctl(&["import-jupyterhub", &source_url, "--db", &source_url]);
    assert_eq!(code, 1);
    assert!(err.contains("is the JupyterHub database"), "{err}");
    assert!(std::fs::read(&source).unwrap() == before);

    // A newer schema revision: refused with both revisions named, no hubcap database made.
    let status = Command::new(workspace().join(".venv/bin/python"))
        .args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE alembic_version SET version_num = 'ffffffffffff'\"); c.commit()"])
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success());
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "import-jupyterhub",
            &source_url,
            "--db",
            "sqlite:///new.sqlite",
        ],
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("schema revision `ffffffffffff`"), "{err}");
    assert!(err.contains("`f460b0348206` (JupyterHub 6.x)"), "{err}");
    assert!(!dir.path().join("new.sqlite").exists());
}

#[test]
fn a_refused_source_creates_no_hubcap_database() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &["import-jupyterhub", "sqlite:///missing.sqlite"],
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: cannot read the JupyterHub database"),
        "{err}"
    );
    assert!(
        err.contains("there is no JupyterHub database at `missing.sqlite`"),
        "{err}"
    );
    assert!(!dir.path().join("hubcap.sqlite").exists());
    assert!(!dir.path().join("missing.sqlite").exists());
}
