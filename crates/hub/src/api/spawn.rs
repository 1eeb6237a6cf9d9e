//! Starting servers and following their start: `POST /users/:name/server[s/:server]`
//! (`UserServerAPIHandler.post`) and `GET .../progress` (`SpawnProgressAPIHandler`, a
//! `text/event-stream`). Stopping is `DELETE` in `servers.rs`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use spawner::ProgressEvent;

use super::guard;
use super::servers::{
    ServerParams, check_named_server_request, need, server_json_body, server_path,
};
use super::users::load_user_or_404;
use crate::error::{ApiError, ApiResult};
use crate::spawning::{self, Phase, Started};
use crate::state::SharedState;

/// How often the progress stream sends a keepalive (JupyterHub: 8 s).
const KEEPALIVE: Duration = Duration::from_secs(8);

/// An empty `text/plain` answer with `status`, as JupyterHub answers starts and stops.
pub(super) fn text_plain(status: StatusCode) -> Response {
    let mut response = status.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

/// POST /users/:name/server and /users/:name/servers/:server: start it. 201 when ready
/// within `slow_spawn_timeout`, 202 while still starting.
pub async fn post(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let path = server_path(params);
    let (user, name) = path.clone();
    let user_options = guard::write(
        &state,
        &headers,
        need(&["start:servers"], &path),
        move |state, _, membership| {
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &user)?;
            let (display_name, user_options) = server_json_body(&body)?;
            if !name.is_empty() {
                let display = display_name
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| name.clone());
                check_named_server_request(state, &mut tx, &user, &name, &display, true)?;
                if tx.find_server(&user, &name)?.is_none() {
                    tx.create_server(&user, &name, Some(&display))?;
                }
            }
            Ok(user_options)
        },
    )
    .await?;
    let (user, name) = path;
    Ok(
        match spawning::start(&state, &user, &name, user_options).await? {
            Started::Ready => text_plain(StatusCode::CREATED),
            Started::Pending => text_plain(StatusCode::ACCEPTED),
        },
    )
}

/// GET .../progress: the start's events as `data: {json}\n\n`, a keepalive `\n\n` at once
/// and every 8 s, closed after the ready or failed event.
pub async fn progress(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
) -> ApiResult {
    let path = server_path(params);
    let (user, name) = path.clone();
    guard::read(
        &state,
        &headers,
        need(&["read:servers"], &path),
        move |_, _, membership| {
            let mut tx = membership.tx()?;
            // JupyterHub looks the server up among those the user has: unlike most
            // handlers, this one does not make the default server's record.
            if tx.find_user(&user)?.is_none() || tx.find_server(&user, &name)?.is_none() {
                return Err(ApiError::bare(StatusCode::NOT_FOUND));
            }
            Ok(())
        },
    )
    .await?;
    let (user, name) = path;
    let live = state.servers.get(&user, &name);
    let phase = live.as_ref().map(|live| live.phase());
    let url = spawning::routespec(&state.config.base_url, &user, &name);
    let stream_of = |events: Vec<ProgressEvent>| {
        let text: String = std::iter::once("\n\n".to_owned())
            .chain(events.iter().map(ProgressEvent::to_sse))
            .collect();
        event_stream(Body::from(text))
    };
    match (live, phase) {
        (Some(live), Some(Phase::Spawning)) => {
            let mut subscription = live.spawner.progress().subscribe();
            let stream = async_stream(move |sender| async move {
                let _ = sender.send(Ok(Bytes::from_static(b"\n\n"))).await;
                loop {
                    match tokio::time::timeout(KEEPALIVE, subscription.next()).await {
                        Ok(Some(event)) => {
                            let last = event.is_final();
                            if sender.send(Ok(Bytes::from(event.to_sse()))).await.is_err() || last {
                                return;
                            }
                        }
                        Ok(None) => return,
                        Err(_) => {
                            if sender.send(Ok(Bytes::from_static(b"\n\n"))).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
            Ok(event_stream(stream))
        }
        (Some(_), Some(Phase::Ready { .. })) => Ok(stream_of(vec![ProgressEvent::ready(&url)])),
        (Some(live), Some(Phase::Failed { .. })) => {
            let events = live.spawner.progress().events();
            let failed: Vec<ProgressEvent> =
                events.into_iter().filter(ProgressEvent::is_final).collect();
            Ok(stream_of(failed))
        }
        _ => Err(ApiError::bad_request(format!(
            "{} is not starting...",
            spawning::log_name(&user, &name)
        ))),
    }
}

/// A body fed by a task through a channel.
fn async_stream<F, Fut>(produce: F) -> Body
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(produce(sender));
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Body::from_stream(stream)
}

fn event_stream(body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
