"""A web worker starts without the libraries of pages it may never serve.

Each of these costs every gunicorn worker its memory from the start (docs/performance.md,
"Worker memory"): pysaml2 and its XML schema library (SAML), django-scim2, scim2-models and
pydantic (SCIM), django-import-export with tablib, openpyxl, lxml and Pillow (the Users
import), py_webauthn and cbor2 (passkeys), qrcode (the authenticator set-up), pygal (charts).
They are imported at the first request that needs them. A worker is started here as gunicorn
starts one (sso.wsgi, in a fresh interpreter), the URL map is filled by a first reverse(), and
the views of a sign-in and of an OpenID Connect code exchange are looked up as a request
looks them up; none of these libraries may be loaded by then.
"""

import json
import os
import subprocess
import sys

from tests.test_deployment import PRODUCTION_ENV, ROOT

NOT_AT_START = (
    "saml2",
    "xmlschema",
    "django_scim",
    "scim2_models",
    "pydantic",
    "import_export.admin",  # the package itself is an installed app (templates, static)
    "tablib",
    "openpyxl",
    "lxml",
    "PIL",
    "webauthn",
    "cbor2",
    "qrcode",
    "pygal",
)

# What one sign-in (bench/signin_cpu.py) and one code exchange request.
SERVED_PATHS = (
    "/accounts/login/",
    "/accounts/login/method/",
    "/accounts/login/password/",
    "/security/challenge/",
    "/security/challenge/totp/",
    "/security/challenge/confirm/",
    "/",
    "/o/authorize/",
    "/o/token/",
)

WORKER = f"""
import json, sys
import sso.wsgi
from django.urls import resolve, reverse

reverse("home")  # the first reverse() fills every included URL map
for path in {SERVED_PATHS!r}:
    view = resolve(path).func
    getattr(view, "csrf_exempt", False)  # as CsrfViewMiddleware asks before the view runs
print(json.dumps(sorted(name for name in {NOT_AT_START!r} if name in sys.modules)))
"""


def test_a_started_worker_has_not_loaded_the_libraries_of_other_pages(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **PRODUCTION_ENV}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'unused.sqlite3'}"  # never connected to
    env["STATIC_ROOT"] = str(tmp_path / "static")
    result = subprocess.run(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
