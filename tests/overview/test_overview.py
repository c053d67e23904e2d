"""The admins' Overview: figures drawn from the audit trail that the real sign-in flows write.

Every count is checked against what the audit list shows when the figure's link is followed.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.overview.models import HourlyCount
from accounts.overview.rollup import roll_up
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, pick, validate

NOW = "2026-11-30 10:20:00+07:00"


@pytest.fixture(autouse=True)
def _fixed_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def admin(make_user) -> Client:
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


def sign_in_fully(password: str, username: str = "ani", next_url: str = "") -> Client:
    browser = Client()
    response = sign_in(browser, username, password, next_url)
    assert led_to(response) == (next_url or "/")
    return browser


def card(page: str, words: str) -> int:
    """The number on the card whose text is ``words`` ("sign-ins today")."""
    match = re.search(
        r'overview-number">(\d+)</span>\s*' + re.escape(words), page.replace("\n", " ")
    )
    assert match, f"no card {words!r}"
    return int(match.group(1))


def audit_list_count(admin: Client, link: str) -> int:
    page = admin.get(link.replace("&amp;", "&")).text
    match = re.search(r"(\d+) audit events?", page)
    return int(match.group(1)) if match else 0


def test_live_figures_count_what_the_sign_in_flows_recorded(
    admin, make_user, password, time_machine
):
    make_user("ani")
    make_user("budi")
    sign_in_fully(password)
    sign_in_fully(password, "budi")
    for _ in range(3):
        sign_in(Client(), "ani", "wrong password, wrong")

    page = admin.get("/admin/overview/").text

    assert card(page, "sign-ins today") == 2
    assert card(page, "failures in the last hour") == 3
    assert card(page, "people signed in") == 3  # ani, budi and the admin's own session
    link = re.search(r'<a href="([^"]+)"><span class="overview-number">\d+</span>\s*failures', page)
    assert audit_list_count(admin, link.group(1)) == 3


def test_failures_last_hour_are_compared_with_the_same_hour_last_week(admin, user, time_machine):
    time_machine.move_to("2026-11-23 10:00:00+07:00", tick=False)
    for _ in range(2):
        sign_in(Client(), "ani", "wrong password, wrong")
    time_machine.move_to(NOW, tick=False)
    sign_in(Client(), "ani", "wrong password, wrong")

    page = admin.get("/admin/overview/").text

    assert card(page, "failure in the last hour") == 1
    assert "2 in the same hour last week" in page


def test_second_factor_methods_and_failure_reasons(admin, user, password, phone, time_machine):
    browser = Client()
    sign_in(browser, "ani", password)
    pick(browser, "totp")
    validate(browser, "totp", "000000" if phone.now() != "000000" else "111111")
    time_machine.shift(2)  # past django-otp's throttle after a wrong code
    validate(browser, "totp", phone.now())
    confirm(browser)

    page = admin.get("/admin/overview/").text

    methods = page.split('id="methods-title"')[1].split("</table>")[0]
    assert re.search(r"<td>Authenticator</td><td>1</td>", methods)
    reasons = page.split('id="reasons-title"')[1].split("</table>")[0]
    assert re.search(r"<td>Wrong code</td><td>1</td>", reasons)


def test_rolled_up_hours_give_the_same_figures_as_the_raw_trail(
    admin, user, password, time_machine
):
    time_machine.move_to("2026-11-28 08:15:00+07:00", tick=False)
    sign_in_fully(password)
    sign_in(Client(), "ani", "wrong password, wrong")
    time_machine.move_to(NOW, tick=False)
    before = admin.get("/admin/overview/export.csv").content

    written = roll_up()
    again = roll_up()

    assert written > 0 and again == 0
    assert HourlyCount.objects.filter(category="signin", group_id=0).get().count == 1
    assert admin.get("/admin/overview/export.csv").content == before
    rows = list(csv.reader(io.StringIO(before.decode())))
    day = [r for r in rows if r[0] == "days" and r[1] == "28/11"]
    assert {r[2]: int(r[3]) for r in day} == {"Sign-ins": 1, "Failures": 1}


def test_each_day_links_to_exactly_the_events_it_counts(admin, user, password, time_machine):
    time_machine.move_to("2026-11-29 23:30:00+07:00", tick=False)  # late evening, local time
    sign_in_fully(password)
    time_machine.move_to(NOW, tick=False)
    sign_in_fully(password)
    roll_up()

    page = admin.get("/admin/overview/").text
    table = page.split('id="days-title"')[1].split("</table>")[0]
    for day, expected in (("29/11", 1), ("30/11", 1)):
        row = re.search(rf'<th scope="row">{day}</th><td><a href="([^"]+)">(\d+)</a>', table)
        assert int(row.group(2)) == expected
        assert audit_list_count(admin, row.group(1)) == expected


def test_filter_by_group(admin, make_user, password):
    staff = Group.objects.create(name="Dosen")
    make_user("ani").groups.add(staff)
    make_user("budi")
    sign_in_fully(password)
    sign_in_fully(password, "budi")

    everyone = admin.get("/admin/overview/").text
    group_only = admin.get(f"/admin/overview/?group={staff.pk}").text

    assert card(everyone, "sign-ins today") == 2
    assert card(group_only, "sign-in today") == 1


def test_filter_by_relying_app(admin, user, password):
    from sso.oidc.models import Application

    Application.objects.create(
        name="Library", client_id="library", client_type="public",
        authorization_grant_type="authorization-code", redirect_uris="https://lib.example/cb",
    )  # fmt: skip
    authorize = "/o/authorize/?client_id=library&response_type=code&scope=openid"
    sign_in_fully(password, next_url=authorize)
    sign_in_fully(password)

    page = admin.get("/admin/overview/?app=library").text
    assert card(page, "sign-in today") == 1
    assert card(admin.get("/admin/overview/?app=-").text, "sign-in today") == 1
    assert card(admin.get("/admin/overview/").text, "sign-ins today") == 2


def test_locked_accounts_are_listed_with_the_way_to_unlock(admin, user):
    for _ in range(5):
        sign_in(Client(), "ani", "wrong password, wrong")

    page = admin.get("/admin/overview/").text

    assert card(page, "account locked now") == 1
    assert "/admin/accounts/user/?locked=yes" in page
    assert f"/admin/accounts/user/{user.pk}/change/" in page


@pytest.mark.parametrize("events", [True, False])
@pytest.mark.parametrize("name", ["hours", "days", "reasons", "methods", "devices"])
def test_charts_are_svg_images_without_script(admin, user, password, name, events):
    if events:
        sign_in_fully(password)
    response = admin.get(f"/admin/overview/chart/{name}.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    assert "script-src" not in response["Content-Security-Policy"]


def test_unknown_chart_and_odd_filters(admin):
    assert admin.get("/admin/overview/chart/nope.svg").status_code == 404
    for query in ("group=abc", "group=99999999999999", "group=-1&app=" + "x" * 500):
        page = admin.get(f"/admin/overview/?{query}")
        assert page.status_code == 200
        assert (
            'value="" selected' not in page.text.split('id="overview-app"')[1].split("</select>")[0]
        )
    # A NUL is refused for every page before the view (sso/request_input.py).
    assert admin.get("/admin/overview/?app=%00").status_code == 400


def test_only_staff_with_the_audit_permission(make_user, user):
    assert Client().get("/admin/overview/").status_code == 302
    clerk = make_user("clerk", is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    assert browser.get("/admin/overview/").status_code == 403
    assert browser.get("/admin/overview/export.csv").status_code == 403


def test_admin_index_links_to_the_overview_first(admin):
    page = admin.get("/admin/").text
    assert page.index('href="/admin/overview/"') < page.index("/admin/accounts/")


def test_indonesian(admin, user, password):
    sign_in_fully(password)
    page = admin.get("/admin/overview/", HTTP_ACCEPT_LANGUAGE="id").text
    assert "Ringkasan" in page
    assert "masuk hari ini" in page


def test_the_page_has_admins_header_with_the_portals_name(admin):
    page = admin.get("/admin/overview/").content.decode()
    assert '<a href="/admin/">SSO Portal · Administration</a>' in page
    assert "Django administration" not in page


def test_a_blocked_address_is_shown_and_its_block_can_be_lifted(admin, make_user, settings):
    from accounts import lockout
    from accounts.models import AuditEvent

    settings.ACCOUNTS_IP_FAILURE_LIMIT = 3
    for name in ("ani", "budi", "citra", "dewi"):
        make_user(name)
        sign_in(Client(), name, "wrong password, wrong")  # the test client's 127.0.0.1
    assert lockout.ip_refusal("127.0.0.1") is not None

    page = admin.get("/admin/overview/").text
    assert "Lift the block on 127.0.0.1" in page
    page_id = admin.get("/admin/overview/", HTTP_ACCEPT_LANGUAGE="id").text
    assert "Cabut blokir pada 127.0.0.1" in page_id

    response = admin.post("/admin/overview/lift-block/", {"ip": "127.0.0.1"}, follow=True)

    assert "The block on 127.0.0.1 was lifted." in response.text
    assert lockout.ip_refusal("127.0.0.1") is None
    assert AuditEvent.objects.filter(kind="admin.action", details__action="lift_block").exists()
    assert admin.post("/admin/overview/lift-block/", {"ip": "not-an-ip"}).status_code == 400


def test_lifting_a_block_needs_the_unlock_permission(make_user):
    clerk = make_user("clerk", is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    assert browser.post("/admin/overview/lift-block/", {"ip": "10.0.0.1"}).status_code == 403
    assert browser.get("/admin/overview/lift-block/").status_code == 405
