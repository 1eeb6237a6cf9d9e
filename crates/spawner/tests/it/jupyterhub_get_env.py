"""The environment JupyterHub 6.1.1 itself gives a server, for crates/spawner's differential test.

Reads one JSON case on stdin, builds the spawner the way the hub does (a real User on an
in-memory database, `User._new_spawner` with the case's config, then what `User.spawn` sets
before `Spawner.start()`), and prints `Spawner.get_env()` as JSON. The base class's `get_env`
is called, so that the result does not depend on this machine's passwd (USER, HOME and SHELL
come from `LocalProcessSpawner.user_env`, tested on the Rust side).
"""

import json
import os
import sys
from urllib.parse import urlparse

from traitlets.config import Config

from jupyterhub import orm
from jupyterhub.objects import Hub, Server
from jupyterhub.spawner import Spawner
from jupyterhub.user import User
from jupyterhub.utils import url_escape_path, url_path_join

case = json.load(sys.stdin)

os.environ.clear()
os.environ.update(case["hub_env"])

config = Config()
for key, value in case["spawner_config"].items():
    setattr(config.Spawner, key, value)

hub = Hub(ip="127.0.0.1", port=8081, base_url=url_path_join(case["base_url"], "hub/"))
hub.public_host = case.get("hub_public_host", "")
settings = {
    "base_url": case["base_url"],
    "hub": hub,
    "config": config,
    "cookie_options": case.get("cookie_options", {}),
    "cookie_host_prefix_enabled": case.get("cookie_host_prefix_enabled", False),
    "admin_access": case.get("admin_access", False),
}
if case.get("public_url"):
    settings["public_url"] = urlparse(case["public_url"])

db = orm.new_session_factory("sqlite://")()
orm_user = orm.User(name=case["user"])
db.add(orm_user)
db.commit()
user = User(orm_user, settings)

server_name = case["server_name"]
if server_name:
    user._new_orm_spawner(server_name, "")
spawner = user.spawners[server_name]

# what User.spawn sets before Spawner.start()
orm_server = orm.Server(base_url=url_path_join(user.base_url, url_escape_path(server_name), "/"))
db.add(orm_server)
db.commit()
spawner.server = Server(orm_server=orm_server)
spawner.api_token = case["api_token"]
spawner.admin_access = settings["admin_access"]
spawner.port = case["port"]

print(json.dumps(Spawner.get_env(spawner), sort_keys=True))
