//! Serving connections: what `axum::serve` does, plus what a server on the internet needs.
//!
//! - A client must finish sending a request's headers within [`Limits::header_timeout`], and a
//!   kept-alive connection that sends nothing is closed after the same time, so slow or idle
//!   clients cannot hold file descriptors for ever.
//! - At most [`Limits::max_connections`] connections at once, and at most
//!   [`Limits::per_client`] from one address: a connection beyond either is closed at once,
//!   so one client cannot take every slot (behind a reverse proxy, raise `per_client`: every
//!   connection then comes from the proxy).
//! - The errors the HTTP parser answers by itself (a request line over 64 KiB, too many or too
//!   large headers, a malformed request) get the API's error shape instead of an empty body.
//! - On shutdown, requests in flight finish; new connections are refused.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use refund_api::{ErrorBody, ErrorDetail, Problem};
use refund_core::Lang;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// How many connections the server holds and for how long it waits for headers.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub per_client: usize,
    pub header_timeout: Duration,
}

impl Default for Limits {
    /// Within the 1024 file descriptors most systems give a process, leaving room for the
    /// database's.
    fn default() -> Limits {
        Limits {
            max_connections: 768,
            per_client: 128,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Connections open per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One client's connection slot, given back when dropped.
struct ClientSlot {
    clients: Arc<PerClient>,
    ip: IpAddr,
}

impl PerClient {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<ClientSlot> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            clients: self.clone(),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.clients.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish. Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let clients = Arc::new(PerClient::default());
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let Some(client) = clients.take(peer.ip(), limits.per_client) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = builder
            .serve_connection(TokioIo::new(ShapedErrors::new(stream)), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop((slot, client));
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// A connection whose parser-made error responses (headers and no body, no content type) are
/// rewritten into the API's error shape. The parser closes the connection after them, so the
/// rewrite is the last thing written.
struct ShapedErrors {
    stream: TcpStream,
    /// A rewritten response still to be written.
    pending: Vec<u8>,
    written: usize,
}

impl ShapedErrors {
    fn new(stream: TcpStream) -> ShapedErrors {
        ShapedErrors {
            stream,
            pending: Vec::new(),
            written: 0,
        }
    }

    /// Writes what is pending; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.stream).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// The API's answer in place of a parser-made response head, if `head` is one.
fn shaped(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let problem = match status {
        400 => Problem::InvalidRequest,
        414 => Problem::UriTooLong,
        431 => Problem::HeadersTooLarge,
        _ => return None,
    };
    let lower = text.to_ascii_lowercase();
    let bare = text.ends_with("\r\n\r\n")
        && !lower.contains("\r\ncontent-type:")
        && lower.contains("\r\ncontent-length: 0\r\n");
    if !bare {
        return None;
    }
    let body = serde_json::to_vec(&ErrorBody {
        error: ErrorDetail::<()>::new(&problem, Lang::En),
    })
    .ok()?;
    let reason = text.lines().next()?.get(13..).unwrap_or("");
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    Some(response)
}

impl AsyncRead for ShapedErrors {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ShapedErrors {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(response) = shaped(buf) {
            self.pending = response;
            self.written = 0;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    // Not vectored: the parser then hands each response head over in one piece.
}

#[cfg(test)]
mod tests {
    use super::shaped;

    #[test]
    fn a_bare_parser_error_becomes_the_error_shape_and_other_writes_pass() {
        let head = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 12:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(shaped(head).unwrap()).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
            "{answer}"
        );
        assert!(answer.contains("content-type: application/json"));
        assert!(
            answer.ends_with(
                r#""code":"uri_too_long","message":"The request's path and query are too long."}}"#
            ),
            "{answer}"
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(shaped(ours), None);
        assert_eq!(
            shaped(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert_eq!(shaped(b"{\"a\": 1}"), None);
    }
}
