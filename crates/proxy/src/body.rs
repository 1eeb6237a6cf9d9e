//! Body types that stream through the proxy frame by frame (never buffered whole) and note
//! traffic on their route as they go: CHP records activity on every chunk of a request
//! body, and when a response with a status below 300 finishes.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::route::Route;

/// A request body on its way to a target: the client's, counted as activity per chunk, or
/// none (error-page requests).
#[derive(Debug)]
pub enum RequestBody {
    /// The client's body; each data frame touches the route.
    Client {
        /// The body as it arrives.
        inner: Incoming,
        /// The route it was routed to.
        route: Arc<Route>,
    },
    /// No body.
    Empty,
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Self::Client { inner, route } => poll_touching(inner, Some(route), cx),
            Self::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Client { inner, .. } => inner.is_end_stream(),
            Self::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Client { inner, .. } => inner.size_hint(),
            Self::Empty => SizeHint::with_exact(0),
        }
    }
}

/// Polls `inner` for a frame; a data frame touches `route`.
fn poll_touching(
    inner: &mut Incoming,
    route: Option<&Route>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
    let polled = Pin::new(inner).poll_frame(cx);
    if let (Some(route), Poll::Ready(Some(Ok(frame)))) = (route, &polled)
        && frame.is_data()
    {
        route.touch();
    }
    polled
}

/// A response body on its way to the client: a target's (or error target's) body, streamed,
/// or a small body made here.
#[derive(Debug)]
pub enum ResponseBody {
    /// Streamed from upstream. With a route (successful responses only), each data frame
    /// and the end of the response count as activity.
    Upstream {
        /// The body as it arrives.
        inner: Incoming,
        /// The route to touch, if this response counts as activity.
        route: Option<Arc<Route>>,
    },
    /// A body made here (API answers, built-in error pages), or none.
    Full(Option<Bytes>),
}

impl ResponseBody {
    /// An empty body.
    pub fn empty() -> Self {
        Self::Full(None)
    }

    /// A body of `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Self::Upstream { inner, route } => poll_touching(inner, route.as_deref(), cx),
            Self::Full(bytes) => Poll::Ready(bytes.take().map(|data| Ok(Frame::data(data)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Upstream { inner, .. } => inner.is_end_stream(),
            Self::Full(bytes) => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Upstream { inner, .. } => inner.size_hint(),
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}

impl Drop for ResponseBody {
    /// The response is done (CHP's `finish`): a successful one counts as activity.
    fn drop(&mut self) {
        if let Self::Upstream {
            route: Some(route), ..
        } = self
        {
            route.touch();
        }
    }
}
