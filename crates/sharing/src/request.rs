//! The bodies of the REST requests that grant, revoke and issue shares, validated as
//! JupyterHub's pydantic models do (`apihandlers/shares.py`): [`ShareRequest`] for
//! `POST`/`PATCH /shares/:owner/:server` (`ShareGrantRequest`, `ShareRevokeRequest`) and
//! [`ShareCodeRequest`] for `POST /share-codes/:owner/:server` (`ShareCodeGrantRequest`).
//!
//! The rules, all JupyterHub's:
//! - a missing or falsy body (`null`, `false`, `0`, `""`, `[]`) is `{}`; any other non-object
//!   is a `TypeError` (HTTP 500 in JupyterHub);
//! - unknown keys are refused (`extra='forbid'`);
//! - `scopes`: `null` or a list of strings; an empty list counts as not given. A non-empty
//!   list is checked for existence with `who_for="share"`, and an unknown scope escapes
//!   pydantic as `ScopeNotFound` (a `KeyError`), which JupyterHub answers with **500**, before
//!   any other error of the body is looked at;
//! - `user`, `group`: `null` or strings. Exactly one must be given: both non-empty
//!   (`Expected exactly one of ...`) or both absent/`null` (`Specify exactly one of ...`)
//!   are refused; but an empty string passes the check and is then ignored
//!   ([`ShareRequest::recipient`]);
//! - `expires_in`: an integer in 60..=31536000 (one minute to 365 days), 86400 when absent.
//!   pydantic's lax integers are accepted: `true`, `100.0`, `" 1_000 "`, `"100.0"`.

use std::borrow::Cow;

use scopes::{Scope, ScopeNotFound, ScopeTable};
use serde_json::{Map, Value};

use crate::code::DEFAULT_EXPIRES_IN;
use crate::pydantic::{ErrorKind, FieldError, ValidationErrors};
use crate::target::Recipient;
use scopes::{py_truthy, py_type_name};

/// The shortest lifetime the REST API accepts for a share code, in seconds (one minute).
pub const MIN_EXPIRES_IN: i64 = 60;
/// The longest lifetime the REST API accepts for a share code, in seconds (525600 minutes).
pub const MAX_EXPIRES_IN: i64 = 525_600 * 60;

/// A request body that JupyterHub refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// pydantic's validation errors (HTTP 400 with this text).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A scope that does not exist. JupyterHub lets `ScopeNotFound` escape the model and
    /// answers **500** (an upstream bug, jupyterhub-api.md §10); the message is JupyterHub's.
    #[error(transparent)]
    UnknownScope(#[from] ScopeNotFound),
    /// The body is JSON but not an object (JupyterHub: `TypeError`, HTTP 500).
    #[error(
        "the request body is a JSON {type_name}, not an object: send e.g. `{{\"user\": \"NAME\"}}`"
    )]
    NotAnObject {
        /// The Python type of the body (`list`, `str`, `int`, ...).
        type_name: &'static str,
    },
}

/// Which of the two share models: they validate alike and differ in the name in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareAction {
    /// `POST`: `ShareGrantRequest`.
    Grant,
    /// `PATCH`: `ShareRevokeRequest`.
    Revoke,
}

impl ShareAction {
    /// The pydantic model's class name.
    pub fn model_name(self) -> &'static str {
        match self {
            ShareAction::Grant => "ShareGrantRequest",
            ShareAction::Revoke => "ShareRevokeRequest",
        }
    }
}

/// A validated body of `POST` or `PATCH /shares/:owner/:server`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRequest {
    /// The scopes; `None` when absent, `null` or empty (grant: the default
    /// `access:servers`; revoke: everything).
    pub scopes: Option<Vec<String>>,
    /// The `user` field.
    pub user: Option<String>,
    /// The `group` field.
    pub group: Option<String>,
}

