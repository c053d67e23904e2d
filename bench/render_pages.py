"""CPU time of rendering each page of a sign-in, template by template, in one process.

Production settings (``DEBUG`` false, the cached template loader, WhiteNoise's manifest of a
``collectstatic`` into a temporary directory), no database and no Redis: each page is rendered
the way its view renders it (``render(request, template, context)``, so the context processors
and the CSRF token are counted) with the context the view gives it on a GET, ``--renders`` times
per language, and the best of ``--repeat`` rounds is kept. A query during a render fails the
run: the figures are template costs only.

    python -m bench.render_pages [--renders 2000] [--repeat 3] [--page home] [--dump DIR]

Prints µs per render per page and language and writes ``bench/results/render_pages.json``.
``--dump DIR`` also writes each page's HTML, and the variants a person meets less often (errors,
a staff member's menu), per language, with the CSRF token blanked: diff two dumps to see that a
change to the templates leaves every page's HTML as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "id")
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def setup_django(static_root: Path) -> None:
    """Production settings in this process, with static files collected into ``static_root``."""
    env = {
        "DJANGO_SETTINGS_MODULE": "sso.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "REDIS_URL": "",  # no cache calls while rendering: a render that makes one fails
        "LOG_LEVEL": "WARNING",
    }
    env_all = {**os.environ, **env}
    env_all.pop("CI", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env_all,
        check=True,
    )
    os.environ.update(env)
    os.environ.pop("CI", None)
    import django

    django.setup()


def make_request(path: str, user, session: dict):  # type: ignore[no-untyped-def]
    """A GET as the middleware leaves it: user, session, messages, CSRF cookie read."""
    from django.contrib.messages.storage import default_storage
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get(path, HTTP_USER_AGENT=USER_AGENT, HTTP_HOST="127.0.0.1")
    request.user = user
    request.session = SessionStore()
    request.session.update(session)
    request._messages = default_storage(request)
    return request


def pages() -> dict[str, tuple[str, str, dict, bool]]:
    """page -> (template, path, context as the view gives it on a GET, signed in)."""
    from django.conf import settings
    from django.utils import timezone

    from accounts.signin.forms import PasswordForm, UsernameForm
    from mfa.forms import CodeForm, TrustForm
    from mfa.methods import RecoveryCodeMethod, TotpMethod

    totp = TotpMethod()
    picker_methods = [
        {
            "slug": m.slug,
            "label": m.label,
            "hint": m.describe(None),
            "sends_message": m.sends_message,
            "blocked_for": 0,
            "available_at": None,
        }
        for m in (totp, RecoveryCodeMethod())
    ]
    applications = [
        {"name": name, "url": f"https://{name.lower()}.example.org/"}
        for name in ("Intranet", "Mail", "Payroll", "Wiki")
    ]
    _ = timezone.now()
    return {
        "username": (
            "accounts/username.html",
            "/accounts/login/",
            # As accounts.signin.views.username_step: the page holds step 2 and its form.
            {
                "form": UsernameForm(initial={"username": ""}),
                "next": "",
                "signup_open": False,
                "password_form": _revealed_password_form(),
                "location_enabled": settings.ACCOUNTS_LOCATION_ENABLED,
            },
            False,
        ),
        "method": (
            "accounts/method.html",
            "/accounts/login/method/",
            {
                "form": _revealed_password_form(),
                "username": "c00001",
                "location_enabled": settings.ACCOUNTS_LOCATION_ENABLED,
            },
            False,
        ),
        "password": (
            "accounts/password.html",
            "/accounts/login/password/",
            {
                "form": PasswordForm(None),
                "username": "c00001",
                "location_enabled": settings.ACCOUNTS_LOCATION_ENABLED,
            },
            False,
        ),
        "picker": (
            "mfa/challenge/picker.html",
            "/security/challenge/",
            {"methods": picker_methods, "error": ""},
            False,
        ),
        "code": (
            "mfa/challenge/method.html",
            "/security/challenge/totp/",
            {"method": totp, "hint": totp.describe(None), "form": CodeForm(None)},
            False,
        ),
        "confirm": (
            "mfa/challenge/confirm.html",
            "/security/challenge/confirm/",
            {
                "form": TrustForm(None),
                "step_up": False,
                "trust_days": settings.MFA_TRUST_DAYS,
                "used_passkey": False,
            },
            False,
        ),
        "home": ("accounts/home.html", "/", {"applications": applications}, True),
    }


def _revealed_password_form():  # type: ignore[no-untyped-def]
    """The password form as the method page holds it (accounts.signin.views.method_step)."""
    from accounts.signin.forms import PasswordForm

    form = PasswordForm()
    form.fields["password"].widget.attrs.pop("autofocus", None)
    return form


def variants() -> dict[str, tuple[str, str, dict, bool]]:
    """Pages off the hot path, for ``--dump``: forms with errors, a staff member's Home."""
    from accounts.signin.forms import PasswordForm, UsernameForm
    from mfa.forms import CodeForm

    username = UsernameForm({"username": ""})
    username.is_valid()
    password = PasswordForm({"password": "wrong"})
    password.is_valid()
    password.add_error(None, "Your username or password is not right.")
    code = CodeForm({"code": "12"})
    code.is_valid()
    found = pages()
    return {
        "username_error": (
            found["username"][0],
            found["username"][1],
            {**found["username"][2], "form": username},
            False,
        ),
        "password_error": (
            found["password"][0],
            found["password"][1],
            {**found["password"][2], "form": password, "location_enabled": True},
            False,
        ),
        "code_error": (*found["code"][:2], {**found["code"][2], "form": code}, False),
        "home_staff": (*found["home"][:3], "staff"),
        "home_empty": (found["home"][0], found["home"][1], {"applications": []}, True),
    }


