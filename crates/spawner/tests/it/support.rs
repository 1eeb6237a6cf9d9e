//! What the tests share: the venv with the real `jupyterhub-singleuser`, the hub side of the
//! single-user contract, a system user for the test, and guards that always clean up.

use spawner::{HubLocation, SpawnSpec};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The repository's `.venv` (made by `scripts/setup-oracle`).
pub fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv")
}

/// The real `jupyterhub-singleuser`, or a failure that says how to install it.
pub fn singleuser() -> String {
    let path = venv().join("bin/jupyterhub-singleuser");
    let with_server = Command::new(venv().join("bin/python"))
        .args(["-c", "import jupyter_server, jupyterhub"])
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        path.is_file() && with_server,
        "{} with jupyter_server is missing: run scripts/setup-oracle (it installs jupyterhub 6.1.1 and jupyter_server 2.x into .venv)",
        path.display()
    );
    path.canonicalize().unwrap().display().to_string()
}

/// The hub side of the single-user contract (reference §5.3), started on a loopback port:
/// `jupyterhub-singleuser` exits unless `GET $JUPYTERHUB_API_URL` answers 2xx, and posts its
/// activity. This answers those two as JupyterHub 6.1.1 does (version header, 200); it is not a
/// stand-in for the component under test, which is the spawner and the real server it starts.
pub struct HubSide {
    /// `http://127.0.0.1:PORT/hub/api`.
    pub api_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl HubSide {
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // the head, then as much body as Content-Length says
                    loop {
                        let Ok(read) = stream.read(&mut chunk).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&chunk[..read]);
                        let text = String::from_utf8_lossy(&request).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text[..end]
                                .lines()
                                .find_map(|line| {
                                    line.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|n| n.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if request.len() >= end + 4 + length {
                                break;
                            }
                        }
                    }
                    let body = r#"{"version": "6.1.1"}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nX-JupyterHub-Version: 6.1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            api_url: format!("http://127.0.0.1:{port}/hub/api"),
            task,
        }
    }

    /// A spec for `user`'s default server against this hub, running the real single-user server.
    pub fn spec(&self, user: &str) -> SpawnSpec {
        let hub = HubLocation {
            base_url: "/".to_owned(),
            api_url: self.api_url.clone(),
        };
        let mut spec = SpawnSpec::new(
            user,
            "",
            &hub,
            "0123456789abcdef0123456789abcdef".to_owned(),
        );
        spec.cmd = vec![singleuser()];
        spec.http_timeout = Duration::from_secs(30);
        spec
    }
}

impl Drop for HubSide {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A system account for the hub user of one test: as root a fresh `hubcap-test-…` account
/// (removed on drop); otherwise the account the tests run as, since only root may switch users.
pub struct TestUser {
    pub name: String,
    created: bool,
}

impl TestUser {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        if !is_root() {
            let me = nix::unistd::User::from_uid(nix::unistd::geteuid())
                .unwrap()
                .unwrap();
            return Self {
                name: me.name,
                created: false,
            };
        }
        let name = format!(
            "hubcap-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let status = Command::new("useradd")
            .args(["-m", "--", &name])
            .status()
            .unwrap();
        assert!(status.success(), "useradd -m {name} failed");
        Self {
            name,
            created: true,
        }
    }

    /// A fresh name for an account the spawner is to create (`create_system_users`); removed on
    /// drop. Only as root.
    pub fn to_be_created() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hubcap-test-new-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self {
            name,
            created: true,
        }
    }

    pub fn uid(&self) -> u32 {
        nix::unistd::User::from_name(&self.name)
            .unwrap()
            .unwrap()
            .uid
            .as_raw()
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        if self.created {
            let _ = Command::new("userdel")
                .args(["-r", "--", &self.name])
                .output();
        }
    }
}

/// A name no system account has.
pub fn unknown_user() -> String {
    format!("hubcap-nouser-{}", std::process::id())
}

/// Kills a process group on drop, whatever the test did.
pub struct GroupGuard(pub i32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
        // wait for it to be gone, so that the test's system user can be removed after
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while spawner::process_group_alive(self.0) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Kills the process group of whatever server `spawner` has when dropped, so that a failed
/// assertion never leaves a server running. Make it right after the spawner.
pub struct KillOnDrop<'a>(pub &'a dyn spawner::Spawner);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(pid) = self.0.state()["pid"]
            .as_i64()
            .and_then(|pid| i32::try_from(pid).ok())
        {
            drop(GroupGuard(pid));
        }
    }
}

/// The `Uid:` line's real uid from `/proc/PID/status`.
pub fn uid_of(pid: i32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("Uid:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Bounds a test body in time.
pub async fn within<T>(seconds: u64, body: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), body)
        .await
        .expect("the test took too long")
}
