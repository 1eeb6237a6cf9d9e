//! Progress of one spawn, as the hub's `GET /hub/api/users/NAME/server/progress` streams it
//! (reference §8.5): the event shape ([`ProgressEvent`]), and a log per spawner that any number
//! of readers follow from its first event, late or early ([`ProgressLog`], [`ProgressSubscription`]).

use crate::pyjson;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// One progress event, serialized with JupyterHub's keys in JupyterHub's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressEvent {
    /// Out of 100; absent when an event only updates the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// Set on the final event of a successful spawn.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ready: bool,
    /// Set on the final event of a failed spawn.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Plain text (escaped when shown as HTML).
    pub message: String,
    /// HTML shown instead of `message` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_message: Option<String>,
    /// The server's URL, on the ready event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

impl ProgressEvent {
    /// An intermediate event: `{"progress": N, "message": "..."}`.
    pub fn step(progress: u8, message: impl Into<String>) -> Self {
        Self {
            progress: Some(progress.min(100)),
            ready: false,
            failed: false,
            message: message.into(),
            html_message: None,
            url: None,
        }
    }

    /// The first event of every spawn: `{"progress": 0, "message": "Server requested"}`.
    pub fn requested() -> Self {
        Self::step(0, "Server requested")
    }

    /// The default spawner event: `{"progress": 50, "message": "Spawning server..."}`.
    pub fn spawning() -> Self {
        Self::step(50, "Spawning server...")
    }

    /// The ready event for a server at `url` (the server's URL path, e.g. `/user/alice/`).
    pub fn ready(url: &str) -> Self {
        Self {
            progress: Some(100),
            ready: true,
            failed: false,
            message: format!("Server ready at {url}"),
            html_message: Some(format!("Server ready at <a href=\"{url}\">{url}</a>")),
            url: Some(url.to_owned()),
        }
    }

    /// The failed event: `{"progress": 100, "failed": true, "message": "Spawn failed: ..."}`.
    pub fn failed(reason: &str) -> Self {
        Self {
            progress: Some(100),
            ready: false,
            failed: true,
            message: format!("Spawn failed: {reason}"),
            html_message: None,
            url: None,
        }
    }

    /// Whether the stream ends after this event.
    pub fn is_final(&self) -> bool {
        self.ready || self.failed
    }

    /// The event as one server-sent event, `data: <json.dumps(event)>\n\n`, spelled as Python does.
    pub fn to_sse(&self) -> String {
        let json = serde_json::to_value(self)
            .map(|value| pyjson::dumps(&value))
            .unwrap_or_default();
        format!("data: {json}\n\n")
    }
}

#[derive(Debug, Default)]
struct ProgressState {
    /// Counts spawns, so a reader of an old spawn stops when a new one begins.
    spawn: u64,
    events: Vec<ProgressEvent>,
    finished: bool,
}

/// The progress of a spawner's current (or last) spawn. Writers use `&self`; readers
/// [`subscribe`](Self::subscribe) and get every event from the first.
#[derive(Debug)]
pub struct ProgressLog {
    state: watch::Sender<ProgressState>,
}

impl Default for ProgressLog {
    fn default() -> Self {
        Self {
            state: watch::Sender::new(ProgressState::default()),
        }
    }
}

impl ProgressLog {
    /// Starts a new spawn's log with the "Server requested" event; readers of the previous one end.
    pub fn begin(&self) {
        self.state.send_modify(|state| {
            state.spawn += 1;
            state.events = vec![ProgressEvent::requested()];
            state.finished = false;
        });
    }

    /// Adds a spawner's event. Like JupyterHub, a spawner event cannot claim readiness: `ready`
    /// is stripped. Ignored once the spawn has finished.
    pub fn push(&self, mut event: ProgressEvent) {
        event.ready = false;
        self.state.send_if_modified(|state| {
            if state.finished {
                return false;
            }
            state.events.push(event);
            true
        });
    }