impl ShareRequest {
    /// Validates a body (`None`: no body) as `ShareGrantRequest` or `ShareRevokeRequest`.
    pub fn parse(
        table: &ScopeTable,
        action: ShareAction,
        body: Option<&Value>,
    ) -> Result<ShareRequest, RequestError> {
        let body = body_object(body)?;
        let mut errors = Vec::new();
        let scopes = field_scopes(table, &body, &mut errors)?;
        let user = field_str(&body, "user", &mut errors);
        let group = field_str(&body, "group", &mut errors);
        extra_keys(&body, &["scopes", "user", "group"], &mut errors);
        if errors.is_empty() {
            let message = match (&user, &group) {
                (Some(Some(user)), Some(Some(group))) if !user.is_empty() && !group.is_empty() => {
                    Some("Expected exactly one of `user` or `group`, not both.")
                }
                (Some(None), Some(None)) => Some("Specify exactly one of `user` or `group`"),
                _ => None,
            };
            if let Some(message) = message {
                errors.push(FieldError {
                    loc: None,
                    kind: ErrorKind::ValueError {
                        message: message.to_owned(),
                    },
                    input: Value::Object(body.into_owned()),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ValidationErrors {
                model: action.model_name(),
                errors,
            }
            .into());
        }
        Ok(ShareRequest {
            scopes: scopes.flatten(),
            user: user.flatten(),
            group: group.flatten(),
        })
    }

    /// Whom the handler shares with: `user` if it is non-empty, else `group` if non-empty,
    /// else nobody (JupyterHub's `if request.user: ... elif request.group:`, which leaves
    /// `share_with` unbound and fails with HTTP 500 when neither is).
    pub fn recipient(&self) -> Option<Recipient> {
        match (&self.user, &self.group) {
            (Some(user), _) if !user.is_empty() => Some(Recipient::User(user.clone())),
            (_, Some(group)) if !group.is_empty() => Some(Recipient::Group(group.clone())),
            _ => None,
        }
    }

    /// The scopes as [`Scope`]s, if given.
    pub fn scope_list(&self) -> Option<Vec<Scope>> {
        self.scopes
            .as_ref()
            .map(|scopes| scopes.iter().map(Scope::lenient).collect())
    }
}

/// A validated body of `POST /share-codes/:owner/:server` (`ShareCodeGrantRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareCodeRequest {
    /// The scopes; `None` when absent, `null` or empty (the default `access:servers`).
    pub scopes: Option<Vec<String>>,
    /// The code's lifetime in seconds, within [`MIN_EXPIRES_IN`]..=[`MAX_EXPIRES_IN`];
    /// [`DEFAULT_EXPIRES_IN`] when absent.
    pub expires_in: i64,
}

impl ShareCodeRequest {
    /// The pydantic model's class name.
    pub const MODEL_NAME: &'static str = "ShareCodeGrantRequest";

    /// Validates a body (`None`: no body).
    pub fn parse(
        table: &ScopeTable,
        body: Option<&Value>,
    ) -> Result<ShareCodeRequest, RequestError> {
        let body = body_object(body)?;
        let mut errors = Vec::new();
        let scopes = field_scopes(table, &body, &mut errors)?;
        let expires_in = match body.get("expires_in") {
            None => Some(DEFAULT_EXPIRES_IN),
            Some(value) => match lifetime(value) {
                Ok(seconds) => Some(seconds),
                Err(kind) => {
                    errors.push(FieldError {
                        loc: Some("expires_in".to_owned()),
                        kind,
                        input: value.clone(),
                    });
                    None
                }
            },
        };
        extra_keys(&body, &["scopes", "expires_in"], &mut errors);
        match (scopes, expires_in) {
            (Some(scopes), Some(expires_in)) if errors.is_empty() => {
                Ok(ShareCodeRequest { scopes, expires_in })
            }
            _ => Err(ValidationErrors {
                model: Self::MODEL_NAME,
                errors,
            }
            .into()),
        }
    }