def dump(directory: Path) -> None:
    """Each page's and variant's HTML per language, CSRF token blanked."""
    import re

    from django.shortcuts import render
    from django.utils import translation

    directory.mkdir(parents=True, exist_ok=True)
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    for name, (template, path, context, signed_in) in {**pages(), **variants()}.items():
        for language in LANGUAGES:
            with translation.override(language):
                request = make_request(path, *_person(signed_in))
                request.LANGUAGE_CODE = language
                html = render(request, template, context).content
            html = token.sub(b'name="csrfmiddlewaretoken" value="-"', html)
            (directory / f"{name}.{language}.html").write_bytes(html)


def _person(signed_in: bool | str):  # type: ignore[no-untyped-def]
    """(user, session) of a browser still signing in, or of a signed-in person ("staff")."""
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from accounts.signin.flows import AUTH_METHODS_SESSION_KEY

    if not signed_in:
        return AnonymousUser(), {}
    person = User(pk=1, username="c00001", full_name="Bench Person", email="c@bench.invalid")
    person.is_staff = signed_in == "staff"
    return person, {AUTH_METHODS_SESSION_KEY: ["pwd", "otp"]}


def measure(renders: int, repeat: int, only: list[str]) -> dict[str, dict[str, float]]:
    from django.db import connection
    from django.shortcuts import render
    from django.utils import translation

    def no_query(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        raise AssertionError(f"a query while rendering: {sql[:200]}")

    figures: dict[str, dict[str, float]] = {}
    for name, (template, path, context, signed_in) in pages().items():
        if only and name not in only:
            continue
        user, session = _person(signed_in)
        figures[name] = {}
        for language in LANGUAGES:
            with translation.override(language), connection.execute_wrapper(no_query):
                request = make_request(path, user, session)
                request.LANGUAGE_CODE = language
                size = len(render(request, template, context).content)  # warm: compiled
                best = float("inf")
                for _ in range(repeat):
                    cpu = time.process_time()
                    for _ in range(renders):
                        render(request, template, context)
                    best = min(best, time.process_time() - cpu)
            figures[name][language] = round(best / renders * 1e6, 1)
            figures[name][f"{language}_bytes"] = size
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=2000, help="renders per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--page", action="append", default=[], help="only this page (repeatable)")
    parser.add_argument("--dump", type=Path, help="also write each page's HTML into this folder")
    parser.add_argument(
        "--json", type=Path, default=REPO / "bench" / "results" / "render_pages.json"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="render-pages-") as static_root:
        setup_django(Path(static_root))
        if args.dump:
            dump(args.dump)
        figures = measure(args.renders, args.repeat, args.page)
    print(f"{'page':<10} {'en µs':>8} {'id µs':>8} {'bytes':>7}")
    for name, row in figures.items():
        print(f"{name:<10} {row['en']:>8.1f} {row['id']:>8.1f} {row['en_bytes']:>7}")
    total = {lang: round(sum(row[lang] for row in figures.values()), 1) for lang in LANGUAGES}
    print(f"{'all':<10} {total['en']:>8.1f} {total['id']:>8.1f}")
    result = {
        "what": "CPU µs per render of each sign-in page (GET context), production settings",
        "renders": args.renders,
        "repeat": args.repeat,
        "pages": figures,
        "total_us": total,
        "load_average": os.getloadavg(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
