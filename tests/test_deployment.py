"""Production settings: check --deploy is clean, cookies are hardened, migrations committed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sso.oidc.keys import new_private_key_pem
from sso.saml.keys import write_key_files

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "sso.settings",
    "SECRET_KEY": "k3y-" + "".join(chr(65 + (i * 7) % 26) for i in range(60)),
    "ALLOWED_HOSTS": "sso.example.go.id",
    "SSO_BASE_URL": "https://sso.example.go.id",
    "DEBUG": "false",
    "OIDC_RSA_PRIVATE_KEY": new_private_key_pem(),
    "OIDC_ISSUER": "https://sso.example.go.id",
    "SAML_ENTITY_ID": "https://sso.example.go.id/saml/metadata/",
}


def run_manage(tmp_path: Path, *args: str, extra_env: dict | None = None):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **PRODUCTION_ENV}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    env["STATIC_ROOT"] = str(tmp_path / "static")
    env["SAML_SIGNING_KEY_FILE"] = str(tmp_path / "saml_key.pem")
    env["SAML_SIGNING_CERT_FILE"] = str(tmp_path / "saml_cert.pem")
    write_key_files(tmp_path / "saml_key.pem", tmp_path / "saml_cert.pem", "deploy check")
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_has_no_warning(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_development_key(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", extra_env={"SECRET_KEY": ""})
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("issuer", "warning"),
    [("", "sso_oidc.W002"), ("http://sso.example.go.id", "sso_oidc.W003")],
)
def test_check_deploy_wants_a_fixed_https_issuer(tmp_path, issuer, warning):
    """Without OIDC_ISSUER the issuer follows the Host header of each request."""
    result = run_manage(tmp_path, "check", "--deploy", extra_env={"OIDC_ISSUER": issuer})
    assert warning in result.stdout + result.stderr


def test_migrations_are_committed(tmp_path):
    result = run_manage(tmp_path, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


COOKIE_PROBE = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from accounts.models import User
u = User(username="ani", email="a@example.com"); u.set_password("correct horse battery"); u.save()
from django.test import Client
c = Client(HTTP_HOST="sso.example.go.id")
page = c.get("/accounts/login/", secure=True)
csrf = page.cookies["__Host-csrftoken"]
print("csrf", csrf["secure"], csrf["samesite"], csrf["path"])
c.post("/accounts/login/", {"username": "ani"}, secure=True)
r = c.post("/accounts/login/password/", {"password": "correct horse battery"}, secure=True)
m = r.cookies["__Host-sessionid"]
print("session", m["secure"], m["httponly"], m["samesite"], m["path"], r.status_code)
print("plain-http", c.get("/accounts/login/").status_code)
print("hsts", page.headers.get("Strict-Transport-Security"))
print("csp", page.headers.get("Content-Security-Policy"))
"""


@pytest.mark.slow
def test_production_cookies_are_secure_httponly_lax_and_host_prefixed(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **PRODUCTION_ENV}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    env["STATIC_ROOT"] = str(tmp_path / "static")
    result = subprocess.run(
        [sys.executable, "-c", COOKIE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["csrf"] == "True Lax /"
    assert lines["session"] == "True True Lax / 200"  # Home, shown in place
    assert lines["plain-http"] == "301"  # plain HTTP is sent to HTTPS
    assert lines["hsts"].startswith("max-age=31536000")
    assert "script-src 'self'" in lines["csp"] and "frame-ancestors 'none'" in lines["csp"]
