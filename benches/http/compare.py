"""hubcap's hub and the real JupyterHub 6.1.1 under the same wrk load, in one run.

Both hubs start on loopback with the same configuration (an admin service token; 100 users
created through the API; a token for one user), then for each endpoint wrk runs the same
load against each hub in turn. Printed: requests/s, p99 latency, RSS after the load, and
the cold start (process start to the first 200 of GET /hub/api/), with the ratios.

Run with benches/http/compare.sh (it builds the release hub and the venv first).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0123456789abcdef0123456789abcdef"
USERS = [f"user{i:03d}" for i in range(100)]
DURATION = os.environ.get("HTTP_BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("HTTP_BENCH_CONNECTIONS", "16")
# HTTP_BENCH_ONLY=hubcap measures hubcap alone (for quick iterations; no ratios printed).
ONLY = os.environ.get("HTTP_BENCH_ONLY")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, token=TOKEN):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/hub/api{path}", data=data, method=method)
    req.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def wait_ready(port, started, timeout=60):
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api/", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"hub on {port} did not answer in {timeout}s")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_jupyterhub(workdir):
    port, proxy_port, api_port = free_port(), free_port(), free_port()
    cfg = workdir / "jupyterhub_config.py"
    cfg.write_text(
        f"""
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.bind_url = "http://127.0.0.1:{proxy_port}/"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = ["{ROOT}/.chp/node_modules/.bin/configurable-http-proxy"]
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "admin-svc", "api_token": "{TOKEN}"}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["admin-svc"]}}]
c.JupyterHub.log_level = "WARN"
"""
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/jupyterhub"), "-f", str(cfg)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "jupyterhub.log", "w"),
        start_new_session=True,
    )
    return proc, port, started


def start_hubcap(workdir):
    port = free_port()
    cfg = workdir / "hubcap.toml"
    cfg.write_text(
        f"""
[JupyterHub]
hub_bind_url = "http://127.0.0.1:{port}"
bind_url = "http://127.0.0.1:0/"
db_url = "sqlite:///{workdir}/hubcap.sqlite"
services = [ {{ name = "admin-svc", api_token = "{TOKEN}" }} ]
load_roles = [ {{ name = "admin", services = ["admin-svc"] }} ]
[Authenticator]
allow_all = true
[ConfigurableHTTPProxy]
api_url = "http://127.0.0.1:0"
"""
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(ROOT / "target/release/hub"), "--config", str(cfg)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "hubcap.log", "w"),
        env={**os.environ, "RUST_LOG": "warn"},
        start_new_session=True,
    )
    return proc, port, started


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wrk(port, path, token):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency",
         "-H", f"Authorization: token {token}", f"http://127.0.0.1:{port}/hub/api{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{path} on {port}: {non2xx.group(1)} error answers\n{out}")
    return rps, float(p99.group(1)) * scale


def prepare(port):
    call(port, "POST", "/users", {"usernames": USERS})
    return call(port, "POST", "/users/user000/tokens", {"scopes": ["inherit"]})["token"]


def main():
    workdir = Path(tempfile.mkdtemp(prefix="hubcap-http-bench-"))
    results = {}
    for name, start in (("JupyterHub", start_jupyterhub), ("hubcap", start_hubcap)):
        if ONLY and name != ONLY:
            continue
        (workdir / name).mkdir()
        proc, port, started = start(workdir / name)
        try:
            first = wait_ready(port, started)
            user_token = prepare(port)
            row = {"cold_start_s": first}
            row["user"] = wrk(port, "/user", user_token)
            row["users"] = wrk(port, "/users", TOKEN)
            row["rss_mib"] = rss_kib(proc.pid) / 1024
            results[name] = row
        finally:
            stop(proc)
        # Cold start again, now on an existing database (what a restart sees).
        proc, port, started = start(workdir / name)
        try:
            results[name]["restart_s"] = wait_ready(port, started)
        finally:
            stop(proc)
    if ONLY:
        print(json.dumps(results[ONLY], indent=1))
        return 0
    jh, hc = results["JupyterHub"], results["hubcap"]
    print(f"wrk -t2 -c{CONNECTIONS} -d{DURATION}, nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}")
    print("| measure | JupyterHub | hubcap | ratio |")
    print("|---|---:|---:|---:|")
    for key, label in (("user", "GET /hub/api/user (user token)"), ("users", "GET /hub/api/users (100 users, admin token)")):
        print(f"| {label}: req/s | {jh[key][0]:,.0f} | {hc[key][0]:,.0f} | {hc[key][0] / jh[key][0]:.1f}x |")
        print(f"| {label}: p99 | {jh[key][1]:.2f} ms | {hc[key][1]:.2f} ms | {jh[key][1] / hc[key][1]:.1f}x |")
    print(f"| cold start to first 200 (new database) | {jh['cold_start_s'] * 1000:,.0f} ms | {hc['cold_start_s'] * 1000:,.0f} ms | {jh['cold_start_s'] / hc['cold_start_s']:.0f}x |")
    print(f"| restart to first 200 (existing database) | {jh['restart_s'] * 1000:,.0f} ms | {hc['restart_s'] * 1000:,.0f} ms | {jh['restart_s'] / hc['restart_s']:.0f}x |")
    print(f"| RSS after the load | {jh['rss_mib']:.0f} MiB | {hc['rss_mib']:.1f} MiB | {jh['rss_mib'] / hc['rss_mib']:.1f}x |")


if __name__ == "__main__":
    sys.exit(main())
