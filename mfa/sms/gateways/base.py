"""The contract every SMS gateway keeps.

``send`` hands one message over and returns a ``Receipt`` when the gateway took it, or raises:

- ``TemporaryGatewayError`` when trying again later may work (a timeout, a refused connection,
  a 5xx): the delivery task retries with exponential backoff;
- ``PermanentGatewayError`` when it will not (a 4xx, a refused number, bad configuration): the
  send is marked failed and the user is told.

``answer`` (on both) is what the provider said, for the delivery record; it must never hold a
gateway secret (an API key, a password), and the caller blanks out the code.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, e.g. +6281234567890
    text: str
    reference: str = ""  # stable per send (challenge and generation)


@dataclass(frozen=True)
class Receipt:
    status: int | None = None  # an HTTP status or an exit code, when there is one
    answer: str = ""


class GatewayError(Exception):
    retryable = False

    def __init__(self, answer: str, status: int | None = None) -> None:
        super().__init__(answer)
        self.answer = answer
        self.status = status


class TemporaryGatewayError(GatewayError):
    retryable = True


class PermanentGatewayError(GatewayError):
    retryable = False


class SmsGateway(ABC):
    """One way out for SMS. Subclasses read their options from ``mfa.sms.conf``."""

    @abstractmethod
    def send(self, message: SmsMessage) -> Receipt:
        """Hands ``message`` to the gateway; raises a ``GatewayError`` when it was not taken."""
