"""The Passkeys tab: rename, delete with confirmation, fresh proof, other people's devices."""

import time

import pytest
import time_machine
from django.urls import reverse

from mfa.passkeys.models import Passkey
from tests.conftest import sign_in
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import register


@pytest.fixture
def passkey(signed_in, authenticator) -> Passkey:
    register(signed_in, authenticator, "Work laptop")
    return Passkey.objects.get()


def reauth_url() -> str:
    return reverse("mfa:reauth")


def test_rename(signed_in, passkey):
    url = f"/security/passkeys/{passkey.pk}/rename/"
    assert "Rename “Work laptop”" in signed_in.get(url).text
    response = signed_in.post(url, {"name": "Office PC"}, follow=True)
    assert "The device is renamed to “Office PC”." in response.text
    passkey.refresh_from_db()
    assert passkey.name == "Office PC"


def test_rename_needs_a_name(signed_in, passkey):
    response = signed_in.post(f"/security/passkeys/{passkey.pk}/rename/", {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.text


def test_delete_asks_first(signed_in, passkey):
    url = f"/security/passkeys/{passkey.pk}/delete/"
    page = signed_in.get(url)
    assert "Delete “Work laptop”?" in page.text
    assert "Delete this device" in page.text
    assert Passkey.objects.count() == 1
    response = signed_in.post(url, follow=True)
    assert "The device “Work laptop” is deleted." in response.text
    assert Passkey.objects.count() == 0


def test_someone_elses_passkey_cannot_be_touched(client, make_user, password, passkey):
    client.post("/accounts/logout/")
    make_user("budi")
    sign_in(client, "budi", password)
    for action in ("rename", "delete"):
        url = f"/security/passkeys/{passkey.pk}/{action}/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "mine now"}).status_code == 404
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_changes_need_a_recent_sign_in(signed_in, passkey, action):
    target = reauth_url()
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        response = signed_in.post(f"/security/passkeys/{passkey.pk}/{action}/", {"name": "X"})
    assert response.status_code == 302
    assert response["Location"].startswith(target)
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


def test_the_list_says_which_passkeys_are_synced(signed_in):
    register(signed_in, SoftAuthenticator(), "Security key")
    register(signed_in, SoftAuthenticator(backup_eligible=True), "Phone")
    page = signed_in.get("/security/passkeys/")
    assert "This device only" in page.text
    assert "Can be synced, not yet backed up" in page.text
    assert "Never" in page.text


def test_admin_lists_passkeys_read_only_and_finds_them_by_user(client, make_user, passkey):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    found = client.get("/admin/passkeys/passkey/?q=ani")
    assert found.status_code == 200
    assert "Work laptop" in found.text
    assert "Work laptop" not in client.get("/admin/passkeys/passkey/?q=nobody").text
    assert client.get("/admin/passkeys/passkey/add/").status_code == 403
    detail = client.get(f"/admin/passkeys/passkey/{passkey.pk}/change/")
    assert detail.status_code == 200
    assert 'name="name"' not in detail.text
