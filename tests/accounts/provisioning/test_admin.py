"""Provisioning clients in Django admin: the token is shown once and works; bad networks refused."""

import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from accounts.provisioning.models import ProvisioningClient


@pytest.fixture
def admin_client(make_user) -> Client:
    browser = Client()
    browser.force_login(make_user("root", is_staff=True, is_superuser=True))
    return browser


@pytest.mark.django_db
def test_adding_a_client_shows_its_token_once(admin_client):
    page = admin_client.post(
        "/admin/provisioning/provisioningclient/add/",
        {"name": "SIAKAD", "is_active": "on", "allowed_networks": "", "requests_per_minute": 600},
        follow=True,
    )
    assert page.status_code == 200
    token = re.search(r"scim_[A-Za-z0-9_-]{40,}", page.text).group(0)
    assert "will not be shown again" in page.text
    client = ProvisioningClient.objects.get(name="SIAKAD")
    assert token not in (client.token_digest or "")
    assert (
        admin_client.get(f"/admin/provisioning/provisioningclient/{client.pk}/change/").text.count(
            token
        )
        == 0
    )
    answer = Client().get(
        "/scim/v2/ServiceProviderConfig", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200 and answer.json()["etag"]["supported"] is True


@pytest.mark.django_db
def test_a_malformed_network_is_refused(admin_client):
    page = admin_client.post(
        "/admin/provisioning/provisioningclient/add/",
        {"name": "x", "allowed_networks": "10.0.0.0/8\nnot-an-ip", "requests_per_minute": 600},
    )
    assert "not-an-ip is not an IP address or network." in page.text
    assert not ProvisioningClient.objects.exists()


@pytest.mark.django_db
def test_the_client_form_reads_in_indonesian(admin_client):
    page = admin_client.get(
        "/admin/provisioning/provisioningclient/add/", headers={"Accept-Language": "id"}
    )
    assert "Jaringan yang diizinkan" in page.text or "jaringan yang diizinkan" in page.text
    assert "dipercaya untuk alamat email" in page.text.lower()


def test_the_provisioning_catalogue_is_complete():
    catalogue = Path(__file__).parents[3] / "accounts/provisioning/locale/id/LC_MESSAGES/django.po"
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", str(catalogue)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "msgid" not in out.replace('msgid ""\nmsgstr ""', ""), out
