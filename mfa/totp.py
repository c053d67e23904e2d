"""The authenticator app (RFC 6238) on django-otp's TOTPDevice.

django-otp does the maths, the ±1 step tolerance (OTP_TOTP_TOLERANCE), the replay guard
(``last_t``: an accepted code is never accepted again) and the throttling. ``check`` loads the
device ``select_for_update`` inside a transaction as ``django_otp.verify_token`` does, but
tells a throttled try (raises ``accounts.attempts.Throttled``) from a wrong code, and keeps the
window on the server's clock: drift following is off (OTP_TOTP_SYNC = False) and a drift stored
earlier is dropped, so a phone with the right time always works (RFC 6238 §6 allows a resync
window; following each accepted code's offset let two fast codes move the window off true
time for good).

The maths is django-otp's (``django_otp.oath.TOTP``); what ``verify_token`` would then save is
written by an UPDATE of the replay guard and throttle columns alone, built once per process
(``_updates``): ``Model.save`` rewrites every column and builds its statement each time (about
1 ms of CPU per code). The accepting UPDATE also requires ``last_t`` below the step it writes,
so a code is single-use even for a writer that did not take the row lock. At sign-in the
user's authenticator is found and locked by a SELECT ... FOR UPDATE compiled once per process
too (``_locked_read``): the ORM took about 1 ms of CPU to build it at each code.
"""

import time
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import inserts, lockout
from accounts.attempts import SuccessRecord, Throttled
from accounts.models import User
from sso.compiled_sql import CompiledSelect, compile_select


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
    devices = TOTPDevice.objects.select_for_update().filter(pk=device.pk)
    return bool(_check_locked(devices.first, token))


def check_confirmed(user: User, token: str, success: SuccessRecord | None = None) -> bool | None:
    """``check`` of the user's authenticator; None when the user has none. Raises
    ``accounts.attempts.Throttled`` as ``check`` does.

    The device is read without a lock and its one write is made only if the row's throttle
    and replay guard are still as read (one conditional UPDATE: no transaction, no row lock,
    two round trips fewer). When a parallel attempt changed them meanwhile, the check is made
    again under the row lock, as ``check`` makes it: the outcome is always one that the
    attempts taken one after the other would give. ``success`` (the audit event of the
    ``check_secret`` running this check, accounts.attempts) is written in the statement that
    accepts the code, on PostgreSQL, only if that write is made; ``success.written`` says so.
    """
    read = _locked_read(connection.vendor, locked=False)
    if read is None:
        return _check_locked(lambda: _confirmed_locked(user), token)
    # Read with the account's lock just before (fresh_with_device), else now.
    device = user.__dict__.pop(_READ_WITH_LOCK, None) or _device_of(user, read)
    if device is None:
        return None
    wait = _throttle_wait(device)
    if wait:
        raise Throttled(wait)
    verified = _verify(device, token, unchanged=True, success=success)
    if verified is None:  # the row changed since the read
        return _check_locked(lambda: _confirmed_locked(user), token)
    return verified


# Stands for the user's id in the statement compiled once; never a real id.
_USER_ID = -2_026_120_104
# Where fresh_with_device leaves the authenticator it read, for check_confirmed (this request).
_READ_WITH_LOCK = "_mfa_totp_read_with_lock"


@cache
def _lock_and_device_sql(vendor: str) -> str | None:
    """The account's lock, hash and active flag (``accounts.lockout.fresh``'s columns) and its
    first confirmed authenticator's columns (those of ``_locked_read``), in one statement;
    None where the device is not read by a compiled statement (the ORM builds each read)."""
    read = _locked_read(vendor, locked=False)
    if read is None or vendor != "postgresql":
        return None
    quote = connection.ops.quote_name
    users, devices = User._meta, TOTPDevice._meta
    user_columns = ", ".join(
        f"u.{quote(users.get_field(name).column)}"
        for name in ("locked_until", "password", "is_active")
    )
    device_columns = ", ".join(f"d.{quote(devices.get_field(a).column)}" for a in read.columns)
    column = {f.name: quote(f.column) for f in devices.concrete_fields}
    # Names from the models' metadata, quoted; the id is a parameter.
    return (
        f"SELECT {user_columns}, {device_columns} FROM {quote(users.db_table)} u "  # noqa: S608
        f"LEFT JOIN LATERAL (SELECT * FROM {quote(devices.db_table)} "
        f"WHERE {column['user']} = u.{quote(users.pk.column)} AND {column['confirmed']} "
        f"ORDER BY {column['id']} LIMIT 1) d ON TRUE "
        f"WHERE u.{quote(users.pk.column)} = %s"
    )


def fresh_with_device(user: User | None) -> User | None:
    """``accounts.lockout.fresh`` (the lock, hash and active flag read again once the answer is
    reserved) that also reads the user's confirmed authenticator for ``check_confirmed``, in the
    same statement. Returns ``user`` (None stays None)."""
    sql = _lock_and_device_sql(connection.vendor)
    if user is None or sql is None:
        return lockout.fresh(user)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        row = cursor.fetchone()
    if row is None:  # the account was deleted meanwhile, as lockout.fresh reads it
        return lockout.read_as_deleted(user)
    user.locked_until, user.password, user.is_active = row[:3]
    read = _locked_read(connection.vendor, locked=False)
    if row[3] is not None:  # the device's id: it has one
        device = TOTPDevice.from_db(connection.alias, read.columns, row[3:])
        device.user = user
        user.__dict__[_READ_WITH_LOCK] = device
    return user


