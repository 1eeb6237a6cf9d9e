//! Websocket upgrades: the upgrade request is forwarded (with the `ws` forwarded headers);
//! when the target switches protocols, the client gets the target's 101 and its headers, and
//! the two connections are joined, bytes copied both ways, each read counting as activity
//! on the route. A target that answers otherwise has its answer relayed, and the connection
//! closes, as in CHP.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::Incoming;
use hyper::header::{CONNECTION, HeaderValue, UPGRADE};
use hyper::http::{Extensions, Version};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::body::{RequestBody, ResponseBody};
use crate::error_page::error_response;
use crate::handler::{log_url, url_of};
use crate::headers;
use crate::route::{Route, Target};
use crate::shared::{Peer, Shared};

/// Proxies one websocket upgrade request.
pub async fn proxy(
    shared: &Arc<Shared>,
    peer: &Peer,
    route: Arc<Route>,
    target: &Target,
    uri: hyper::Uri,
    mut request: Request<Incoming>,
) -> Response<ResponseBody> {
    let client_side = hyper::upgrade::on(&mut request);
    let (mut parts, _) = request.into_parts();
    let upgrade = parts
        .headers
        .get(UPGRADE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("websocket"));
    headers::strip_hop_by_hop(&mut parts.headers);
    parts
        .headers
        .insert(CONNECTION, HeaderValue::from_static("upgrade"));
    parts.headers.insert(UPGRADE, upgrade);
    if shared.settings.x_forward {
        headers::add_forwarded(&mut parts.headers, &peer.forwarded_for, true);
    }
    let original_uri = std::mem::replace(&mut parts.uri, uri);
    parts.version = Version::HTTP_11;
    parts.extensions = Extensions::new();
    let mut response = match shared
        .client
        .request(Request::from_parts(parts, RequestBody::Empty))
        .await
    {
        Ok(response) => response,
        Err(error) => {
            let url = url_of(&original_uri);
            tracing::error!(url = %log_url(url), target = %target.authority(), reason = %error, "503: websocket target did not answer");
            return error_response(shared, StatusCode::SERVICE_UNAVAILABLE, url, true).await;
        }
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        // Not a websocket endpoint: relay its answer, then close.
        let (mut parts, body) = response.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        parts
            .headers
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return Response::from_parts(
            parts,
            ResponseBody::Upstream {
                inner: body,
                route: None,
            },
        );
    }
    let target_side = hyper::upgrade::on(&mut response);
    let alive = shared.alive.clone();
    let mut aborting = shared.aborting.clone();
    let join_route = Arc::clone(&route);
    tokio::spawn(async move {
        let _alive = alive;
        let joined = async {
            let (client, target) =
                tokio::try_join!(client_side, target_side).map_err(|error| error.to_string())?;
            let mut client = Touching {
                inner: TokioIo::new(client),
                route: Arc::clone(&join_route),
            };
            let mut target = Touching {
                inner: TokioIo::new(target),
                route: join_route,
            };
            tokio::io::copy_bidirectional(&mut client, &mut target)
                .await
                .map_err(|error| error.to_string())?;
            Ok::<(), String>(())
        };
        tokio::select! {
            outcome = joined => if let Err(error) = outcome {
                tracing::debug!(%error, "websocket closed with an error");
            },
            _ = aborting.wait_for(|aborted| *aborted) => {}
        }
    });
    let (parts, _) = response.into_parts();
    let mut switching = Response::new(ResponseBody::empty());
    *switching.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *switching.headers_mut() = parts.headers;
    switching
}

/// A stream whose reads count as activity on a route.
struct Touching<T> {
    inner: T,
    route: Arc<Route>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Touching<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.route.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Touching<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
