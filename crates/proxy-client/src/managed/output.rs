//! The managed proxy's stdout and stderr: each line goes to `tracing` (target
//! `configurable_http_proxy`) and the last few are kept for error messages about a proxy that
//! would not start. The auth token is redacted from every line (CHP logs a rejected
//! `Authorization` header at debug level) and CHP's colour codes are removed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::task::JoinHandle;

use crate::AuthToken;

/// How many lines of output an error message shows.
const KEPT_LINES: usize = 20;

/// The last lines the proxy printed, and the tasks still reading them.
#[derive(Debug, Default)]
pub(crate) struct OutputTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    readers: Vec<JoinHandle<()>>,
}

impl OutputTail {
    /// Starts forwarding one of the proxy's output streams.
    pub(crate) fn follow(
        &mut self,
        stream: impl AsyncRead + Unpin + Send + 'static,
        token: AuthToken,
    ) {
        let lines = Arc::clone(&self.lines);
        self.readers.push(tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let line = clean(&line, &token);
                tracing::info!(target: "configurable_http_proxy", "{line}");
                if let Ok(mut kept) = lines.lock() {
                    if kept.len() == KEPT_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            }
        }));
    }

    /// The kept lines, after giving the readers up to `grace` to read what a process that has
    /// exited still left in its pipes.
    pub(crate) async fn collect(&mut self, grace: Duration) -> String {
        for reader in &mut self.readers {
            // A reader still running after the grace is left to finish on its own.
            let _finished = tokio::time::timeout(grace, reader).await;
        }
        self.readers.clear();
        self.lines
            .lock()
            .map(|kept| kept.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// A line without ANSI colour codes (`ESC [ … m`) and without the auth token.
fn clean(line: &str, token: &AuthToken) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for code in chars.by_ref() {
                if code.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.replace(token.expose(), "[redacted]")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn lines_lose_colours_and_the_token() {
        let token = AuthToken::new("s3cret").unwrap();
        assert_eq!(
            clean(
                "2026-11-23T00:34:56.232Z [ConfigProxy] \u{1b}[32minfo\u{1b}[39m: Rejecting API request from: token s3cret",
                &token
            ),
            "2026-11-23T00:34:56.232Z [ConfigProxy] info: Rejecting API request from: token [redacted]"
        );
    }

    #[tokio::test]
    async fn only_the_last_lines_are_kept() {
        let token = AuthToken::new("t0k").unwrap();
        let text: String = (1..=30).map(|n| format!("line {n}\n")).collect();
        let mut tail = OutputTail::default();
        tail.follow(std::io::Cursor::new(text.into_bytes()), token);
        let kept = tail.collect(Duration::from_secs(5)).await;
        assert!(kept.starts_with("line 11\n"), "{kept}");
        assert!(kept.ends_with("line 30"), "{kept}");
    }
}