@cache
def _locked_read(vendor: str, locked: bool = True) -> CompiledSelect | None:
    """The user's confirmed authenticator (``SELECT ... FOR UPDATE`` when ``locked``) as the
    ORM writes it, compiled once for this database (sso.compiled_sql); None when it cannot be
    kept: the ORM then builds it each time."""
    columns = tuple(field.attname for field in TOTPDevice._meta.concrete_fields)
    devices = TOTPDevice.objects.filter(user_id=_USER_ID, confirmed=True)
    if locked:
        devices = devices.select_for_update()
    return compile_select(devices.order_by("pk").values_list(*columns)[:1], _USER_ID)


def _device_of(user: User, read: CompiledSelect) -> TOTPDevice | None:
    row = read.row(user.pk)
    if row is None:
        return None
    device = TOTPDevice.from_db(connection.alias, read.columns, row)
    device.user = user  # as through the related manager: verifying does not load it again
    return device


def _confirmed_locked(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, its row locked until the transaction ends."""
    read = _locked_read(connection.vendor)
    if read is None:
        return user.totpdevice_set.filter(confirmed=True).select_for_update().first()
    return _device_of(user, read)


def _check_locked(lock: Callable[[], TOTPDevice | None], token: str) -> bool | None:
    """Verifies ``token`` against the device ``lock`` reads under ``select_for_update``;
    None when it reads none."""
    with transaction.atomic():
        # The row holds django-otp's replay guard (last_t) and throttle: locked until commit.
        locked = lock()
        if locked is None:
            return None
        wait = _throttle_wait(locked)
        if wait:
            raise Throttled(wait)
        return _verify(locked, token)


def _matching_step(device: TOTPDevice, token: str) -> int | None:
    """The time step ``token`` is the code of, within the server's step ± the device's
    tolerance and after ``last_t``; None when it is none (django-otp's ``verify_token`` maths,
    with drift 0: the window stays on the server's clock)."""
    try:
        code = int(token)
    except (TypeError, ValueError):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time()
    if totp.verify(code, device.tolerance, device.last_t + 1):
        return totp.t()
    return None


@dataclass(frozen=True)
class _Updates:
    """The two writes of a check, as SQL built once per database vendor."""

    # last_t, drift 0 (one stored earlier is dropped), throttle reset, last_used_at; only while
    # last_t is below the step
    accept: str
    fail: str  # django-otp's throttle_increment
    # Either, only while the throttle and replay guard are as read (check_confirmed's read
    # without a lock): a failure or success in between changes the count or the time stamp.
    unchanged: str


@cache
def _updates(vendor: str) -> _Updates:
    quote = connection.ops.quote_name
    table = quote(TOTPDevice._meta.db_table)
    column = {f.name: quote(f.column) for f in TOTPDevice._meta.concrete_fields}
    key = column["id"]
    count, stamp = column["throttling_failure_count"], column["throttling_failure_timestamp"]
    # Names from the model's metadata, quoted; every value is a parameter.
    accept = (
        f"UPDATE {table} SET {column['last_t']} = %s, {column['drift']} = 0, {count} = 0, "  # noqa: S608
        f"{stamp} = NULL, {column['last_used_at']} = %s "
        f"WHERE {key} = %s AND {column['last_t']} < %s"
    )
    fail = f"UPDATE {table} SET {count} = {count} + 1, {stamp} = %s WHERE {key} = %s"  # noqa: S608
    unchanged = f" AND {column['last_t']} = %s AND {count} = %s AND {stamp} IS NOT DISTINCT FROM %s"
    return _Updates(accept, fail, unchanged)


def _verify(
    device: TOTPDevice, token: str, unchanged: bool = False, success: SuccessRecord | None = None
) -> bool | None:
    """What ``TOTPDevice.verify_token`` does once the throttle let the try through: a right
    code moves ``last_t`` to its step and resets the throttle, anything else counts one more
    failure in it. Returns whether the code was accepted; with ``unchanged``, each write is
    made only while the row's ``last_t`` and throttle are those of ``device`` (read without a
    lock), and None when they are not (nothing written)."""
    step = _matching_step(device, token)
    now = timezone.now()
    stamp = TOTPDevice._meta.get_field("last_used_at").get_db_prep_save(now, connection)
    updates = _updates(connection.vendor)
    guard, guard_params = "", []
    if unchanged:
        failed_at = TOTPDevice._meta.get_field("throttling_failure_timestamp").get_db_prep_save(
            device.throttling_failure_timestamp, connection
        )
        guard = updates.unchanged
        guard_params = [device.last_t, device.throttling_failure_count, failed_at]
    with connection.cursor() as cursor:
        if step is not None:
            accept, params = updates.accept + guard, [step, stamp, device.pk, step, *guard_params]
            if success is not None and unchanged and connection.vendor == "postgresql":
                # The attempt's success event goes with the write that accepts the code, and
                # only if that write is made (the guard held): one statement, one commit.
                insert, insert_params = inserts.insert_if(
                    success.make(), "EXISTS (SELECT 1 FROM accepted)"
                )
                # SQL built from the models' metadata; every value is a parameter.
                statement = (
                    f"WITH accepted AS ({accept} RETURNING 1), recorded AS ({insert}) "  # noqa: S608
                    "SELECT count(*) FROM accepted"
                )
                cursor.execute(statement, [*params, *insert_params])
                accepted = cursor.fetchone()[0] == 1
                success.written = accepted
            else:
                cursor.execute(accept, params)
                accepted = cursor.rowcount == 1
            if accepted:
                device.last_t, device.last_used_at, device.drift = step, now, 0
                device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
                return True
            if unchanged:
                return None  # used meanwhile, or the throttle moved: checked again under lock
        cursor.execute(updates.fail + guard, [stamp, device.pk, *guard_params])
        if unchanged and cursor.rowcount != 1:
            return None
    device.throttling_failure_count += 1
    device.throttling_failure_timestamp = now
    return False


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