    /// The scopes as [`Scope`]s, if given.
    pub fn scope_list(&self) -> Option<Vec<Scope>> {
        self.scopes
            .as_ref()
            .map(|scopes| scopes.iter().map(Scope::lenient).collect())
    }
}

/// `self.get_json_body() or {}`: the body as keyword arguments.
fn body_object(body: Option<&Value>) -> Result<Cow<'_, Map<String, Value>>, RequestError> {
    match body {
        Some(Value::Object(map)) => Ok(Cow::Borrowed(map)),
        None => Ok(Cow::Owned(Map::new())),
        Some(value) if !py_truthy(value) => Ok(Cow::Owned(Map::new())),
        Some(value) => Err(RequestError::NotAnObject {
            type_name: py_type_name(value),
        }),
    }
}

/// The `scopes` field: `Ok(Some(value))` when valid (`None`: not given or empty), `Ok(None)`
/// after recording errors, `Err` when the existence check raises.
fn field_scopes(
    table: &ScopeTable,
    body: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Option<Vec<String>>>, RequestError> {
    let list = match body.get("scopes") {
        None | Some(Value::Null) => return Ok(Some(None)),
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.push(FieldError {
                loc: Some("scopes".to_owned()),
                kind: ErrorKind::ListType,
                input: other.clone(),
            });
            return Ok(None);
        }
    };
    let mut scopes = Vec::with_capacity(list.len());
    let before = errors.len();
    for (i, item) in list.iter().enumerate() {
        match item {
            Value::String(text) => scopes.push(text.clone()),
            other => errors.push(FieldError {
                loc: Some(format!("scopes.{i}")),
                kind: ErrorKind::StringType,
                input: other.clone(),
            }),
        }
    }
    if errors.len() > before {
        return Ok(None);
    }
    if scopes.is_empty() {
        return Ok(Some(None));
    }
    table.check_exist(scopes.iter().map(String::as_str), Some("share"))?;
    Ok(Some(Some(scopes)))
}

/// An optional string field: `Some(value)` when valid, `None` after recording an error.
fn field_str(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(other) => {
            errors.push(FieldError {
                loc: Some(key.to_owned()),
                kind: ErrorKind::StringType,
                input: other.clone(),
            });
            None
        }
    }
}

fn extra_keys(body: &Map<String, Value>, fields: &[&str], errors: &mut Vec<FieldError>) {
    for (key, value) in body {
        if !fields.contains(&key.as_str()) {
            errors.push(FieldError {
                loc: Some(key.clone()),
                kind: ErrorKind::ExtraForbidden,
                input: value.clone(),
            });
        }
    }
}

/// `conint(ge=60, le=525600 * 60)` in pydantic's lax mode.
fn lifetime(value: &Value) -> Result<i64, ErrorKind> {
    let seconds = lax_int(value)?;
    if seconds < MIN_EXPIRES_IN {
        Err(ErrorKind::GreaterThanEqual { ge: MIN_EXPIRES_IN })
    } else if seconds > MAX_EXPIRES_IN {
        Err(ErrorKind::LessThanEqual { le: MAX_EXPIRES_IN })
    } else {
        Ok(seconds)
    }
}

/// pydantic's lax `int` of a JSON value. Integers beyond `i64` saturate, which keeps every
/// comparison with the bounds right (JSON integers beyond `u64` arrive as floats from
/// `serde_json`, and are then judged as floats: `int_parsing_size`).
fn lax_int(value: &Value) -> Result<i64, ErrorKind> {
    match value {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Ok(i64::MAX)
            } else {
                float_to_int(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(text) => str_to_int(text),
        Value::Null | Value::Array(_) | Value::Object(_) => Err(ErrorKind::IntType),
    }
}

fn float_to_int(f: f64) -> Result<i64, ErrorKind> {
    // 2**63 as a float: the first value outside i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !f.is_finite() {
        // pydantic says `finite_number`; JSON (and serde_json) cannot carry such a value.
        return Err(ErrorKind::IntParsingSize);
    }
    if f.fract() != 0.0 {
        return Err(ErrorKind::IntFromFloat);
    }
    if !(-LIMIT..LIMIT).contains(&f) {
        return Err(ErrorKind::IntParsingSize);
    }
    // In range and integral: the conversion is exact.
    Ok(f as i64)
}

