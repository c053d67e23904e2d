"""The admin, in Django admin, resets the second factors of a user who lost their phone."""

import re

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.person import Person


def test_admin_resets_a_users_mfa(person: Person, second_person: Person, make_user, password):
    make_user("admin", full_name="Admin", is_staff=True, is_superuser=True)
    ani = make_user("ani")
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)

    # Staff must have a second factor: the first sign-in sets one up (MFA_REQUIRED_FOR=staff).
    admin = person
    admin.sign_in_with_password("admin", password)
    admin.sees_heading("Set up a second factor")
    admin.look(shot="40-enrol-required", phone=True)
    admin.click(re.compile("^Authenticator app"), role="link")
    key = admin.page.locator("figure").get_by_role("code").inner_text()
    admin.fill("Code", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
    admin.click("Verify")
    admin.confirm_account_email()  # the first factor after a password-only sign-in
    admin.fill("Code", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
    admin.click("Verify")
    admin.sees("Your authenticator app is on.")

    admin.open_user_menu()
    admin.click("Administration", role="link")
    page = admin.page
    page.get_by_role("link", name="Users", exact=True).first.click()
    page.get_by_role("checkbox", name=re.compile(r"ani$")).check()
    page.get_by_label("Action:").select_option(
        label="Reset MFA (remove factors, recovery codes, trusted devices)"
    )
    page.screenshot(path=str(admin_shot("41-admin-reset-mfa")))
    page.get_by_role("button", name="Go").click()
    # Like Django's delete: first a page that lists the accounts and what goes.
    expect(page.get_by_role("heading", name="Reset MFA")).to_be_visible()
    expect(page.get_by_text("Reset the second factors of these accounts?")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="1 authenticator app").last).to_be_visible()
    assert TOTPDevice.objects.filter(user=ani).exists()  # nothing removed yet
    admin.look()
    page.screenshot(path=str(admin_shot("43-admin-reset-confirm")))
    page.get_by_role("button", name="Yes, I\u2019m sure").click()
    expect(page.get_by_text("MFA reset for 1 account.")).to_be_visible()
    page.screenshot(path=str(admin_shot("42-admin-reset-done")))

    # Ani signs in with the password alone and can set up a new phone.
    second_person.sign_in_with_password("ani", password)
    second_person.is_home("Ani")
    assert not TOTPDevice.objects.filter(user=ani).exists()


def admin_shot(name: str):
    from tests.e2e.person import IMG

    IMG.mkdir(parents=True, exist_ok=True)
    return IMG / f"{name}-1280.png"
