//! The managed proxy's life: started with a token it was given, stopped with TERM leaving no
//! process, killed when dropped, restarted when it died.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proxy_client::{AuthToken, ManagedChp, Proxy, Routing};
use serde_json::Map;

use crate::support::{Upstream, bounded, http_get, process_gone, start_chp, test_config};

async fn until_gone(pid: u32) {
    for _ in 0..100 {
        if process_gone(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the proxy (pid {pid}) is still running");
}

#[tokio::test]
async fn stop_terminates_the_process_and_frees_its_ports() {
    bounded(async {
        let config = crate::support::ManagedChpConfig {
            auth_token: AuthToken::new("given-token-123"),
            ..test_config(Routing::Path)
        };
        let chp = ManagedChp::start(config).await.unwrap();
        assert_eq!(chp.auth_token().expose(), "given-token-123");
        let pid = chp.pid();
        assert!(pid > 0 && !process_gone(pid));
        let status = chp.stop().await.unwrap().unwrap();
        // CHP exits on TERM by itself (no KILL needed).
        assert!(
            status.code().is_some()
                || std::os::unix::process::ExitStatusExt::signal(&status) == Some(15),
            "{status}"
        );
        assert!(
            std::fs::metadata(format!("/proc/{pid}")).is_err(),
            "reaped, not a zombie"
        );
        assert_eq!(chp.pid(), 0);
        let api = format!("127.0.0.1:{}", chp.config().api_port);
        assert!(tokio::net::TcpStream::connect(api).await.is_err());
        assert!(
            chp.stop().await.unwrap().is_none(),
            "a second stop does nothing"
        );
        assert!(
            !chp.restart_if_exited().await.unwrap(),
            "a stopped proxy stays stopped"
        );
    })
    .await;
}

#[tokio::test]
async fn dropping_the_handle_kills_the_process() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let pid = chp.pid();
        drop(chp);
        until_gone(pid).await;
    })
    .await;
}

#[tokio::test]
async fn a_dead_proxy_is_restarted_with_an_empty_table() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        chp.add_route("/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();
        assert!(
            !chp.restart_if_exited().await.unwrap(),
            "running: nothing to do"
        );
        let first = chp.pid();
        kill(
            Pid::from_raw(i32::try_from(first).unwrap()),
            Signal::SIGKILL,
        )
        .unwrap();
        // Node's other threads may still be exiting after the main one shows as a zombie,
        // and until they have, the process has not exited for waitpid.
        let mut restarted = false;
        for _ in 0..100 {
            restarted = chp.restart_if_exited().await.unwrap();
            if restarted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(restarted, "the killed proxy was not restarted");
        assert_ne!(chp.pid(), first);
        assert!(
            chp.get_all_routes().await.unwrap().is_empty(),
            "the caller re-adds routes"
        );
        chp.add_route("/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();
        assert_eq!(chp.get_all_routes().await.unwrap().len(), 1);
        chp.stop().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn error_and_default_targets_reach_the_proxy() {
    bounded(async {
        let hub = Upstream::start().await;
        let default = Upstream::start().await;
        let config = crate::support::ManagedChpConfig {
            error_target: Some(format!("{}/hub/error", hub.url)),
            default_target: Some(default.url.clone()),
            ..test_config(Routing::Path)
        };
        let chp = ManagedChp::start(config).await.unwrap();
        let dead = format!("http://127.0.0.1:{}", crate::support::free_port());
        chp.add_route("/user/x/", &dead, Map::new()).await.unwrap();
        let public = format!("http://127.0.0.1:{}", chp.config().public_port);

        // A dead target: CHP asks the hub's error page and relays it with the status.
        let (status, body) = http_get(&format!("{public}/user/x/lab"), &[]).await;
        assert_eq!((status, body.as_str()), (503, "upstream"));
        assert_eq!(
            hub.seen(),
            ["GET /hub/error/503?url=%2Fuser%2Fx%2Flab HTTP/1.1"]
        );

        // No route: the default target.
        let (status, _) = http_get(&format!("{public}/elsewhere"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(default.seen(), ["GET /elsewhere HTTP/1.1"]);
        chp.stop().await.unwrap();
    })
    .await;
}