    /// Ends the spawn with its ready or failed event.
    pub fn finish(&self, event: ProgressEvent) {
        self.state.send_modify(|state| {
            if !state.finished {
                state.events.push(event);
                state.finished = true;
            }
        });
    }

    /// Whether a spawn is in progress (begun and not finished).
    pub fn is_pending(&self) -> bool {
        let state = self.state.borrow();
        state.spawn > 0 && !state.finished
    }

    /// The events so far of the current spawn.
    pub fn events(&self) -> Vec<ProgressEvent> {
        self.state.borrow().events.clone()
    }

    /// A reader of the current spawn's events, from the first.
    pub fn subscribe(&self) -> ProgressSubscription {
        let receiver = self.state.subscribe();
        let spawn = receiver.borrow().spawn;
        ProgressSubscription {
            receiver,
            spawn,
            next: 0,
        }
    }
}

/// Follows one spawn's events; see [`ProgressLog::subscribe`].
#[derive(Debug)]
pub struct ProgressSubscription {
    receiver: watch::Receiver<ProgressState>,
    spawn: u64,
    next: usize,
}

impl ProgressSubscription {
    /// The next event, waiting for it; `None` after the final event, when a new spawn replaced
    /// this one, or when the spawner is gone.
    pub async fn next(&mut self) -> Option<ProgressEvent> {
        loop {
            {
                let state = self.receiver.borrow_and_update();
                if state.spawn != self.spawn {
                    return None;
                }
                if let Some(event) = state.events.get(self.next) {
                    self.next += 1;
                    return Some(event.clone());
                }
                if state.finished {
                    return None;
                }
            }
            self.receiver.changed().await.ok()?;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn events_serialize_as_the_reference_shows() {
        let check = |event: ProgressEvent, want: &str| {
            assert_eq!(event.to_sse(), format!("data: {want}\n\n"))
        };
        check(
            ProgressEvent::requested(),
            r#"{"progress": 0, "message": "Server requested"}"#,
        );
        check(
            ProgressEvent::spawning(),
            r#"{"progress": 50, "message": "Spawning server..."}"#,
        );
        check(
            ProgressEvent::ready("/user/alice/"),
            r#"{"progress": 100, "ready": true, "message": "Server ready at /user/alice/", "html_message": "Server ready at <a href=\"/user/alice/\">/user/alice/</a>", "url": "/user/alice/"}"#,
        );
        check(
            ProgressEvent::failed("boom"),
            r#"{"progress": 100, "failed": true, "message": "Spawn failed: boom"}"#,
        );
    }

    #[tokio::test]
    async fn late_and_early_readers_see_every_event_then_the_end() {
        let log = ProgressLog::default();
        log.begin();
        let mut early = log.subscribe();
        log.push(ProgressEvent::spawning());
        let waiting = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(event) = early.next().await {
                seen.push(event.message);
            }
            seen
        });
        tokio::task::yield_now().await;
        log.finish(ProgressEvent::ready("/user/alice/"));
        let mut late = log.subscribe();
        let mut late_seen = Vec::new();
        while let Some(event) = late.next().await {
            late_seen.push(event.message);
        }
        let want = [
            "Server requested",
            "Spawning server...",
            "Server ready at /user/alice/",
        ];
        assert_eq!(waiting.await.unwrap(), want);
        assert_eq!(late_seen, want);
        assert!(!log.is_pending());
    }

    #[tokio::test]
    async fn spawner_events_cannot_claim_ready_and_a_new_spawn_ends_old_readers() {
        let log = ProgressLog::default();
        log.begin();
        let mut reader = log.subscribe();
        let mut sneaky = ProgressEvent::step(70, "almost");
        sneaky.ready = true;
        log.push(sneaky);
        assert_eq!(reader.next().await.unwrap().message, "Server requested");
        assert!(!reader.next().await.unwrap().ready);
        assert!(log.is_pending());
        log.begin();
        assert_eq!(reader.next().await, None);
    }
}
