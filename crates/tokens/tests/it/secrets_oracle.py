"""The reference side of tests/it/secrets.rs: JupyterHub 6.1.1's own token code.

Reads one JSON request on stdin and writes one JSON answer on stdout.
Request: {"mode": "hash" | "verify" | "accept" | "formats", ...} (see each handler).
"""

import base64
import json
import sys
import uuid
from datetime import datetime, timezone


def error(e):
    return {"error": type(e).__name__, "message": str(e)}


def mode_hash(req):
    """hash_token with given or random salts, compare_token, and the Hashed.token setter."""
    from jupyterhub import orm
    from jupyterhub.utils import compare_token, hash_token

    hashes = []
    for case in req["hash"]:
        salt = case["salt"]  # a string, or an int: that many random bytes, as hex
        hashed = hash_token(
            case["token"], salt=salt, rounds=case["rounds"], algorithm=case["algorithm"]
        )
        hashes.append(
            {
                "hashed": hashed,
                "matches": compare_token(hashed, case["token"]),
                "matches_other": compare_token(hashed, case["other"]),
            }
        )
    stored = []
    for case in req["store"]:
        cls = orm.ShareCode if case["share_code"] else orm.APIToken
        row = cls(generated=case["generated"]) if not case["share_code"] else cls()
        try:
            row.token = case["token"]
        except Exception as e:
            stored.append(error(e))
            continue
        stored.append({"hashed": row.hashed, "prefix": row.prefix})
    return {"hash": hashes, "store": stored}


def mode_verify(req):
    """compare_token on hashes that hubcap made."""
    from jupyterhub.utils import compare_token

    out = []
    for case in req["verify"]:
        try:
            out.append(compare_token(case["hashed"], case["token"]))
        except Exception as e:
            out.append(error(e))
    return {"verify": out}


def mode_accept(req):
    """APIToken.new on an in-memory database: token checks and expires_in checks."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from jupyterhub import orm

    engine = create_engine("sqlite://")
    orm.Base.metadata.create_all(engine)
    db = Session(engine)
    user = orm.User(name="alice")
    db.add(user)
    db.add(orm.OAuthClient(identifier="jupyterhub"))
    db.commit()

    tokens = []
    for token in req["tokens"]:
        try:
            orm.APIToken.new(token, user=user)
            tokens.append({"ok": True})
        except Exception as e:
            db.rollback()
            tokens.append(error(e))

    expires = []
    for value in req["expires_in"]:
        before = datetime.now(timezone.utc)
        try:
            token = orm.APIToken.new(user=user, expires_in=value)
        except Exception as e:
            db.rollback()
            expires.append(error(e))
            continue
        row = orm.APIToken.find(db, token)
        if row.expires_at is None:
            expires.append({"seconds": None})
        else:
            at = row.expires_at
            if at.tzinfo is None:
                at = at.replace(tzinfo=timezone.utc)
            expires.append({"seconds": round((at - before).total_seconds())})
    return {"tokens": tokens, "expires_in": expires}


def mode_formats(req):
    """Whether hubcap's secrets parse as JupyterHub's, and samples of JupyterHub's own."""
    import secrets

    from jupyterhub.utils import new_token

    def token_ok(t):
        u = uuid.UUID(hex=t)
        return u.version == 4 and u.variant == uuid.RFC_4122 and u.hex == t

    def code_ok(c):
        raw = base64.urlsafe_b64decode(c + "=")
        again = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        return len(raw) == 32 and again == c

    return {
        "tokens_ok": [token_ok(t) for t in req["tokens"]],
        "codes_ok": [code_ok(c) for c in req["codes"]],
        "py_tokens": [new_token() for _ in range(req["samples"])],
        "py_codes": [secrets.token_urlsafe(32) for _ in range(req["samples"])],
    }


def main():
    req = json.load(sys.stdin)
    handler = {
        "hash": mode_hash,
        "verify": mode_verify,
        "accept": mode_accept,
        "formats": mode_formats,
    }[req["mode"]]
    json.dump(handler(req), sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
