//! Failures a user must be able to act on: a wrong token, a proxy that is not running, a
//! missing executable, a port already taken. No message may contain a token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proxy_client::{
    AuthToken, ChpClient, ChpClientConfig, ManagedChp, ManagedChpConfig, Proxy, ProxyError, Routing,
};
use serde_json::Map;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{bounded, free_port, start_chp, test_config};

#[tokio::test]
async fn a_wrong_token_is_a_clear_403_without_retries() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let wrong = "wrong-token-0123456789";
        let client = ChpClient::new(ChpClientConfig {
            api_url: chp.config().api_url(),
            auth_token: AuthToken::new(wrong),
            ..ChpClientConfig::default()
        })
        .unwrap();
        let started = Instant::now();
        let error = client.get_all_routes().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a 403 is not retried"
        );
        assert!(
            matches!(error, ProxyError::Rejected { status: 403, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert_eq!(
            message,
            format!(
                "the proxy answered 403 to `GET {}/api/routes` with an empty body; help: the hub's \
                 proxy auth token differs from the proxy's CONFIGPROXY_AUTH_TOKEN",
                chp.config().api_url()
            )
        );
        let error = client
            .add_route("/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("answered 403 to `POST"), "{error}");
        for text in [&message, &error, &format!("{client:?}")] {
            assert!(
                !text.contains(wrong) && !text.contains(chp.auth_token().expose()),
                "{text}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_proxy_that_is_not_running_is_retried_then_reported() {
    bounded(async {
        let api_url = format!("http://127.0.0.1:{}", free_port());
        let client = ChpClient::new(ChpClientConfig {
            api_url: api_url.clone(),
            auth_token: AuthToken::new("secret-token-abc"),
            retry_timeout: Duration::from_millis(1500),
            ..ChpClientConfig::default()
        })
        .unwrap();
        let started = Instant::now();
        let error = client.get_all_routes().await.unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1400) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
        let ProxyError::Unavailable { attempts, .. } = &error else {
            panic!("{error:?}");
        };
        assert!(*attempts > 2, "{attempts}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "the proxy did not answer `GET {api_url}/api/routes` after"
            )),
            "{message}"
        );
        assert!(message.contains("Connection refused"), "{message}");
        assert!(
            message
                .ends_with("help: is configurable-http-proxy running, and is its api_url right?")
        );
        assert!(!message.contains("secret-token-abc"));
    })
    .await;
}

#[tokio::test]
async fn a_missing_executable_says_how_to_install_it() {
    bounded(async {
        let config = ManagedChpConfig {
            command: vec!["/nonexistent/bin/configurable-http-proxy".into()],
            ..test_config(Routing::Path)
        };
        let error = ManagedChp::start(config).await.unwrap_err();
        assert!(
            matches!(error, ProxyError::ExecutableNotFound { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the proxy executable `/nonexistent/bin/configurable-http-proxy` was not found; help: \
             install configurable-http-proxy with `npm install configurable-http-proxy` (in this \
             repository: run scripts/setup-chp) or configure the proxy command with its full path"
        );
    })
    .await;
}

#[tokio::test]
async fn a_taken_port_fails_start_with_the_proxys_own_words() {
    bounded(async {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let config = ManagedChpConfig {
            public_port: taken.local_addr().unwrap().port(),
            auth_token: AuthToken::new("start-token-xyz"),
            start_timeout: Duration::from_secs(8),
            ..test_config(Routing::Path)
        };
        // CHP does not exit: it logs the uncaught EADDRINUSE and keeps its API up, so only
        // its health check on the public port tells that the port is not its own.
        let error = ManagedChp::start(config).await.unwrap_err();
        assert!(
            matches!(error, ProxyError::StartTimeout { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with("the proxy did not come up within 8.0s (public port: "),
            "{message}"
        );
        assert!(message.contains("EADDRINUSE"), "{message}");
        assert!(!message.contains("start-token-xyz"));
    })
    .await;
}

#[tokio::test]
async fn a_proxy_that_accepts_but_never_answers_times_out() {
    bounded(async {
        // The kernel completes connections to a listener nobody accepts from; no answer comes.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let api_url = format!("http://{}", silent.local_addr().unwrap());
        let client = ChpClient::new(ChpClientConfig {
            api_url: api_url.clone(),
            auth_token: AuthToken::new("t"),
            request_timeout: Duration::from_millis(300),
            retry_timeout: Duration::from_secs(1),
            ..ChpClientConfig::default()
        })
        .unwrap();
        let started = Instant::now();
        let error = client.delete_route("/user/a/").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(4));
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "the proxy did not answer `DELETE {api_url}/api/routes/user/a` after"
            )),
            "{message}"
        );
        assert!(message.contains("no answer within 0.3s"), "{message}");
    })
    .await;
}

/// Answers each connection with the next status of `statuses` (then 201), counting requests.
/// Not a stand-in for CHP: the real proxy cannot be made to fail with 5xx on demand, and
/// this checks only which answers the client retries.
async fn answering(statuses: &'static [u16]) -> (String, std::sync::Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let status = statuses.get(n).copied().unwrap_or(201);
            let mut buf = [0_u8; 4096];
            let _ = stream.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, count)
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not() {
    bounded(async {
        let client = |api_url: String| {
            ChpClient::new(ChpClientConfig {
                api_url,
                auth_token: AuthToken::new("t"),
                retry_timeout: Duration::from_secs(10),
                ..ChpClientConfig::default()
            })
            .unwrap()
        };
        let (url, count) = answering(&[500, 503]).await;
        client(url)
            .add_route("/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 3);

        let (url, count) = answering(&[400]).await;
        let error = client(url)
            .add_route("/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap_err();
        assert!(
            matches!(error, ProxyError::Rejected { status: 400, .. }),
            "{error:?}"
        );
        assert!(error.to_string().ends_with(": oops"), "{error}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    })
    .await;
}
