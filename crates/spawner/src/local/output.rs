//! A server's stdout and stderr: every line goes to `tracing` (target `singleuser`, with the
//! user and server), with the server's token blanked out, and the last lines of stderr are kept
//! for the error message when the server fails to start.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::task::JoinHandle;

/// How many stderr lines an error message shows.
const TAIL_LINES: usize = 20;

/// The last lines a server wrote to stderr.
#[derive(Debug, Default, Clone)]
pub(crate) struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// The kept lines, joined.
    pub(crate) fn text(&self) -> String {
        self.0
            .lock()
            .map(|lines| {
                lines
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

/// Who a stream belongs to, for the log lines.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub user: String,
    pub server: String,
    /// The server's API token, blanked out of every line.
    pub token: String,
}

/// Forwards `stream` line by line until it closes; stderr lines also go to `tail`.
pub(crate) fn forward(
    stream: impl AsyncRead + Unpin + Send + 'static,
    name: &'static str,
    origin: Origin,
    tail: Option<StderrTail>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match reader.read_until(b'\n', &mut raw).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let mut line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            if !origin.token.is_empty() && line.contains(&origin.token) {
                line = line.replace(&origin.token, "[token]");
            }
            tracing::info!(target: "singleuser", user = %origin.user, server = %origin.server, stream = name, "{line}");
            if let Some(tail) = &tail {
                tail.push(line);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[tokio::test]
    async fn keeps_the_last_lines_without_the_token() {
        let tail = StderrTail::default();
        let text: String = (0..25)
            .map(|n| format!("line {n} secret-token\n"))
            .collect();
        let origin = Origin {
            user: "alice".to_owned(),
            server: String::new(),
            token: "secret-token".to_owned(),
        };
        forward(
            std::io::Cursor::new(text.into_bytes()),
            "stderr",
            origin,
            Some(tail.clone()),
        )
        .await
        .unwrap();
        let kept = tail.text();
        assert!(
            kept.starts_with("line 5 [token]") && kept.ends_with("line 24 [token]"),
            "{kept}"
        );
        assert!(!kept.contains("secret-token"));
    }
}
