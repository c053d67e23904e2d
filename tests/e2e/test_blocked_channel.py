"""A blocked channel looks blocked: after the last allowed send, "Send a new code" is disabled
with the time it opens again, the picker marks the method unavailable until then, and someone
with no other method is told what they can do."""

import re

from playwright.sync_api import expect

from mfa.models import EmailDevice
from tests.e2e.person import Person


def test_after_the_last_send_the_page_and_the_picker_say_until_when(
    person: Person, user, password, settings
):
    settings.MFA_CODE_RESEND_SECONDS = 0  # no cooldown between the sends of this test
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    person.sign_in_with_password("ani", password)
    person.is_sent_a_code("Email")  # the only factor: sent with the password (send 1)
    page = person.page
    for _ in range(3):  # sends 2 and 3, then the one refused
        page.get_by_role("button", name="Send a new code").click()
    expect(
        page.get_by_text(re.compile(r"Too many codes were sent\. From .+ you can ask"))
    ).to_be_visible()
    # Only e-mail and no recovery codes: nothing else to choose, so say who can help.
    person.sees("If you cannot wait, contact your administrator or helpdesk")
    expect(page.get_by_text("or choose another method", exact=False)).to_have_count(0)
    resend = page.get_by_role("button", name=re.compile(r"^Send a new code in 1[45]:\d\d$"))
    expect(resend).to_be_disabled()
    person.look("33-email-code-blocked", phone=True)

    page.get_by_role("link", name="Choose another method").click()
    person.sees_heading("Verify it's you")
    email = page.get_by_role("button", name=re.compile("^Email"))
    expect(email).to_be_disabled()
    expect(email).to_contain_text(
        re.compile(r"Unavailable: too many codes were sent\. Available again in 1[45]:\d\d\.")
    )
    person.look("34-picker-method-blocked")