/// pydantic-core's integer strings: surrounding whitespace, an optional sign, ASCII digits
/// with single underscores between them, and optionally `.0...` (only zeros).
fn str_to_int(text: &str) -> Result<i64, ErrorKind> {
    let text = text.trim();
    if text.len() > 4300 {
        return Err(ErrorKind::IntParsingSize);
    }
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let digits = match unsigned.split_once('.') {
        Some((digits, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => digits,
        Some(_) => return Err(ErrorKind::IntParsing),
        None => unsigned,
    };
    let well_formed = !digits.is_empty()
        && digits
            .split('_')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(ErrorKind::IntParsing);
    }
    let mut magnitude: i64 = 0;
    for digit in digits.bytes().filter(u8::is_ascii_digit) {
        magnitude = magnitude
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'));
    }
    Ok(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(kind: &str) -> String {
        format!("For further information visit https://errors.pydantic.dev/2.14/v/{kind}")
    }

    fn grant(body: Value) -> Result<ShareRequest, String> {
        ShareRequest::parse(&ScopeTable::jupyterhub(), ShareAction::Grant, Some(&body))
            .map_err(|e| e.to_string())
    }

    fn code(body: Value) -> Result<i64, String> {
        ShareCodeRequest::parse(&ScopeTable::jupyterhub(), Some(&body))
            .map(|r| r.expires_in)
            .map_err(|e| e.to_string())
    }

    /// The second line of a one-error message for `expires_in`.
    fn code_error(body: Value) -> String {
        let message = code(body).unwrap_err();
        message.lines().nth(2).unwrap().to_owned()
    }

    #[test]
    fn user_or_group() {
        assert_eq!(
            grant(json!({"user": "bob"})).unwrap().recipient(),
            Some(Recipient::User("bob".into()))
        );
        assert_eq!(
            grant(json!({"group": "g", "user": null}))
                .unwrap()
                .recipient(),
            Some(Recipient::Group("g".into()))
        );
        // empty strings pass the model and are ignored by the handler
        assert_eq!(
            grant(json!({"user": "", "group": "g"}))
                .unwrap()
                .recipient(),
            Some(Recipient::Group("g".into()))
        );
        assert_eq!(grant(json!({"user": ""})).unwrap().recipient(), None);
        assert_eq!(
            grant(json!({"user": "", "group": ""})).unwrap().recipient(),
            None
        );
    }

    #[test]
    fn neither_or_both_is_a_value_error() {
        assert_eq!(
            grant(json!({})).unwrap_err(),
            format!(
                "1 validation error for ShareGrantRequest\n  Value error, Specify exactly one of `user` or `group` [type=value_error, input_value={{}}, input_type=dict]\n    {}",
                docs("value_error")
            )
        );
        assert_eq!(
            grant(json!({"user": "a", "group": "b"})).unwrap_err(),
            format!(
                "1 validation error for ShareGrantRequest\n  Value error, Expected exactly one of `user` or `group`, not both. [type=value_error, input_value={{'user': 'a', 'group': 'b'}}, input_type=dict]\n    {}",
                docs("value_error")
            )
        );
        let revoke =
            ShareRequest::parse(&ScopeTable::jupyterhub(), ShareAction::Revoke, None).unwrap_err();
        assert!(
            revoke
                .to_string()
                .starts_with("1 validation error for ShareRevokeRequest\n  Value error, Specify")
        );
        // the input shown is the body, cut when long
        let long = grant(json!({"user": "a".repeat(60), "group": "b"})).unwrap_err();
        assert!(long.contains("input_value={'user': 'aaaaaaaaaaaaaaa...aaaaaaaa', 'group': 'b'}"));
    }

    #[test]
    fn falsy_bodies_are_empty_objects_and_others_are_refused() {
        for body in [json!(null), json!(false), json!(0), json!(""), json!([])] {
            assert!(grant(body).unwrap_err().contains("Specify exactly one"));
        }
        assert_eq!(code(json!(null)), Ok(86_400));
        for (body, type_name) in [
            (json!([1]), "list"),
            (json!("x"), "str"),
            (json!(1), "int"),
            (json!(true), "bool"),
        ] {
            let err =
                ShareRequest::parse(&ScopeTable::jupyterhub(), ShareAction::Grant, Some(&body))
                    .unwrap_err();
            assert_eq!(err, RequestError::NotAnObject { type_name });
        }
    }

    #[test]
    fn field_type_errors_then_extra_keys() {
        assert_eq!(
            grant(json!({"user": [], "group": {}})).unwrap_err(),
            format!(
                "2 validation errors for ShareGrantRequest\nuser\n  Input should be a valid string [type=string_type, input_value=[], input_type=list]\n    {}\ngroup\n  Input should be a valid string [type=string_type, input_value={{}}, input_type=dict]\n    {}",
                docs("string_type"),
                docs("string_type")
            )
        );
        assert_eq!(
            grant(json!({"user": "a", "expires_in": 1})).unwrap_err(),
            format!(
                "1 validation error for ShareGrantRequest\nexpires_in\n  Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]\n    {}",
                docs("extra_forbidden")
            )
        );
        assert_eq!(
            code(json!({"zzz": 1, "expires_in": 5, "scopes": 3, "aaa": [1, 2]})).unwrap_err(),
            format!(
                "4 validation errors for ShareCodeGrantRequest\nscopes\n  Input should be a valid list [type=list_type, input_value=3, input_type=int]\n    {}\nexpires_in\n  Input should be greater than or equal to 60 [type=greater_than_equal, input_value=5, input_type=int]\n    {}\nzzz\n  Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]\n    {}\naaa\n  Extra inputs are not permitted [type=extra_forbidden, input_value=[1, 2], input_type=list]\n    {}",
                docs("list_type"),
                docs("greater_than_equal"),
                docs("extra_forbidden"),
                docs("extra_forbidden")
            )
        );
        // an empty key still gets its (empty) location line
        assert_eq!(
            code(json!({"": 1})).unwrap_err(),
            format!(
                "1 validation error for ShareCodeGrantRequest\n\n  Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]\n    {}",
                docs("extra_forbidden")
            )
        );
    }

    #[test]
    fn model_error_only_when_fields_pass() {
        let err = grant(json!({"foo": 1})).unwrap_err();
        assert!(err.starts_with("1 validation error for ShareGrantRequest\nfoo\n"));
    }

    #[test]
    fn scopes_list_items_and_existence() {
        let err = grant(json!({"user": "a", "scopes": [1, null, {}]})).unwrap_err();
        assert!(err.starts_with("3 validation errors for ShareGrantRequest\nscopes.0\n"));
        assert!(err.contains("\nscopes.1\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]"));
        assert_eq!(
            grant(json!({"user": "a", "scopes": []})).unwrap().scopes,
            None
        );
        assert_eq!(
            grant(json!({"user": "a", "scopes": ["read:servers"]}))
                .unwrap()
                .scope_list(),
            Some(vec![Scope::lenient("read:servers")])
        );
        // an unknown scope escapes before every other error
        let err = ShareCodeRequest::parse(
            &ScopeTable::jupyterhub(),
            Some(&json!({"extra": 1, "scopes": ["nope"], "expires_in": 5})),
        )
        .unwrap_err();
        assert!(matches!(err, RequestError::UnknownScope(_)));
        assert_eq!(err.to_string(), "Scope 'nope' for share does not exist");
        // but not before the list's own type errors
        let err = grant(json!({"user": "a", "scopes": [1, "nope"]})).unwrap_err();
        assert!(err.starts_with("1 validation error for ShareGrantRequest\nscopes.0\n"));
    }

    #[test]
    fn expires_in_range_and_default() {
        assert_eq!(code(json!({})), Ok(86_400));
        assert_eq!(code(json!({"expires_in": 60})), Ok(60));
        assert_eq!(code(json!({"expires_in": 525_600 * 59})), Ok(525_600 * 59));
        assert_eq!(code(json!({"expires_in": 31_536_000})), Ok(31_536_000));
        assert_eq!(
            code_error(json!({"expires_in": -1})),
            "  Input should be greater than or equal to 60 [type=greater_than_equal, input_value=-1, input_type=int]"
        );
        assert_eq!(
            code_error(json!({"expires_in": 31_536_001})),
            "  Input should be less than or equal to 31536000 [type=less_than_equal, input_value=31536001, input_type=int]"
        );
        assert_eq!(
            code_error(json!({"expires_in": "notanumber"})),
            "  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='notanumber', input_type=str]"
        );
        assert_eq!(
            code_error(json!({"expires_in": null})),
            "  Input should be a valid integer [type=int_type, input_value=None, input_type=NoneType]"
        );
    }

    #[test]
    fn expires_in_is_a_lax_integer() {
        for (value, want) in [
            (json!("100"), 100),
            (json!(100.0), 100),
            (json!(" 100 "), 100),
            (json!("\t100\n"), 100),
            (json!("\u{a0}100\u{a0}"), 100),
            (json!("+1_0_0"), 100),
            (json!("0_100"), 100),
            (json!("100.0000"), 100),
            (json!("1_000.0"), 1000),
            (json!("00000000000000000000000100"), 100),
            (json!(31_536_000.0), 31_536_000),
        ] {
            assert_eq!(code(json!({ "expires_in": value })), Ok(want), "{value}");
        }
        for (value, kind) in [
            (json!("100.5"), "int_parsing"),
            (json!("1__0"), "int_parsing"),
            (json!("_100"), "int_parsing"),
            (json!("100_"), "int_parsing"),
            (json!("100."), "int_parsing"),
            (json!(".5"), "int_parsing"),
            (json!("1e2"), "int_parsing"),
            (json!(""), "int_parsing"),
            (json!("+-1"), "int_parsing"),
            (json!("0x10"), "int_parsing"),
            (json!("١٠٠"), "int_parsing"),
            (json!("100.0_0"), "int_parsing"),
            (json!("-0"), "greater_than_equal"),
            (json!("1_0.0"), "greater_than_equal"),
            (json!(true), "greater_than_equal"),
            (json!(59.0), "greater_than_equal"),
            (json!("9".repeat(30)), "less_than_equal"),
            (json!(1e16), "less_than_equal"),
            (json!(9.2e18), "less_than_equal"),
            (json!(9.3e18), "int_parsing_size"),
            (json!(-1e19), "int_parsing_size"),
            (json!(u64::MAX), "less_than_equal"),
            (json!(100.5), "int_from_float"),
            (json!([1]), "int_type"),
            (json!({"a": 1}), "int_type"),
        ] {
            let line = code_error(json!({ "expires_in": value }));
            assert!(line.contains(&format!("[type={kind},")), "{value}: {line}");
        }
        assert_eq!(
            code_error(json!({"expires_in": 1e300})),
            "  Unable to parse input string as an integer, exceeded maximum size [type=int_parsing_size, input_value=1e+300, input_type=float]"
        );
        assert_eq!(
            code_error(json!({"expires_in": 59.0})),
            "  Input should be greater than or equal to 60 [type=greater_than_equal, input_value=59.0, input_type=float]"
        );
        assert_eq!(
            code_error(json!({"expires_in": true})),
            "  Input should be greater than or equal to 60 [type=greater_than_equal, input_value=True, input_type=bool]"
        );
    }
}
