//! The one error type of this crate. Each message says which input or which call failed, what
//! is wrong, and, where there is one, what would fix it. No message ever contains the proxy's
//! auth token: errors carry URLs and response bodies, never request headers.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong between the hub and its proxy.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A routespec broke one of JupyterHub's routespec rules.
    #[error("invalid routespec `{routespec}`: {reason}")]
    InvalidRoutespec {
        /// The routespec as given.
        routespec: String,
        /// Which rule it broke and what a valid one looks like.
        reason: String,
    },

    /// The proxy API URL cannot be used.
    #[error("invalid proxy api_url `{url}`: {reason}")]
    InvalidApiUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An external proxy was configured without the token its API requires.
    #[error(
        "no auth token for the proxy at `{api_url}`: a proxy the hub does not start needs one; \
         help: set CONFIGPROXY_AUTH_TOKEN (or ConfigurableHTTPProxy.auth_token) to the proxy's token"
    )]
    MissingAuthToken {
        /// The API URL of the external proxy.
        api_url: String,
    },

    /// The proxy answered with a status that is not retried (4xx).
    #[error("the proxy answered {status} to `{method} {url}`{}{}", body_suffix(body), rejected_help(*status))]
    Rejected {
        /// HTTP method of the call.
        method: String,
        /// Full URL of the call.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (CHP's error text), possibly empty.
        body: String,
    },

    /// The proxy could not be reached, or kept failing with 5xx, until the retry budget ran out.
    #[error(
        "the proxy did not answer `{method} {url}` after {attempts} attempt(s) in {:.1}s: {last_error}; \
         help: is configurable-http-proxy running, and is its api_url right?",
        waited.as_secs_f64()
    )]
    Unavailable {
        /// HTTP method of the call.
        method: String,
        /// Full URL of the call.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// How long the attempts took in all.
        waited: Duration,
        /// The last attempt's failure.
        last_error: String,
    },

    /// The proxy answered 2xx, but not with what its API promises.
    #[error(
        "the proxy's answer to `{method} {url}` is not what configurable-http-proxy sends: {reason}"
    )]
    InvalidResponse {
        /// HTTP method of the call.
        method: String,
        /// Full URL of the call.
        url: String,
        /// What is wrong with the answer.
        reason: String,
    },

    /// The proxy executable does not exist.
    #[error(
        "the proxy executable `{}` was not found; help: install configurable-http-proxy with \
         `npm install configurable-http-proxy` (in this repository: run scripts/setup-chp) \
         or configure the proxy command with its full path",
        program.display()
    )]
    ExecutableNotFound {
        /// The program that was looked for.
        program: PathBuf,
    },

    /// The proxy executable exists but could not be started.
    #[error("could not start the proxy `{}`: {source}", program.display())]
    Spawn {
        /// The program that was started.
        program: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The proxy process exited while the hub waited for it to come up.
    #[error(
        "the proxy exited during start-up with {status}{}",
        output_suffix(output)
    )]
    ExitedDuringStart {
        /// How it exited.
        status: ExitStatus,
        /// Its last lines of output (auth token redacted).
        output: String,
    },

    /// The proxy process did not answer on its ports in time.
    #[error(
        "the proxy did not come up within {:.1}s ({waiting_for}){}",
        waited.as_secs_f64(),
        output_suffix(output)
    )]
    StartTimeout {
        /// How long the hub waited.
        waited: Duration,
        /// What it was still waiting for.
        waiting_for: String,
        /// Its last lines of output (auth token redacted).
        output: String,
    },

    /// Signalling or waiting for the proxy process failed.
    #[error("could not stop the proxy (pid {pid}): {reason}")]
    Stop {
        /// The process id.
        pid: u32,
        /// What went wrong.
        reason: String,
    },
}

fn body_suffix(body: &str) -> String {
    if body.is_empty() {
        " with an empty body".to_owned()
    } else {
        format!(": {body}")
    }
}

fn rejected_help(status: u16) -> &'static str {
    match status {
        403 => "; help: the hub's proxy auth token differs from the proxy's CONFIGPROXY_AUTH_TOKEN",
        _ => "",
    }
}

fn output_suffix(output: &str) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!("; its last output:\n{output}")
    }
}

/// Keeps at most `max` characters of a response body for an error message, on a char boundary.
pub(crate) fn excerpt(body: &str, max: usize) -> String {
    let body = body.trim();
    match body.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", body.get(..cut).unwrap_or(body)),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("  short\n", 10), "short");
        assert_eq!(excerpt("äöüäöü", 3), "äöü…");
    }

    #[test]
    fn forbidden_says_which_token_is_wrong() {
        let error = ProxyError::Rejected {
            method: "GET".into(),
            url: "http://127.0.0.1:8001/api/routes".into(),
            status: 403,
            body: String::new(),
        };
        assert_eq!(
            error.to_string(),
            "the proxy answered 403 to `GET http://127.0.0.1:8001/api/routes` with an empty body; \
             help: the hub's proxy auth token differs from the proxy's CONFIGPROXY_AUTH_TOKEN"
        );
    }
}
