"""The admins' Overview in Chromium, in English and Bahasa Indonesia: charts load as images
under the strict CSP, axe finds no serious violation, and the screenshots go to the guide."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.conftest import sign_in
from tests.e2e.person import IMG, Person


@pytest.fixture
def trail(make_user, password):
    """A morning of sign-ins: two people in, a few wrong passwords, one account locked."""
    make_user("ani")
    make_user("budi")
    for name in ("ani", "budi"):
        sign_in(Client(), name, password)
    for _ in range(5):
        sign_in(Client(), "budi", "not budi's password")


def enter_as_admin(person: Person, make_user, live_server) -> None:
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    person.page.context.add_cookies(
        [{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }]
    )  # fmt: skip


def charts_are_drawn(person: Person) -> None:
    charts = person.page.locator("img.overview-chart")
    expect(charts).to_have_count(5)
    for index in range(5):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        # A chart still on its way (its first drawing in a worker imports pygal) is waited
        # for; one that fails or draws nothing fails the test.
        drawn = chart.evaluate(
            """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth > 0), {once: true});
                img.addEventListener("error", () => done(false), {once: true});
            })"""
        )
        assert drawn


def test_overview_in_english(person: Person, trail, make_user, live_server):
    enter_as_admin(person, make_user, live_server)
    person.page.goto("/admin/")
    person.click("Overview", role="link")
    person.sees_heading("Overview")
    expect(person.page.get_by_text("2 sign-ins today")).to_be_visible()
    expect(person.page.get_by_text("1 account locked now")).to_be_visible()
    charts_are_drawn(person)
    person.look()
    IMG.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=IMG / "45-admin-overview-1280.png", full_page=True)

    # The current hour's sign-ins, in the first chart's table, lead to those two events.
    person.page.get_by_text("Show as a table").first.click()
    person.page.locator("details").first.get_by_role("link", name="2", exact=True).click()
    expect(person.page.get_by_text("2 audit events")).to_be_visible()


def test_overview_in_indonesian(orang: Person, trail, make_user, live_server):
    enter_as_admin(orang, make_user, live_server)
    orang.page.goto("/admin/overview/")
    orang.sees_heading("Ringkasan")
    expect(orang.page.get_by_text("2 proses masuk hari ini")).to_be_visible()
    charts_are_drawn(orang)
    orang.look()
    orang.page.screenshot(path=IMG / "46-admin-overview-id-1280.png", full_page=True)
