//! The local-process spawner against the real `jupyterhub-singleuser` from PyPI.

use crate::support::{
    GroupGuard, HubSide, KillOnDrop, TestUser, is_root, uid_of, unknown_user, within,
};
use spawner::{
    ExitStatus, LocalProcessConfig, LocalProcessSpawner, SpawnError, Spawner, process_group_alive,
    spawn,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn quick_stop() -> LocalProcessConfig {
    LocalProcessConfig {
        interrupt_timeout: Duration::from_secs(10),
        term_timeout: Duration::from_secs(5),
        ..LocalProcessConfig::default()
    }
}

fn messages(spawner: &LocalProcessSpawner) -> Vec<String> {
    spawner
        .progress()
        .events()
        .into_iter()
        .map(|event| event.message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_server_starts_answers_runs_as_its_user_and_stops_with_its_group() {
    within(120, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let spawner = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&spawner);
        let spec = hub.spec(&user.name);
        let began = Instant::now();
        let spawned = spawn(&spawner, &spec).await.unwrap();
        let took = began.elapsed();
        let pid = spawner.pid().unwrap();
        eprintln!(
            "spawn to ready: {took:?} (server answered after {:?} of waiting)",
            spawned.up.waited
        );
        assert!(took < Duration::from_secs(15), "spawning took {took:?}");
        assert_eq!(spawned.up.jupyterhub_version.as_deref(), Some("6.1.1"));
        assert_eq!(spawned.endpoint.ip, "127.0.0.1");
        assert_eq!(spawner.poll().await.unwrap(), None);
        assert_eq!(
            uid_of(pid),
            user.uid(),
            "the server runs as the hub user's system account"
        );
        assert_eq!(spawner.state(), serde_json::json!({ "pid": pid }));
        let ready_message = format!("Server ready at /user/{}/", user.name);
        assert_eq!(
            messages(&spawner),
            [
                "Server requested",
                "Spawning server...",
                ready_message.as_str()
            ]
        );

        let stopping = Instant::now();
        spawner.stop(false).await.unwrap();
        eprintln!("graceful stop (SIGINT): {:?}", stopping.elapsed());
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "SIGINT alone stops the server"
        );
        assert!(
            !process_group_alive(pid),
            "the server's process group is gone after stop"
        );
        assert!(matches!(
            spawner.poll().await.unwrap(),
            Some(ExitStatus::Code(_) | ExitStatus::Signal(_))
        ));
        assert_eq!(spawner.state(), serde_json::json!({}));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_hub_finds_the_server_by_its_saved_pid_and_stops_it() {
    within(120, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let first = LocalProcessSpawner::new(quick_stop());
        spawn(&first, &hub.spec(&user.name)).await.unwrap();
        let saved = first.state();
        let pid = first.pid().unwrap();
        let _guard = GroupGuard(pid);
        drop(first); // the hub went away; the server keeps running

        let restarted = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&restarted);
        restarted.load_state(&saved).unwrap();
        assert_eq!(
            restarted.poll().await.unwrap(),
            None,
            "the saved pid is found running"
        );
        restarted.stop(false).await.unwrap();
        assert!(!process_group_alive(pid));
        assert_eq!(restarted.poll().await.unwrap(), Some(ExitStatus::Unknown));
        assert_eq!(restarted.state(), serde_json::json!({}));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_exits_at_once_fails_quickly_and_clearly() {
    within(30, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let spawner = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&spawner);
        let mut spec = hub.spec(&user.name);
        spec.cmd = vec!["false".to_owned()];
        let began = Instant::now();
        let error = spawn(&spawner, &spec).await.unwrap_err();
        let took = began.elapsed();
        assert!(took < Duration::from_secs(2), "failing took {took:?}");
        assert!(
            matches!(
                error,
                SpawnError::ProcessExited {
                    status: ExitStatus::Code(1),
                    ..
                }
            ),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("exited with exit code 1 before it answered"),
            "{message}"
        );
        assert_eq!(spawner.pid(), None);
        let last = spawner.progress().events().pop().unwrap();
        assert!(
            last.failed
                && last
                    .message
                    .starts_with("Spawn failed: the server exited with exit code 1"),
            "{last:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_shows_its_stderr_and_leaves_no_process_behind() {
    within(30, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let spawner = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&spawner);
        let mut spec = hub.spec(&user.name);
        // a child left in the group, then a message and a failure, like a server that cannot bind
        spec.cmd = ["sh", "-c", "sleep 60 & echo 'port is busy' >&2; exit 3"]
            .map(str::to_owned)
            .to_vec();
        let endpoint = spawner.start(&spec).await.unwrap();
        let pid = spawner.pid().unwrap();
        let error = spawner
            .wait_up(&spec, &endpoint)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("exit code 3") && error.contains("the end of its stderr:\nport is busy"),
            "{error}"
        );
        assert!(
            !process_group_alive(pid),
            "the background child was killed with the group"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_user_without_a_system_account_is_refused_with_both_fixes() {
    within(30, async {
        let hub = HubSide::start().await;
        let spawner = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&spawner);
        let name = unknown_user();
        let error = spawn(&spawner, &hub.spec(&name)).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, SpawnError::NoSystemUser { .. }),
            "{message}"
        );
        assert!(
            message.contains(&format!("useradd -m {name}"))
                && message.contains("allow_root = true"),
            "{message}"
        );
        assert_eq!(message.contains("--allow-root"), is_root(), "{message}");
        assert_eq!(spawner.pid(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_root_runs_the_server_as_the_hub_itself() {
    within(120, async {
        let hub = HubSide::start().await;
        let spawner = LocalProcessSpawner::new(LocalProcessConfig {
            allow_root: true,
            ..quick_stop()
        });
        let _cleanup = KillOnDrop(&spawner);
        spawn(&spawner, &hub.spec(&unknown_user())).await.unwrap();
        let pid = spawner.pid().unwrap();
        assert_eq!(uid_of(pid), nix::unistd::geteuid().as_raw());
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
        assert_eq!(cmdline.contains("--allow-root"), is_root(), "{cmdline:?}");
        spawner.stop(true).await.unwrap();
        assert!(!process_group_alive(pid));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_system_users_makes_the_account_the_server_runs_as() {
    if !is_root() {
        // only root may add accounts; the refusal without it is tested above
        return;
    }
    within(120, async {
        let hub = HubSide::start().await;
        let user = TestUser::to_be_created();
        let spawner = LocalProcessSpawner::new(LocalProcessConfig {
            create_system_users: true,
            ..quick_stop()
        });
        let _cleanup = KillOnDrop(&spawner);
        spawn(&spawner, &hub.spec(&user.name)).await.unwrap();
        let pid = spawner.pid().unwrap();
        assert_eq!(uid_of(pid), user.uid());
        spawner.stop(true).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_spawn_concurrently_behind_arc_dyn_spawner_while_progress_is_followed() {
    within(120, async {
        let hub = HubSide::start().await;
        let config = LocalProcessConfig {
            allow_root: true,
            ..quick_stop()
        };
        let specs = [
            hub.spec(&format!("{}-a", unknown_user())),
            hub.spec(&format!("{}-b", unknown_user())),
        ];
        let spawners: [Arc<dyn Spawner>; 2] = [
            Arc::new(LocalProcessSpawner::new(config.clone())),
            Arc::new(LocalProcessSpawner::new(config)),
        ];
        let _cleanup: Vec<KillOnDrop<'_>> = spawners
            .iter()
            .map(|spawner| KillOnDrop(spawner.as_ref()))
            .collect();
        let runs = spawners.iter().zip(&specs).map(|(spawner, spec)| {
            let (spawner, spec) = (Arc::clone(spawner), spec.clone());
            tokio::spawn(async move {
                let spawning = spawn(spawner.as_ref(), &spec);
                let mut follower = spawner.progress().subscribe();
                let reader = tokio::spawn(async move {
                    let mut seen = Vec::new();
                    while let Some(event) = follower.next().await {
                        seen.push(event);
                    }
                    seen
                });
                let spawned = spawning.await.unwrap();
                (spawned, reader.await.unwrap())
            })
        });
        let mut ports = Vec::new();
        for run in runs.collect::<Vec<_>>() {
            let (spawned, events) = run.await.unwrap();
            ports.push(spawned.endpoint.port);
            let progress: Vec<Option<u8>> = events.iter().map(|event| event.progress).collect();
            assert_eq!(progress, [Some(0), Some(50), Some(100)], "{events:?}");
            assert!(events.last().unwrap().ready, "{events:?}");
        }
        assert_ne!(ports[0], ports[1]);
        for spawner in &spawners {
            spawner.stop(true).await.unwrap();
            assert_eq!(spawner.state(), serde_json::json!({}));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_ignores_sigint_is_not_waited_for_but_terminated() {
    within(30, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let spawner = LocalProcessSpawner::new(LocalProcessConfig::default()); // interrupt_timeout 30 s
        let _cleanup = KillOnDrop(&spawner);
        let mut spec = hub.spec(&user.name);
        spec.cmd = [
            "sh",
            "-c",
            "trap '' INT; echo trapped >&2; while true; do sleep 0.05; done",
        ]
        .map(str::to_owned)
        .to_vec();
        spawner.start(&spec).await.unwrap();
        let pid = spawner.pid().unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stopping = Instant::now();
        spawner.stop(false).await.unwrap();
        assert!(
            stopping.elapsed() < Duration::from_secs(5),
            "stop took {:?}",
            stopping.elapsed()
        );
        assert!(!process_group_alive(pid));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_account_may_not_run_is_named_with_what_to_fix() {
    within(30, async {
        let hub = HubSide::start().await;
        let user = TestUser::new();
        let spawner = LocalProcessSpawner::new(quick_stop());
        let _cleanup = KillOnDrop(&spawner);
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("not-executable");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let mut spec = hub.spec(&user.name);
        spec.cmd = vec![script.display().to_string()];
        let error = spawn(&spawner, &spec).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, SpawnError::NotPermitted { .. }),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "as system user `{}`: permission denied",
                user.name
            )),
            "{message}"
        );
        assert!(spawner.progress().events().last().unwrap().failed);
    })
    .await;
}
