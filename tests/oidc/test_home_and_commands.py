"""Home's list of applications, the development key and the demo app's registration."""

import pytest
from django.core.management import call_command

from sso.oidc.home import applications_for
from sso.oidc.models import Application

pytestmark = pytest.mark.django_db


def test_home_lists_the_listed_apps_with_a_home_page(make_app, user):
    make_app(client_id="b", name="Beacukai", launch_url="https://bc.example.test/")
    make_app(
        client_id="a",
        name="Arsip",
        launch_url="https://arsip.example.test/",
        logo_url="https://arsip.example.test/logo.png",
    )
    make_app(
        client_id="hidden", name="Hidden", launch_url="https://h.example.test/", is_listed=False
    )
    make_app(client_id="api", name="No home page")
    assert applications_for(user) == [
        {
            "name": "Arsip",
            "url": "https://arsip.example.test/",
            "logo_url": "https://arsip.example.test/logo.png",
        },
        {"name": "Beacukai", "url": "https://bc.example.test/", "logo_url": ""},
    ]


def test_home_lists_nothing_for_a_stranger(make_app):
    from django.contrib.auth.models import AnonymousUser

    make_app(launch_url="https://x.example.test/")
    assert applications_for(AnonymousUser()) == []


def test_oidc_devkey_creates_a_private_key_once(settings, tmp_path, capsys):
    path = tmp_path / "var" / "key.pem"
    settings.SSO_OIDC_RSA_PRIVATE_KEY_FILE = path
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    call_command("oidc_devkey")
    first = path.read_text()
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    call_command("oidc_devkey")
    assert path.read_text() == first


def test_demo_client_registration_is_idempotent(settings):
    settings.DEBUG = True
    call_command("oidc_demo_client")
    call_command("oidc_demo_client")
    app = Application.objects.get(client_id="demo-rp")
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.redirect_uris == "http://localhost:8001/callback"
    assert app.skip_authorization
    assert app.launch_url == "http://localhost:8001/"


def test_demo_client_is_refused_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="DEBUG"):
        call_command("oidc_demo_client")
