"""Development gateways: the message goes to the log (``make run``) or to a folder (e2e tests).

Both show the code in clear: never configure them in production.
"""

import json
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings

from mfa.sms import conf
from mfa.sms.gateways.base import PermanentGatewayError, Receipt, SmsGateway, SmsMessage

logger = logging.getLogger("mfa.sms.console")


class ConsoleGateway(SmsGateway):
    def send(self, message: SmsMessage) -> Receipt:
        logger.info("SMS to %s: %s", message.to, message.text)
        return Receipt(answer="written to the log")


class FileGateway(SmsGateway):
    """One JSON file per message (``to``, ``text``, ``reference``) in ``SMS_FILE_DIR``.

    Written to a temporary name and renamed, so a reader never sees half a message.
    """

    def send(self, message: SmsMessage) -> Receipt:
        folder = Path(conf.get("SMS_FILE_DIR"))
        if not folder.is_absolute():
            folder = Path(settings.BASE_DIR) / folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            body = {"to": message.to, "text": message.text, "reference": message.reference}
            name = f"{time.time_ns()}-{message.reference or 'sms'}.json"
            with tempfile.NamedTemporaryFile(
                "w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8"
            ) as handle:
                json.dump(body, handle, ensure_ascii=False)
            os.replace(handle.name, folder / name)
        except OSError as exc:
            raise PermanentGatewayError(f"cannot write to the SMS folder: {exc.strerror}") from exc
        return Receipt(answer=f"written to {name}")
