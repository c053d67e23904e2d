"""Home's list of relying applications: read once, kept in the cache, dropped when an app
changes (accounts.home.applications)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sso.oidc.models import Application
from sso.saml.models import ServiceProvider
from tests.oidc.conftest import make_app  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _app_queries(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/")
    assert page.status_code == 200
    # Home's reads name the apps' launch URL (the CSP's relying-app origins, read on the
    # same page, do not).
    reads = [q["sql"] for q in captured.captured_queries if "launch_url" in q["sql"]]
    return page.text, len(reads)


def _service_provider(name: str) -> ServiceProvider:
    return ServiceProvider.objects.create(
        name=name,
        entity_id=f"https://{name.lower()}.example.test/sp",
        metadata_xml="<EntityDescriptor/>",
        launch_url=f"https://{name.lower()}.example.test/",
    )


def test_home_reads_the_apps_once_and_again_after_a_change(client, user, make_app):  # noqa: F811
    client.force_login(user)
    app = make_app(client_id="b", name="Beacukai", launch_url="https://bc.example.test/")
    _service_provider("Arsip")
    page, reads = _app_queries(client)
    assert reads == 2  # OpenID Connect apps, SAML service providers
    assert page.index(">Arsip</a>") < page.index(">Beacukai</a>")
    page, reads = _app_queries(client)
    assert reads == 0 and ">Beacukai</a>" in page  # from the cache

    app.name = "Bea Cukai"
    app.save()
    page, reads = _app_queries(client)
    assert reads == 2 and ">Bea Cukai</a>" in page and ">Beacukai</a>" not in page

    ServiceProvider.objects.get(name="Arsip").delete()
    page, reads = _app_queries(client)
    assert reads == 2 and ">Arsip</a>" not in page

    Application.objects.get(pk=app.pk).delete()
    page, _reads = _app_queries(client)
    assert ">Bea Cukai</a>" not in page
    assert "No applications are connected to your account yet." in page


def test_every_user_sees_the_same_listed_apps(client, make_user, make_app):  # noqa: F811
    make_app(client_id="b", name="Beacukai", launch_url="https://bc.example.test/")
    make_app(client_id="h", name="Hidden", launch_url="https://h.example.test/", is_listed=False)
    for name in ("ani", "budi"):
        client.force_login(make_user(name))
        page, _reads = _app_queries(client)
        assert ">Beacukai</a>" in page and "Hidden" not in page


def test_home_without_the_cache_still_lists_the_apps(client, user, make_app, monkeypatch):  # noqa: F811
    from accounts.home import applications

    class Unreachable:
        def __getattr__(self, name):
            raise ConnectionError("cache out of reach")

    monkeypatch.setattr(applications, "cache", Unreachable())  # Home's reads only
    make_app(client_id="b", name="Beacukai", launch_url="https://bc.example.test/")
    client.force_login(user)
    page, reads = _app_queries(client)
    assert reads == 2 and ">Beacukai</a>" in page
