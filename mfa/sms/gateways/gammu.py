"""Gammu SMSD (seeds/001: the SSO hands the token to an SMS gateway driving a GSM modem).

The message is injected with ``gammu-smsd-inject -c <smsdrc>``, which writes it to the outbox
of whatever backend that smsdrc names (the ``files`` outbox folder, or the SQL ``outbox``
table), where the running ``gammu-smsd`` picks it up. The text goes through standard input,
not the command line, so the code never shows in the process list.
"""

import re
import subprocess

from mfa.sms import conf
from mfa.sms.gateways.base import (
    PermanentGatewayError,
    Receipt,
    SmsGateway,
    SmsMessage,
    TemporaryGatewayError,
)

WRITTEN = re.compile(r"Written message with ID (.+)")


class GammuGateway(SmsGateway):
    def __init__(self) -> None:
        self.inject: str = conf.get("SMS_GAMMU_INJECT")
        self.smsdrc: str = conf.get("SMS_GAMMU_SMSDRC")
        self.timeout = float(conf.get("SMS_GAMMU_TIMEOUT"))

    def command(self, message: SmsMessage) -> list[str]:
        # -len: take the whole text (a long one goes as a multipart SMS); -unicode when it
        # holds characters outside the GSM 7-bit alphabet (approximated here by ASCII).
        command = [self.inject, "-c", self.smsdrc, "TEXT", message.to, "-len", "1000"]
        if not message.text.isascii():
            command.append("-unicode")
        return command

    def send(self, message: SmsMessage) -> Receipt:
        try:
            done = subprocess.run(  # noqa: S603 (a configured program, no shell)
                self.command(message),
                input=message.text,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise PermanentGatewayError(f"{self.inject} is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise TemporaryGatewayError(f"{self.inject} did not finish in time") from exc
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            # The outbox (a folder, a database) is local: a failure there is usually passing
            # (disk full, database restarting), so it is retried.
            raise TemporaryGatewayError(output, done.returncode)
        written = WRITTEN.search(done.stdout)
        return Receipt(0, written.group(0) if written else output)
