"""Rolling MFA out, in Chromium: reminded, Later, reminded again, and after the deadline (a
moved clock: time-machine moves the live server's time too) enrolment before Home, with a
passkey (English, Chromium's virtual authenticator) or an authenticator app (Indonesian); the
admin's adoption view shows the change."""

import re
from base64 import b32encode
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from mfa.rollout.adoption import take_snapshot
from mfa.rollout.models import GroupPolicy, Level, Reminder
from tests.e2e.person import Person


@pytest.fixture
def finance(transactional_db):
    """A group whose people must have a second factor in 10 days (less a minute)."""
    group = Group.objects.create(name="Finance")
    deadline = timezone.now() + timedelta(days=10) - timedelta(minutes=1)
    GroupPolicy.objects.create(group=group, level=Level.REQUIRED, deadline=deadline)
    return group, deadline


def add_virtual_authenticator(page) -> None:
    """Chromium's virtual platform authenticator (resident keys, user verification)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }})  # fmt: skip


def sign_in(person: Person, username: str, password: str, labels: dict) -> None:
    page = person.page
    page.goto("/accounts/login/")
    person.fill(labels["username"], username)
    person.click(labels["next"])
    person.click(labels["with_password"], role="link")
    person.fill(labels["password"], password)
    person.click(labels["sign_in"])


def sign_out(person: Person, labels: dict) -> None:
    person.page.get_by_label(labels["menu"]).click()
    person.click(labels["sign_out"])


ENGLISH = {"username": "Username", "next": "Next", "with_password": "Sign in with password",
           "password": "Password", "sign_in": "Sign in", "menu": "User menu",
           "sign_out": "Sign Out"}  # fmt: skip
INDONESIAN = {"username": "Nama pengguna", "next": "Berikutnya",
              "with_password": "Masuk dengan kata sandi", "password": "Kata sandi",
              "sign_in": "Masuk", "menu": "Menu pengguna", "sign_out": "Keluar"}  # fmt: skip


def test_reminded_skips_then_must_enrol_with_a_passkey(
    person: Person, second_person: Person, make_user, password, finance
):
    group, deadline = finance
    ani = make_user("ani")
    ani.groups.add(group)
    add_virtual_authenticator(person.page)
    take_snapshot()  # the daily task: Finance at 0 %

    sign_in(person, "ani", password, ENGLISH)
    person.sees_heading("Set up a second factor: 10 days left")
    person.look(shot="60-rollout-reminder", phone=True)
    person.click("Later")
    person.is_home("Ani")
    person.sees("10 days left.")
    sign_out(person, ENGLISH)

    with time_machine.travel(timezone.now() + timedelta(days=3), tick=True):
        sign_in(person, "ani", password, ENGLISH)
        person.sees_heading("Set up a second factor: 7 days left")
        person.click("Later")
        person.is_home("Ani")
        sign_out(person, ENGLISH)
    assert Reminder.objects.filter(user=ani, kind=Reminder.Kind.LATER).count() == 2

    with time_machine.travel(deadline + timedelta(hours=1), tick=True):
        sign_in(person, "ani", password, ENGLISH)
        person.sees_heading("Set up a second factor")
        person.sees("Your account needs a second factor before you can continue.")
        offers = person.page.locator("[data-factor]")
        expect(offers.first).to_have_attribute("data-factor", "passkey")  # passkey first
        person.look(shot="61-rollout-enrol", phone=True)
        person.page.goto("/")  # Home waits
        person.sees_heading("Set up a second factor")

        person.click(re.compile("^Passkey"), role="link")
        person.click("Register New Device", role="link")
        person.fill("Device name", "My laptop")
        person.click("Save New Device")
        person.confirm_account_email()  # the first factor after a password-only sign-in
        person.fill("Device name", "My laptop")
        person.click("Save New Device")
        person.sees("Your new device “My laptop” is registered.")
        person.click("Back to the setup page", role="link")
        person.sees_heading("Your second factor is set up")
        person.sees("Now make recovery codes")
        person.look(shot="62-rollout-done")
        person.click("Continue")
        person.is_home("Ani")
        person.sees("Your account is protected with a second factor.")
        take_snapshot()  # the daily task on the day after the deadline

        # The admin's adoption view: Finance went from 0 % to 100 %, nobody is missing.
        root = make_user("root", full_name="Root", is_staff=True, is_superuser=True)
        device = TOTPDevice.objects.create(user=root, name="Authenticator", confirmed=True)
        phone = pyotp.TOTP(b32encode(device.bin_key).decode())
        admin = second_person
        sign_in(admin, "root", password, ENGLISH)
        admin.is_asked_for("Authenticator")  # the one factor: its page after the password
        admin.validate(phone.now())
        admin.confirm_and_continue()
        admin.page.goto("/admin/mfa_rollout/adoptionperson/?factor=missing&groups__id__exact="
                        f"{group.pk}")  # fmt: skip
        expect(admin.page.get_by_role("heading", name="Adoption now")).to_be_visible()
        finance_row = admin.page.get_by_role("row", name=re.compile("^Finance "))
        expect(finance_row).to_contain_text("100.0 %")
        expect(admin.page.get_by_text("0 MFA adoption")).to_be_visible()  # nobody missing
        admin.page.get_by_text("Show as a table").click()
        trend = admin.page.get_by_role("row", name=re.compile(r"Finance 1 0 0\.0 %"))
        expect(trend).to_be_visible()  # the first snapshot, before ani enrolled
        admin.look(shot="63-rollout-adoption")


def test_in_indonesian_the_app_is_offered_and_set_up_before_home(
    orang: Person, make_user, password, finance
):
    group, deadline = finance
    budi = make_user("budi")
    budi.groups.add(group)

    sign_in(orang, "budi", password, INDONESIAN)
    orang.sees_heading("Siapkan faktor kedua: tinggal 10 hari")
    orang.look(shot="64-rollout-reminder-id")
    orang.click("Nanti")
    orang.sees_heading("Selamat datang, Budi")
    sign_out(orang, INDONESIAN)

    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        sign_in(orang, "budi", password, INDONESIAN)
        orang.sees_heading("Siapkan faktor kedua: tinggal 8 hari")
        orang.click("Nanti")
        sign_out(orang, INDONESIAN)

    with time_machine.travel(deadline + timedelta(minutes=5), tick=True):
        sign_in(orang, "budi", password, INDONESIAN)
        orang.sees_heading("Siapkan faktor kedua")
        orang.sees("Akun Anda memerlukan faktor kedua sebelum Anda dapat melanjutkan.")
        orang.look()
        orang.click(re.compile("^Aplikasi autentikator"), role="link")
        key = orang.page.locator("figure").get_by_role("code").inner_text()
        orang.fill("Kode", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
        orang.click("Verifikasi")
        words = ("Siapkan faktor kedua", "Kirim kode", "Kode", "Verifikasi")
        orang.confirm_account_email(words=words)  # the first factor: mfa.binding
        orang.fill("Kode", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
        orang.click("Verifikasi")
        orang.sees("Aplikasi authenticator Anda aktif.")
        orang.click("Kembali ke halaman penyiapan", role="link")
        orang.sees_heading("Faktor kedua Anda sudah terpasang")
        orang.look()
        orang.click("Lanjutkan")
        orang.sees_heading("Selamat datang, Budi")
    assert Reminder.objects.filter(user=budi, kind=Reminder.Kind.LATER).count() == 2
