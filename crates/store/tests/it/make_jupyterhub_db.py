"""Creates and fills a JupyterHub 6.x database with the real JupyterHub ORM, for the import test.

Usage: make_jupyterhub_db.py DB_URL

DB_URL is a SQLAlchemy URL (sqlite:////abs/path.sqlite or postgresql://...), empty or new.
Prints one JSON object on stdout: the secrets the database holds only hashed (API tokens,
the share code, an OAuth client secret) and what JupyterHub says each token may do
(`scopes.get_scopes_for(token)`), so that the Rust test can check hubcap against it.
Nothing here is a real secret: the database is a throwaway test fixture.
"""

import json
import sys
import time
from datetime import datetime, timedelta

from jupyterhub import orm, roles, scopes
from jupyterhub.utils import hash_token, new_token


def main(url):
    db = orm.new_session_factory(url)()

    # What JupyterHub.init_db does: the hub's own OAuth client, which issues API tokens.
    db.add(
        orm.OAuthClient(
            identifier="jupyterhub",
            secret="",
            redirect_uri="",
            description="JupyterHub",
        )
    )
    db.commit()

    # What JupyterHub.init_role_creation does: the default roles, then load_roles.
    for role in roles.get_default_roles():
        roles.create_role(db, role)
    roles.create_role(
        db,
        {
            "name": "teacher",
            "description": "manages the students' servers",
            "scopes": [
                "admin:servers!group=students",
                "read:users!group=students",
                "list:users!group=students",
                "read:groups!group=students",
            ],
        },
    )
    roles.create_role(
        db,
        {
            "name": "culler",
            "description": "culls idle servers",
            "scopes": ["list:users", "read:users:activity", "admin:servers"],
        },
    )
    roles.create_role(
        db,
        {
            "name": "from-idp",
            "scopes": ["read:users:name"],
            "managed_by_auth": True,
        },
    )

    # Users: an admin, and three others with activity, auth state and user info.
    t0 = datetime(2025, 3, 4, 5, 6, 7, 123456)
    ada = orm.User(name="ada", admin=True, last_activity=t0)
    alice = orm.User(
        name="alice",
        last_activity=t0 + timedelta(hours=1),
        encrypted_auth_state=b"\x00\x01encrypted\xff",
        user_info={"email": "alice@example.org"},
    )
    bob = orm.User(name="bob")
    carol = orm.User(name="carol", created=t0 - timedelta(days=30))
    for user in (ada, alice, bob, carol):
        db.add(user)
    db.commit()
    for user in (ada, alice, bob, carol):
        roles.assign_default_roles(db, user)
    roles.grant_role(db, carol, rolename="from-idp", managed=True)

    # Groups with members, properties and roles.
    students = orm.Group(name="students", properties={"course": "cs101", "seats": 30})
    teachers = orm.Group(name="teachers")
    empty = orm.Group(name="empty")
    db.add_all([students, teachers, empty])
    db.commit()
    students.users = [bob, carol]
    teachers.users = [alice]
    db.commit()
    roles.grant_role(db, teachers, rolename="teacher")
    roles.grant_role(db, students, rolename="from-idp", managed=True)

    # A service with an OAuth client (hashed secret, as the OAuth provider stores it) and a role.
    service_secret = "idle-culler-client-secret"
    culler_client = orm.OAuthClient(
        identifier="service-idle-culler",
        description="the idle culler",
        secret=hash_token(service_secret),
        redirect_uri="http://127.0.0.1:10101/oauth_callback",
        allowed_scopes=["access:services!service=idle-culler", "read:users"],
    )
    db.add(culler_client)
    db.commit()
    culler_server = orm.Server(ip="127.0.0.1", port=10101, base_url="/services/idle-culler/")
    culler = orm.Service(
        name="idle-culler",
        admin=False,
        url="http://127.0.0.1:10101",
        info={"version": "1.4"},
        display=True,
        oauth_no_confirm=False,
        command=["python3", "-m", "jupyterhub_idle_culler"],
        cwd="/srv",
        environment={"CULL_TIMEOUT": "3600"},
        user="nobody",
        timeout=45,
        from_config=True,
        pid=4242,
        server=culler_server,
        oauth_client_id="service-idle-culler",
    )
    plain = orm.Service(name="announcer", from_config=False)
    db.add_all([culler, plain])
    db.commit()
    roles.grant_role(db, culler, rolename="culler")

    # Spawners: alice's default server (stopped, with state) and a running named server with
    # its OAuth client; bob's default server.
    x_client = orm.OAuthClient(
        identifier="jupyterhub-user-alice-x",
        description="Server at /user/alice/x/",
        secret=hash_token("server-x-secret"),
        redirect_uri="/user/alice/x/oauth_callback",
        allowed_scopes=["access:servers!server=alice/x"],
    )
    db.add(x_client)
    db.commit()
    alice_default = orm.Spawner(
        user=alice,
        name="",
        state={"pid": 1234, "blob": b"\x01\x02"},
        user_options={"profile": "gpu"},
        started=t0 + timedelta(minutes=5),
        last_activity=t0 + timedelta(minutes=50),
    )
    alice_x = orm.Spawner(
        user=alice,
        name="x",
        display_name="Experiment X",
        started=t0 + timedelta(minutes=10),
        server=orm.Server(ip="127.0.0.1", port=54321, base_url="/user/alice/x/"),
        oauth_client_id="jupyterhub-user-alice-x",
    )
    bob_default = orm.Spawner(user=bob, name="")
    db.add_all([alice_default, alice_x, bob_default])
    db.commit()

    # Shares: alice shares x with bob (user) and her default server with the students (group).
    orm.Share.grant(
        db,
        alice_x,
        bob,
        scopes=["access:servers!server=alice/x", "read:servers!server=alice/x"],
    )
    orm.Share.grant(db, alice_default, students)
    share_code_obj, share_code = orm.ShareCode.new(
        db, alice_x, scopes=["access:servers"], expires_in=7 * 86400
    )

    # API tokens: scoped, from roles, with an expiry, the default (token role: inherit),
    # user-provided (16384 rounds), a service's, and one issued through an OAuth client.
    tokens = []

    def issue(owner, **kwargs):
        secret = owner.new_api_token(**kwargs)
        tokens.append(secret)
        return secret

    issue(
        alice,
        scopes=["read:users!user=alice", "access:servers!server=alice/x"],
        note="scoped",
    )
    issue(alice, roles=["teacher"], note="from the teacher role")
    issue(bob, expires_in=3600, note="expires in an hour")
    issue(bob)
    issue(ada, scopes=["admin:users", "list:groups"], note="admin")
    issue(carol, token="carols-own-chosen-token-0001", generated=False)
    issue(culler, scopes=["list:users", "read:users:activity"])
    issue(culler)
    issue(bob, scopes=["access:servers!server=alice/x"], client_id="jupyterhub-user-alice-x")
    issue(alice, scopes=["read:groups!group=students"], client_id="service-idle-culler")

    # A stale token without an OAuth client: JupyterHub deletes it when it is presented,
    # so it never authenticates; the importer leaves it out.
    stale_secret = new_token()
    stale = orm.APIToken(user=bob, client_id="jupyterhub", scopes=["inherit"], note="stale")
    stale.token = stale_secret
    db.add(stale)
    db.commit()
    stale.client_id = None
    db.commit()

    # An OAuth authorization code in flight (PKCE).
    oauth_code = new_token()
    db.add(
        orm.OAuthCode(
            client_id="service-idle-culler",
            code=oauth_code,
            expires_at=int(time.time()) + 600,
            redirect_uri="http://127.0.0.1:10101/oauth_callback",
            session_id="session-1",
            user=alice,
            scopes=["read:users!user=alice"],
            code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            code_challenge_method="S256",
        )
    )
    db.commit()

    out_tokens = []
    for secret in tokens:
        orm_token = orm.APIToken.find(db, secret)
        assert orm_token is not None, "a token just issued is found"
        owner = orm_token.owner
        out_tokens.append(
            {
                "secret": secret,
                "id": orm_token.id,
                "owner": {"kind": owner.kind, "name": owner.name},
                "client_id": orm_token.client_id,
                "stored_scopes": list(orm_token.scopes),
                "expires": orm_token.expires_at is not None,
                "scopes": sorted(scopes.get_scopes_for(orm_token)),
            }
        )

    counts = {
        "users": db.query(orm.User).count(),
        "groups": db.query(orm.Group).count(),
        "memberships": db.execute(orm.user_group_map.select()).fetchall().__len__(),
        "roles": db.query(orm.Role).count(),
        "role_assignments": sum(
            db.query(orm._role_associations[kind]).count()
            for kind in ("user", "group", "service")
        ),
        "services": db.query(orm.Service).count(),
        "servers": db.query(orm.Spawner).count(),
        "addresses": db.query(orm.Server).count(),
        "tokens": db.query(orm.APIToken).count() - 1,
        "tokens_skipped": 1,
        "oauth_clients": db.query(orm.OAuthClient).count(),
        "oauth_codes": db.query(orm.OAuthCode).count(),
        "shares": db.query(orm.Share).count(),
        "share_codes": db.query(orm.ShareCode).count(),
    }
    json.dump(
        {
            "tokens": out_tokens,
            "stale_token": stale_secret,
            "share_code": share_code,
            "share_code_id": share_code_obj.id,
            "oauth_client_secret": service_secret,
            "oauth_code": oauth_code,
            "counts": counts,
            "users": sorted(u.name for u in db.query(orm.User)),
            "cookie_ids": {u.name: u.cookie_id for u in db.query(orm.User)},
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
