//! What hubcap adds to a server's own start-up: the time from `spawn()` to ready, against the
//! time to the first answer of the same command with the same environment launched by hand.
//! Run alone to read the numbers: `cargo test -p spawner --test it spawn_overhead -- --nocapture`.

use crate::support::{GroupGuard, HubSide, is_root, singleuser, unknown_user, within};
use spawner::{LocalProcessConfig, LocalProcessSpawner, SpawnSpec, Spawner, environment, spawn};
use std::os::unix::process::CommandExt as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const ROUNDS: usize = 3;

/// Launches the command as the spawner would (same program, arguments, environment, own process
/// group) and waits for the first HTTP answer below 500 at `{prefix}api`, probing every 10 ms.
async fn by_hand(spec: &SpawnSpec) -> Duration {
    let mut spec = spec.clone();
    spec.port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hub_env = std::env::vars().collect();
    let mut env = environment(&spec, &hub_env).unwrap();
    env.insert("USER".to_owned(), spec.user.clone());
    env.insert(
        "HOME".to_owned(),
        std::env::var("HOME").unwrap_or_else(|_| "/".to_owned()),
    );
    let mut command = std::process::Command::new(singleuser());
    if is_root() {
        command.arg("--allow-root");
    }
    command
        .env_clear()
        .envs(&env)
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let began = Instant::now();
    let mut child = command.spawn().unwrap();
    let _guard = GroupGuard(i32::try_from(child.id()).unwrap());
    let request = format!(
        "GET {}api HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        spec.service_prefix, spec.port
    );
    let took = loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", spec.port)).await {
            let mut head = [0u8; 12];
            if stream.write_all(request.as_bytes()).await.is_ok()
                && stream.read_exact(&mut head).await.is_ok()
                && head.starts_with(b"HTTP/1.1 ")
                && head[9] < b'5'
            {
                break began.elapsed();
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the hand-launched server exited"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    took
}

async fn by_spawner(spec: &SpawnSpec) -> Duration {
    let spawner = LocalProcessSpawner::new(LocalProcessConfig {
        allow_root: true,
        ..LocalProcessConfig::default()
    });
    let began = Instant::now();
    let spawned = spawn(&spawner, spec).await.unwrap();
    let took = began.elapsed();
    eprintln!(
        "spawner: start() returned after {:?}, then the server answered after {:?}",
        took.saturating_sub(spawned.up.waited),
        spawned.up.waited
    );
    let _guard = GroupGuard(spawner.pid().unwrap());
    spawner.stop(true).await.unwrap();
    took
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_overhead_over_the_servers_own_start_up() {
    within(240, async {
        let hub = HubSide::start().await;
        let spec = hub.spec(&unknown_user());
        let (mut hand, mut ours) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            hand.push(by_hand(&spec).await);
            ours.push(by_spawner(&spec).await);
        }
        let (hand_median, ours_median) = (median(hand.clone()), median(ours.clone()));
        eprintln!("by hand: {hand:?}, median {hand_median:?}");
        eprintln!("spawner: {ours:?}, median {ours_median:?}");
        eprintln!(
            "spawn overhead (median difference): {:?} ms",
            ours_median
                .as_secs_f64()
                .mul_add(1000.0, -hand_median.as_secs_f64() * 1000.0)
                .round()
        );
        // the fastest rounds are the least disturbed by other work on a shared machine; the bound
        // is generous (what hubcap adds is milliseconds): it catches a slow readiness wait
        let (hand_best, ours_best) = (*hand.iter().min().unwrap(), *ours.iter().min().unwrap());
        eprintln!("fastest: by hand {hand_best:?}, spawner {ours_best:?}");
        assert!(
            ours_best < hand_best + Duration::from_secs(1),
            "spawner {ours_best:?} vs by hand {hand_best:?}"
        );
    })
    .await;
}
