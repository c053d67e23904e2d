"""The authenticator app (RFC 6238) on django-otp's TOTPDevice.

django-otp does the maths, the ±1 step tolerance (OTP_TOTP_TOLERANCE), the replay guard
(``last_t``: an accepted code is never accepted again) and the throttling. ``check`` loads the
device ``select_for_update`` inside a transaction as ``django_otp.verify_token`` does, but
tells a throttled try (raises ``accounts.attempts.Throttled``) from a wrong code, and keeps the
window on the server's clock: drift following is off (OTP_TOTP_SYNC = False) and a drift stored
earlier is dropped, so a phone with the right time always works (RFC 6238 §6 allows a resync
window; following each accepted code's offset let two fast codes move the window off true
time for good).
"""

from base64 import b32encode

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.attempts import Throttled
from accounts.models import User


def confirmed_devices() -> QuerySet[TOTPDevice]:
    return TOTPDevice.objects.filter(confirmed=True)


def confirmed_device(user: User) -> TOTPDevice | None:
    """The user's authenticator; through the related manager, so ``device.user`` is ``user``
    itself and verifying does not load the user again."""
    return user.totpdevice_set.filter(confirmed=True).first()


def setup_device(user: User) -> TOTPDevice:
    """The unconfirmed device whose QR the Authenticator tab shows (made once, reused)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG (no external image, no data URI needed)."""
    # Imported here: qrcode loads Pillow and lxml, which only the set-up page needs, not every
    # sign-in that checks a code.
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def readable_key(device: TOTPDevice) -> str:
    """The base32 key in groups of four, for typing into the app by hand."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def check(device: TOTPDevice, token: str) -> bool:
    """True when ``token`` is a current code of ``device`` not used before; the row is locked
    while checking, a wrong code starts django-otp's throttle. Raises
    ``accounts.attempts.Throttled`` (nothing counted) while that throttle is on."""
    return bool(_check_locked(TOTPDevice.objects.filter(pk=device.pk), token))


def check_confirmed(user: User, token: str) -> bool | None:
    """``check`` of the user's authenticator, found and locked in one read; None when the user
    has none."""
    return _check_locked(user.totpdevice_set.filter(confirmed=True), token)


def _check_locked(devices: QuerySet[TOTPDevice], token: str) -> bool | None:
    with transaction.atomic():
        # The row holds django-otp's replay guard (last_t) and throttle: locked until commit.
        locked = devices.select_for_update().first()
        if locked is None:
            return None
        wait = _throttle_wait(locked)
        if wait:
            raise Throttled(wait)
        locked.drift = 0  # bounded window: the server's step ± OTP_TOTP_TOLERANCE
        return bool(locked.verify_token(token))


def confirm(device: TOTPDevice, token: str) -> bool:
    """Turns the factor on once the user typed one valid code from their app."""
    if not check(device, token):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    return True


def _throttle_wait(device: TOTPDevice) -> int:
    """Seconds until django-otp lets the next try through, 0 when it does now."""
    allowed, details = device.verify_is_allowed()
    if allowed or not details:
        return 0
    locked_until = details.get("locked_until")
    return max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 1
