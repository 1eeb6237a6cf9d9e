"""JupyterHub's own OAuth client code (`HubOAuth`, what jupyterhub-singleuser and services
use), driven by the hub's oauth tests against hubcap.

  start                     -> the authorize URL HubOAuth builds, and a PKCE pair
  finish CODE VERIFIER      -> token_for_code, then user_for_token
  cookie SECRET_HEX VALUE   -> tornado's decode_signed_value of a login cookie
"""

import json
import sys

cmd = sys.argv[1]
if cmd == "cookie":
    from tornado.web import decode_signed_value

    value = decode_signed_value(
        bytes.fromhex(sys.argv[2]), "jupyterhub-hub-login", sys.argv[3], max_age_days=14
    )
    print(json.dumps({"value": value.decode() if value else None}))
    sys.exit(0)

from jupyterhub.services.auth import HubOAuth

auth = HubOAuth()
if cmd == "start":
    verifier, challenge, method = auth.generate_pkce_code_challenge()
    print(
        json.dumps(
            {
                "login_url": auth.login_url,
                "verifier": verifier,
                "challenge": challenge,
                "method": method,
                "redirect_uri": auth.oauth_redirect_uri,
            }
        )
    )
elif cmd == "finish":
    token = auth.token_for_code(sys.argv[2], code_verifier=sys.argv[3])
    user = auth.user_for_token(token, use_cache=False)
    print(json.dumps({"token": token, "user": user}))
else:
    sys.exit(f"unknown command {cmd}")
