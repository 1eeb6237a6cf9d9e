"""Starting and stopping the hubs under test: the real JupyterHub 6.1.1 (with its CHP) and
hubcap's `hub` binary. Each runs in its own temporary directory and process group, on free
loopback ports; `stop` kills the whole group, so a proxy started by the hub dies with it."""

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from . import config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
CHP_DIR = os.path.join(REPO, ".chp")
CHP = os.path.join(CHP_DIR, "node_modules", ".bin", "configurable-http-proxy")


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Hub:
    """One hub process. `kind` is "jupyterhub" or "hubcap"; `label` names it in reports."""

    def __init__(self, kind, label, workdir, world, tokens, hubcap_bin=None, hashseed=None):
        self.kind = kind
        self.label = label
        self.workdir = workdir
        self.world = world
        self.tokens = tokens  # service name -> api_token (same on every hub)
        self.hubcap_bin = hubcap_bin
        self.hashseed = hashseed
        self.proc = None
        self.log_path = os.path.join(workdir, "hub.log")
        self.log_file = None
        self.hub_port, self.public_port, self.proxy_api_port = free_ports(3)
        self.api = f"http://127.0.0.1:{self.hub_port}/hub/api"
        self.base = f"http://127.0.0.1:{self.hub_port}"

    def write_config(self):
        os.makedirs(self.workdir, exist_ok=True)
        ports = {
            "hub": self.hub_port,
            "public": self.public_port,
            "proxy_api": self.proxy_api_port,
        }
        if self.kind == "jupyterhub":
            path = os.path.join(self.workdir, "jupyterhub_config.py")
            text = config.jupyterhub_config(self.world, self.tokens, ports, self.workdir, CHP)
        else:
            path = os.path.join(self.workdir, "hubcap.toml")
            text = config.hubcap_config(self.world, self.tokens, ports, self.workdir)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        cfg = self.write_config()
        env = dict(os.environ)
        env["JUPYTERHUB_CRYPT_KEY"] = config.CRYPT_KEY
        if self.kind == "jupyterhub":
            if not os.path.exists(CHP):
                raise SystemExit(f"{CHP} is missing: run scripts/setup-chp")
            if self.hashseed is not None:
                env["PYTHONHASHSEED"] = str(self.hashseed)
            env.pop("CONFIGPROXY_AUTH_TOKEN", None)
            cmd = [os.path.join(VENV_BIN, "jupyterhub"), "-f", cfg]
        else:
            cmd = [self.hubcap_bin, "--config", cfg]
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills the proxy too
        )

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.label} exited with {self.proc.returncode} before answering; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.api + "/", timeout=2)
                if r.status_code == 200:
                    return
                last = f"status {r.status_code}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.label} did not answer GET /hub/api/ with 200 within {timeout}s ({last}); "
            f"log:\n{self.log_tail()}"
        )

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        pgid = self.proc.pid  # session leader: its pid is the group id
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # the hub is gone; make sure nothing of its group (the proxy) outlives it
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self.proc = None
        self._stop_proxy()
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def _proxy_pids(self):
        """The CHP processes this hub started: JupyterHub starts CHP in a session of its own
        (start_new_session), so killing the hub's group does not reach it, and JupyterHub
        leaves it running when told so (a shutdown with proxy=false, even one answered 400).
        Found by their command line: our CHP and this hub's proxy API port."""
        pids = []
        mark = f"--api-port\0{self.proxy_api_port}\0"
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            if "configurable-http-proxy" in cmd and mark in cmd and CHP_DIR in cmd:
                pids.append(int(entry))
        return pids

    def _stop_proxy(self):
        if self.kind != "jupyterhub":
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._proxy_pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and self._proxy_pids():
                time.sleep(0.1)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"


def start_all(hubs, timeout):
    """Starts every hub, then waits for each (they boot concurrently)."""
    for h in hubs:
        h.start()
    for h in hubs:
        h.wait_ready(timeout)


def stop_all(hubs):
    for h in hubs:
        try:
            h.stop()
        except Exception as e:  # keep stopping the others
            print(f"warning: stopping {h.label}: {e}", file=sys.stderr)
