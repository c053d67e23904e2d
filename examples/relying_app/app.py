"""A minimal relying app that signs its users in through the SSO portal (OpenID Connect).

Standard library HTTP server + Authlib (code flow with PKCE, nonce) + joserfc (ID token and
logout token signatures against the portal's JWKS). Sessions live in memory. Run it with
``make demo-rp`` next to ``make run``, then open http://localhost:8001.
"""

import html
import os
import secrets
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

PORTAL = os.environ.get("PORTAL_URL", "http://localhost:8000")
HERE = os.environ.get("RP_URL", "http://localhost:8001")
CLIENT_ID = os.environ.get("CLIENT_ID", "demo-rp")
CLIENT_SECRET = os.environ.get("CLIENT_SECRET", "demo-rp-secret-for-development-only")
MFA = "urn:sso-portal:acr:mfa"

SESSIONS: dict[str, dict] = {}  # cookie value -> {"state", "verifier", "nonce", "claims", ...}


def metadata() -> dict:
    return requests.get(f"{PORTAL}/.well-known/openid-configuration", timeout=5).json()


def verify(token: str, meta: dict):
    """The decoded token (claims, header) once its signature checks out against the JWKS."""
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    return jwt.decode(token, keys, algorithms=["RS256"])


def client() -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="openid profile email",
        redirect_uri=f"{HERE}/callback",
        code_challenge_method="S256",
    )


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        session = self.session()
        if url.path == "/login":
            session.update(verifier=secrets.token_urlsafe(48), nonce=secrets.token_urlsafe(16))
            extra = {"acr_values": MFA} if query.get("mfa") else {}
            target, session["state"] = client().create_authorization_url(
                metadata()["authorization_endpoint"],
                code_verifier=session["verifier"],
                nonce=session["nonce"],
                **extra,
            )
            return self.redirect(target)
        if url.path == "/callback":
            meta = metadata()
            if query.get("state") != session.get("state") or "code" not in query:
                return self.page(
                    f"<p>Sign-in failed: {html.escape(query.get('error', 'state'))}</p>"
                )
            token = client().fetch_token(
                meta["token_endpoint"], code=query["code"], code_verifier=session["verifier"]
            )
            decoded = verify(token["id_token"], meta)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"value": meta["issuer"]}},
                {
                    "nonce": session["nonce"],
                    "client_id": CLIENT_ID,
                    "access_token": token["access_token"],
                },
            )
            claims.validate(leeway=30)
            session.update(claims=dict(claims), id_token=token["id_token"])
            return self.redirect("/")
        if url.path == "/logout":
            params = {
                "id_token_hint": session.pop("id_token", ""),
                "post_logout_redirect_uri": f"{HERE}/signed-out",
            }
            session.pop("claims", None)
            return self.redirect(f"{metadata()['end_session_endpoint']}?{urlencode(params)}")
        if url.path == "/signed-out":
            return self.page("<p>Signed out of the portal and of this app.</p>")
        claims = session.get("claims")
        if not claims:
            return self.page('<p><a href="/login">Sign in with the SSO portal</a></p>')
        rows = "".join(
            f"<tr><th>{k}</th><td>{html.escape(str(claims[k]))}</td></tr>"
            for k in ("preferred_username", "name", "email", "amr", "acr", "auth_time")
        )
        self.page(
            f"<p>Signed in.</p><table>{rows}</table><p><a href='/login?mfa=1'>"
            "Ask for MFA (step-up)</a> · <a href='/logout'>Sign out</a></p>"
        )

    def do_POST(self) -> None:
        """OpenID Connect Back-Channel Logout: forget the sessions of the portal session."""
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        meta = metadata()
        claims = verify(body["logout_token"][0], meta).claims
        if claims["iss"] != meta["issuer"] or claims["aud"] != CLIENT_ID:
            return self.send_error(400)
        for session in SESSIONS.values():
            if session.get("claims", {}).get("sid") == claims.get("sid"):
                session.clear()
        self.send_response(200)
        self.end_headers()

    def session(self) -> dict:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        self.sid = cookie["rp_session"].value if "rp_session" in cookie else ""
        if self.sid not in SESSIONS:
            self.sid = secrets.token_urlsafe(24)
            SESSIONS[self.sid] = {}
        return SESSIONS[self.sid]

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Set-Cookie", f"rp_session={self.sid}; HttpOnly; SameSite=Lax; Path=/")
        self.end_headers()

    def page(self, body: str) -> None:
        data = f"<!doctype html><title>Demo app</title><h1>Demo relying app</h1>{body}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", f"rp_session={self.sid}; HttpOnly; SameSite=Lax; Path=/")
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    host, port = urlsplit(HERE).hostname, urlsplit(HERE).port or 80
    print(f"Demo relying app on {HERE} (portal {PORTAL})")
    ThreadingHTTPServer((host, port), Handler).serve_forever()
