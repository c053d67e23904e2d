"""A minimal SAML service provider that signs its users in through the SSO portal.

Standard library HTTP server + python3-saml (OneLogin's SAML toolkit, which checks signatures
with xmlsec). SP-initiated sign-in (signed AuthnRequest, Redirect binding), the signed response
checked at the ACS, Single Logout both ways. Sessions live in memory. Run it with
``make demo-sp`` next to ``make run``, then open http://localhost:8002.
"""

import html
import os
import secrets
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

PORTAL = os.environ.get("PORTAL_URL", "http://localhost:8000")
HERE = os.environ.get("SP_URL", "http://localhost:8002")
VAR = Path(__file__).resolve().parents[2] / "var"
KEY_FILE = Path(os.environ.get("SP_KEY_FILE", VAR / "demo_sp_key.pem"))
CERT_FILE = Path(os.environ.get("SP_CERT_FILE", VAR / "demo_sp_cert.pem"))
MFA = "https://refeds.org/profile/mfa"
# Friendly names of the urn:oid: attributes the portal may release (X.500/LDAP profile).
ATTRIBUTES = {
    "urn:oid:0.9.2342.19200300.100.1.1": "uid",
    "urn:oid:2.16.840.1.113730.3.1.241": "displayName",
    "urn:oid:0.9.2342.19200300.100.1.3": "mail",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1": "isMemberOf",
}

SESSIONS: dict[str, dict] = {}  # cookie value -> {"name_id", "attributes", ...}
# Requests sent and not yet answered. The portal's answer is a cross-site POST, which carries
# no SameSite=Lax cookie, so they are kept here rather than in the browser's session.
OUTSTANDING: set[str] = set()
_IDP: dict = {}


def saml_settings(mfa: bool = False) -> OneLogin_Saml2_Settings:
    if not _IDP:
        _IDP.update(OneLogin_Saml2_IdPMetadataParser.parse_remote(f"{PORTAL}/saml/metadata/"))
    security = {
        "authnRequestsSigned": True,
        "logoutRequestSigned": True,
        "logoutResponseSigned": True,
        "wantAssertionsSigned": True,
        "wantMessagesSigned": True,
        "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "rejectDeprecatedAlgorithm": True,
        "requestedAuthnContext": [MFA] if mfa else False,
    }
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": {
                "entityId": f"{HERE}/metadata/",
                "assertionConsumerService": {
                    "url": f"{HERE}/acs/",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "singleLogoutService": {
                    "url": f"{HERE}/sls/",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                "x509cert": CERT_FILE.read_text(),
                "privateKey": KEY_FILE.read_text(),
            },
            "idp": _IDP["idp"],
            "security": security,
        }
    )


class Handler(BaseHTTPRequestHandler):
    def auth(self, post: dict | None = None, mfa: bool = False) -> OneLogin_Saml2_Auth:
        url = urlsplit(self.path)
        here = urlsplit(HERE)
        request = {
            "https": "on" if here.scheme == "https" else "off",
            "http_host": here.netloc,
            "script_name": url.path,
            "get_data": {k: v[0] for k, v in parse_qs(url.query).items()},
            "post_data": post or {},
        }
        return OneLogin_Saml2_Auth(request, saml_settings(mfa))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        session = self.session()
        if url.path == "/metadata/":
            return self.send(saml_settings().get_sp_metadata(), "application/samlmetadata+xml")
        if url.path == "/login":
            auth = self.auth(mfa=bool(query.get("mfa")))
            target = auth.login(return_to=f"{HERE}/")
            OUTSTANDING.add(auth.get_last_request_id())
            return self.redirect(target)
        if url.path == "/logout":
            auth = self.auth()
            target = auth.logout(
                return_to=f"{HERE}/signed-out",
                name_id=session.get("name_id"),
                session_index=session.get("session_index"),
                name_id_format=session.get("name_id_format"),
            )
            session["logout_id"] = auth.get_last_request_id()
            return self.redirect(target)
        if url.path == "/sls/":
            # The portal's answer to our logout, or its own logout request (IdP-initiated).
            auth = self.auth()
            target = auth.process_slo(
                request_id=session.get("logout_id"),
                delete_session_cb=lambda: self.forget(auth),
            )
            if auth.get_errors():
                reason = html.escape(auth.get_last_error_reason() or ", ".join(auth.get_errors()))
                return self.page(f"<p>Logout failed: {reason}</p>")
            session.clear()
            return self.redirect(target or "/signed-out")
        if url.path == "/signed-out":
            return self.page("<p>Signed out of the portal and of this app.</p>")
        if not session.get("name_id"):
            return self.page('<p><a href="/login">Sign in with the SSO portal</a></p>')
        rows = [("NameID", session["name_id"]), ("AuthnContext", session["authn_context"])]
        rows += [
            (ATTRIBUTES.get(name, name), ", ".join(values))
            for name, values in sorted(session["attributes"].items())
        ]
        table = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        self.page(
            f"<p>Signed in.</p><table>{table}</table><p><a href='/login?mfa=1'>"
            "Ask for MFA (step-up)</a> · <a href='/logout'>Sign out</a></p>"
        )

    def do_POST(self) -> None:
        """The ACS: python3-saml checks the response (signatures, audience, times, InResponseTo)."""
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        post = {k: v[0] for k, v in parse_qs(body).items()}
        session = self.session()
        auth = self.auth(post=post)
        auth.process_response()
        if auth.get_errors() or not auth.is_authenticated():
            reason = html.escape(auth.get_last_error_reason() or ", ".join(auth.get_errors()))
            return self.page(f"<p>Sign-in failed: {reason}</p>")
        in_response_to = auth.get_last_response_in_response_to()
        # No InResponseTo: unsolicited (IdP-initiated from the portal's Home); an unknown one
        # is an answer to a request this app never sent, or an answer used twice.
        if in_response_to and in_response_to not in OUTSTANDING:
            return self.page("<p>Sign-in failed: not an answer to our request.</p>")
        OUTSTANDING.discard(in_response_to)
        session.update(
            name_id=auth.get_nameid(),
            name_id_format=auth.get_nameid_format(),
            session_index=auth.get_session_index(),
            authn_context=" ".join(auth.get_last_authn_contexts()),
            attributes=auth.get_attributes(),
        )
        self.redirect("/")

    def forget(self, auth: OneLogin_Saml2_Auth) -> None:
        """The portal ended the session (IdP-initiated logout): forget who it named."""
        name_id = auth.get_nameid() if auth.get_nameid() else None
        for session in SESSIONS.values():
            if name_id is None or session.get("name_id") == name_id:
                session.clear()

    def session(self) -> dict:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        self.sid = cookie["sp_session"].value if "sp_session" in cookie else ""
        if self.sid not in SESSIONS:
            self.sid = secrets.token_urlsafe(24)
            SESSIONS[self.sid] = {}
        return SESSIONS[self.sid]

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Set-Cookie", f"sp_session={self.sid}; HttpOnly; SameSite=Lax; Path=/")
        self.end_headers()

    def send(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(data)

    def page(self, body: str) -> None:
        data = f"<!doctype html><title>Demo SAML app</title><h1>Demo SAML app</h1>{body}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", f"sp_session={self.sid}; HttpOnly; SameSite=Lax; Path=/")
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    host, port = urlsplit(HERE).hostname, urlsplit(HERE).port or 80
    print(f"Demo SAML app on {HERE} (portal {PORTAL})")
    ThreadingHTTPServer((host, port), Handler).serve_forever()
