"""The spawn overhead hubcap adds: from `POST /hub/api/users/alice/server` to the 201 that
says the server is ready, minus the single-user server's own start-up (the same
`jupyterhub-singleuser`, same environment, started by hand and polled every 5 ms until it
answers), in one run, alternating the two, ROUNDS times each. Prints the medians.

Run with benches/spawn/overhead.sh (it builds the release hub and the venv first).
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0123456789abcdef0123456789abcdef"
ROUNDS = int(os.environ.get("SPAWN_BENCH_ROUNDS", "5"))
SINGLEUSER = str(ROOT / ".venv/bin/jupyterhub-singleuser")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/hub/api{path}", method=method)
    req.add_header("Authorization", f"token {TOKEN}")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, resp.read()


def answers(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def by_hand(hub_port):
    """The server's own start: launched directly, polled every 5 ms."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "JUPYTERHUB_API_TOKEN": "unused-by-hand",
        "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-alice",
        "JUPYTERHUB_API_URL": f"http://127.0.0.1:{hub_port}/hub/api",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}/user/alice/",
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": "/user/alice/oauth_callback",
        "JUPYTERHUB_OAUTH_SCOPES": "[]",
        "JUPYTERHUB_OAUTH_ACCESS_SCOPES": "[]",
        "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]",
        "JUPYTERHUB_ACTIVITY_URL": f"http://127.0.0.1:{hub_port}/hub/api/users/alice/activity",
    }
    args = [SINGLEUSER] + (["--allow-root"] if os.geteuid() == 0 else [])
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while not answers(port, "/user/alice/api"):
            if proc.poll() is not None:
                raise RuntimeError("the server exited when started by hand")
            time.sleep(0.005)
        return time.monotonic() - started
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def through_hub(hub_port):
    started = time.monotonic()
    status, _ = call(hub_port, "POST", "/users/alice/server")
    took = time.monotonic() - started
    if status != 201:
        raise RuntimeError(f"POST answered {status}, not 201 (ready)")
    status, _ = call(hub_port, "DELETE", "/users/alice/server")
    if status != 204:
        raise RuntimeError(f"DELETE answered {status}")
    return took


def main():
    workdir = Path(tempfile.mkdtemp(prefix="hubcap-spawn-bench-"))
    hub_port = free_port()
    cfg = workdir / "hubcap.toml"
    cfg.write_text(f"""
[JupyterHub]
hub_bind_url = "http://127.0.0.1:{hub_port}"
bind_url = "http://127.0.0.1:{free_port()}/"
db_url = "sqlite:///{workdir}/hubcap.sqlite"
services = [ {{ name = "admin-svc", api_token = "{TOKEN}" }} ]
load_roles = [ {{ name = "admin", services = ["admin-svc"] }} ]
[Authenticator]
allowed_users = ["alice"]
[ConfigurableHTTPProxy]
api_url = "http://127.0.0.1:{free_port()}"
[Spawner]
cmd = ["{SINGLEUSER}"]
allow_root = true
""")
    hub = subprocess.Popen([str(ROOT / "target/release/hub"), "--config", str(cfg)],
                           cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=open(workdir / "hub.log", "w"),
                           env={**os.environ, "RUST_LOG": "warn"}, start_new_session=True)
    try:
        while not answers(hub_port, "/hub/api/"):
            time.sleep(0.01)
        hand, hub_times = [], []
        for _ in range(ROUNDS):
            hand.append(by_hand(hub_port))
            hub_times.append(through_hub(hub_port))
        m_hand, m_hub = statistics.median(hand), statistics.median(hub_times)
        print(f"rounds {ROUNDS}, nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}")
        print(f"by hand (server's own start-up): median {m_hand * 1000:.0f} ms, "
              f"all {[round(t * 1000) for t in hand]}")
        print(f"POST .../server to 201: median {m_hub * 1000:.0f} ms, "
              f"all {[round(t * 1000) for t in hub_times]}")
        print(f"overhead hubcap adds (median difference): {(m_hub - m_hand) * 1000:.0f} ms")
    finally:
        os.killpg(hub.pid, signal.SIGTERM)
        hub.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
