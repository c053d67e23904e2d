"""Password + SMS code, the code read from the file gateway as from the phone (seeds/001)."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.person import Person


class Phone:
    """The phone that receives the portal's SMS: mfa.sms.gateways.console.FileGateway's folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def code(self, count: int) -> str:
        messages = sorted(self.folder.glob("*.json"))
        assert len(messages) >= count, f"expected {count} SMS, got {len(messages)}"
        text = json.loads(messages[count - 1].read_text())["text"]
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        return match.group(1)


@pytest.fixture
def phone(settings, tmp_path) -> Phone:
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.FileGateway"
    settings.SMS_FILE_DIR = str(tmp_path / "sms")
    return Phone(tmp_path / "sms")


def test_sms_codes_on_settings_and_at_sign_in(person: Person, phone: Phone, user, password):
    person.sign_in_with_password("ani", password)
    person.open_security_settings("SMS")
    person.sees("No phone number is set.")
    person.fill("Mobile number", "0812 3456 7890")
    person.look(shot="15-sms-setup", phone=True)
    person.click("Add number")
    person.confirm_account_email()  # the first factor after a password-only sign-in
    person.fill("Mobile number", "0812 3456 7890")
    person.click("Add number")
    person.sees("We sent a code to the new number. Type it below to confirm.")
    person.fill("Code", phone.code(1))
    person.click("Verify")
    person.sees(re.compile("Codes go by SMS to"))
    person.look()
    person.sign_out()

    person.page.context.clear_cookies()
    person.sign_in_with_password("ani", password)
    person.is_sent_a_code("SMS")  # the only factor: sent with the password (seeds/001)
    expect(person.page.get_by_role("timer")).to_contain_text(re.compile(r"expires in [45]:\d\d"))
    person.validate(phone.code(2), shot="16-sms-code")
    person.confirm_and_continue(trust=False)
    person.is_home("Ani")
