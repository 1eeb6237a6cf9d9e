//! Which JupyterHub schema revisions the importer reads, and why.
//!
//! JupyterHub records its schema version (an alembic revision id) in the one-row table
//! `alembic_version`, and refuses to start on any other than its own head
//! (`orm.check_db_revision`; `jupyterhub upgrade-db` moves a database forward). Every
//! JupyterHub 6 release, 6.0.0b1 through 6.1.1, has the same head, [`JUPYTERHUB_6_HEAD`]:
//! the four revisions after 5.x's head (`be8ecf03ddac` services.timeout, `afd65840b69e`
//! PKCE columns of `oauth_codes`, `ff1860e38070` users.user_info, `f460b0348206`
//! spawners.display_name) all shipped in 6.0.0b1. So a database that a JupyterHub 6 hub uses
//! is at exactly that revision, and that is the one revision accepted.
//!
//! JupyterHub 5.x's head (`4621fec11365`) is refused rather than read with defaults for the
//! four missing columns: its tables differ, and `jupyterhub upgrade-db` from JupyterHub 6
//! brings it to the accepted revision with JupyterHub's own code. Older and unknown
//! revisions are refused too, each with a message saying what the revision is.

use crate::import::error::ImportError;

/// The schema revision of every JupyterHub 6 release (6.0.0b1 to 6.1.1):
/// `f460b0348206`, "Add display_name to spawners".
pub const JUPYTERHUB_6_HEAD: &str = "f460b0348206";

/// The revisions the importer reads.
pub const SUPPORTED_REVISIONS: &[&str] = &[JUPYTERHUB_6_HEAD];

/// JupyterHub's revisions before 6's head, newest first, with what a database there is.
const OLDER: &[(&str, &str)] = &[
    ("ff1860e38070", DEV_6),
    ("afd65840b69e", DEV_6),
    ("be8ecf03ddac", DEV_6),
    ("4621fec11365", V5),
    ("3c2384c5aae1", V5),
    ("0eee8c825d24", V4),
    ("651f5419b74d", V4),
    ("833da8570507", V4),
    ("4dc2d5a8c53c", V4),
    ("896818069c98", V4),
    ("d68c98b66cd4", V4),
    ("99a28a4418e1", V4),
    ("56cc5a70207e", V4),
    ("1cebaf56856c", V4),
    ("3ec6993fe20c", V4),
    ("af4cbdb2d13c", V4),
    ("eeb276e51423", V4),
    ("19c0846f6344", V4),
];
const DEV_6: &str = "older: a JupyterHub 6 development version's schema";
const V5: &str = "older: JupyterHub 5.x's schema";
const V4: &str = "older: JupyterHub 4.x's or an earlier schema";

/// Checks the rows of `alembic_version`: exactly one, and a supported revision.
///
/// # Errors
///
/// [`ImportError::UnsupportedRevision`] naming what was found and what is supported.
pub(crate) fn check(rows: &[String]) -> Result<String, ImportError> {
    let supported = SUPPORTED_REVISIONS
        .iter()
        .map(|r| format!("`{r}` (JupyterHub 6.x)"))
        .collect::<Vec<_>>()
        .join(", ");
    let refuse = |found: String, what, help| ImportError::UnsupportedRevision {
        found,
        what,
        supported: supported.clone(),
        help,
    };
    let [found] = rows else {
        return Err(refuse(
            rows.join(","),
            if rows.is_empty() {
                "no revision recorded"
            } else {
                "several revisions recorded"
            },
            "`alembic_version` must hold one row; let JupyterHub 6 start once on this database, or run `jupyterhub upgrade-db` with JupyterHub 6",
        ));
    };
    if SUPPORTED_REVISIONS.contains(&found.as_str()) {
        return Ok(found.clone());
    }
    match OLDER.iter().find(|(rev, _)| rev == found) {
        Some((_, what)) => Err(refuse(
            found.clone(),
            what,
            "back the database up, run `jupyterhub upgrade-db` with JupyterHub 6.1.1 on it, then import again",
        )),
        None => Err(refuse(
            found.clone(),
            "unknown: not a revision of JupyterHub up to 6.1.1, perhaps a newer JupyterHub's",
            "import with a hubcap that knows this revision, or from a copy downgraded with the JupyterHub that wrote it (`jupyterhub upgrade-db` cannot go back)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(rows: &[&str]) -> String {
        let rows: Vec<String> = rows.iter().map(|r| (*r).to_owned()).collect();
        check(&rows).unwrap_err().to_string()
    }

    #[test]
    fn only_the_6x_head_is_accepted() {
        assert_eq!(check(&["f460b0348206".to_owned()]).unwrap(), "f460b0348206");
        let m = message(&["4621fec11365"]);
        assert!(m.contains("`4621fec11365`") && m.contains("5.x"), "{m}");
        assert!(
            m.contains("`f460b0348206`") && m.contains("upgrade-db"),
            "{m}"
        );
        let m = message(&["0123456789ab"]);
        assert!(m.contains("`0123456789ab`") && m.contains("unknown"), "{m}");
        assert!(m.contains("`f460b0348206`"), "{m}");
        let m = message(&[]);
        assert!(m.contains("no revision recorded"), "{m}");
        let m = message(&["f460b0348206", "4621fec11365"]);
        assert!(m.contains("several"), "{m}");
        let m = message(&["833da8570507"]);
        assert!(m.contains("4.x's or an earlier"), "{m}");
    }
}
