//! Waiting for a started server to answer HTTP (JupyterHub's `User._wait_up` and
//! `wait_for_http_server`): `GET {prefix}api` without credentials or redirects, any status
//! below 500 counts. Unlike JupyterHub's exponential backoff, it probes every
//! [`PROBE_INTERVAL`], so a server is reported ready within milliseconds of answering, and it
//! checks the process between probes, so a server that died is reported at once.

use crate::{ExitStatus, ServerEndpoint, Spawner};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The pause between two probes.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// The longest one probe (connect, send, read the head) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The most of a response head that is read.
const MAX_HEAD: usize = 16 * 1024;

/// A server that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUp {
    /// The HTTP status of its answer (below 500).
    pub status: u16,
    /// Its `X-JupyterHub-Version` header, which the hub compares with its own version.
    pub jupyterhub_version: Option<String>,
    /// How long the hub waited.
    pub waited: Duration,
}

/// Why waiting ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFailure {
    /// The server exited first.
    Exited(ExitStatus),
    /// The timeout passed; what the last probe saw.
    TimedOut(String),
}

/// The URL the hub probes: `{endpoint.url}{prefix}api`.
pub fn probe_url(endpoint: &ServerEndpoint, service_prefix: &str) -> String {
    format!("{}{}", endpoint.url, probe_path(service_prefix))
}

fn probe_path(service_prefix: &str) -> String {
    crate::urls::url_path_join(&[service_prefix, "api"])
}

/// Probes the server until it answers, the timeout passes, or `spawner.poll()` says it exited.
pub async fn wait_for_server(
    spawner: &dyn Spawner,
    endpoint: &ServerEndpoint,
    service_prefix: &str,
    timeout: Duration,
) -> Result<ServerUp, WaitFailure> {
    let began = Instant::now();
    let deadline = began + timeout;
    let path = probe_path(service_prefix);
    let mut last_attempt = String::from("no attempt yet");
    loop {
        if let Ok(Some(status)) = spawner.poll().await {
            return Err(WaitFailure::Exited(status));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WaitFailure::TimedOut(last_attempt));
        }
        match tokio::time::timeout(left.min(PROBE_TIMEOUT), probe_once(endpoint, &path)).await {
            Ok(Ok(answer)) if answer.status < 500 => {
                let waited = began.elapsed();
                tracing::debug!(url = %endpoint.url, status = answer.status, ?waited, "server answered");
                return Ok(ServerUp {
                    status: answer.status,
                    jupyterhub_version: answer.jupyterhub_version,
                    waited,
                });
            }
            Ok(Ok(answer)) => {
                tracing::warn!(url = %endpoint.url, status = answer.status, "server answered with an error; still waiting");
                last_attempt = format!("HTTP {}", answer.status);
            }
            Ok(Err(error)) => last_attempt = error.to_string(),
            Err(_) => last_attempt = format!("no answer within {:?}", left.min(PROBE_TIMEOUT)),
        }
        tokio::time::sleep(PROBE_INTERVAL.min(deadline.saturating_duration_since(Instant::now())))
            .await;
    }
}

struct Answer {
    status: u16,
    jupyterhub_version: Option<String>,
}

/// Where to connect for a server listening on `ip`: "all interfaces" means loopback.
fn connect_host(ip: &str) -> &str {
    match ip {
        "" | "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        other => other,
    }
}

async fn probe_once(endpoint: &ServerEndpoint, path: &str) -> std::io::Result<Answer> {
    let host = connect_host(&endpoint.ip);
    let mut stream = TcpStream::connect((host, endpoint.port)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: hubcap-spawner\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        crate::urls::fmt_ip_url(host),
        endpoint.port
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
    parse_head(&String::from_utf8_lossy(&head))
}

fn parse_head(head: &str) -> std::io::Result<Answer> {
    let invalid = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not an HTTP answer: `{}`",
                head.lines().next().unwrap_or("")
            ),
        )
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(invalid)?;
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().and_then(|code| code.parse::<u16>().ok());
    let (true, Some(status)) = (version.starts_with("HTTP/"), status) else {
        return Err(invalid());
    };
    let jupyterhub_version = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("x-jupyterhub-version")
            .then(|| value.trim().to_owned())
    });
    Ok(Answer {
        status,
        jupyterhub_version,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn heads_are_read_for_status_and_version() {
        let answer = parse_head("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-JupyterHub-Version: 6.1.1\r\n\r\n").unwrap();
        assert_eq!(
            (answer.status, answer.jupyterhub_version.as_deref()),
            (200, Some("6.1.1"))
        );
        let answer = parse_head("HTTP/1.1 404 Not Found\r\n\r\n").unwrap();
        assert_eq!((answer.status, answer.jupyterhub_version), (404, None));
        assert!(parse_head("SSH-2.0-OpenSSH\r\n").is_err());
        assert!(parse_head("").is_err());
    }

    #[test]
    fn the_probe_path_is_the_prefix_plus_api() {
        let endpoint = ServerEndpoint::new("http", "127.0.0.1", 8888);
        assert_eq!(
            probe_url(&endpoint, "/user/alice/"),
            "http://127.0.0.1:8888/user/alice/api"
        );
        assert_eq!(connect_host("0.0.0.0"), "127.0.0.1");
        assert_eq!(connect_host("::"), "::1");
    }
}
