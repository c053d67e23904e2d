"""The portal's user account."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import DatabaseError, IntegrityError, models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.signals import password_changed
from accounts.usernames import canonical_username


class AccountDeleted(Http404):
    """A change to an account was saved after its row was deleted (by an admin, SCIM or the
    bulk import) since the account was read. ``pk`` is the account's former id. Answered as
    a 404 wherever nothing answers it better: its own signed-in request is signed out
    (accounts.middleware)."""

    def __init__(self, pk: int) -> None:
        super().__init__("The account was deleted.")
        self.pk = pk


def deleted_meanwhile(user: "User", error: Exception) -> bool:
    """Whether ``error``, raised while writing for ``user``, came of ``user``'s row being
    deleted since it was read: a change to the account (``AccountDeleted`` of its id), or a
    new row referring to it (``IntegrityError``) with no account row left. False for any other
    error, and when that cannot be known (the error left a transaction failed)."""
    if isinstance(error, AccountDeleted):
        return error.pk == user.pk
    if not isinstance(error, IntegrityError):
        return False
    try:
        return not User.objects.filter(pk=user.pk).exists()
    except DatabaseError:
        return False


def raise_if_deleted(user: "User") -> None:
    """Raises ``AccountDeleted`` when ``user``'s row is gone; returns None while it is there.

    For a step that writes nothing of the account's own after a right secret (re-authentication
    keeps its proof in the session), where no failed write would tell that the account was
    deleted while the secret was checked against the row read before."""
    if not User.objects.filter(pk=user.pk).exists():
        raise AccountDeleted(user.pk)


class PortalUserManager(UserManager):
    """Finds accounts by the canonical form of the username (accounts.usernames)."""

    def get_by_natural_key(self, username: str) -> "User":
        """The account ``username`` names in any spelling; raises ``User.DoesNotExist``.

        Django's ModelBackend and ``createsuperuser`` look accounts up through this method.
        """
        return self.get(username_canonical=canonical_username(username))

    def find_by_username(self, username: str) -> "User | None":
        """The account ``username`` names in any spelling, or None."""
        return self.filter(username_canonical=canonical_username(username)).first()


class User(AbstractUser):
    """A person who signs in to the portal.

    One ``full_name`` replaces Django's first/last name pair: Indonesian names often have a
    single part, and the portal only ever shows the name whole.
    """

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    # canonical_username(username), kept by save(): the one form every lookup, the uniqueness
    # rule and every counter use. A text column: the folded form can be longer (ß → ss).
    username_canonical = models.TextField(_("canonical username"), unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    # Set when too many wrong passwords were tried (accounts.lockout); cleared by an admin's
    # Unlock or when it runs out. Kept here so admins can see and filter locked accounts.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Set by an admin ("require a new password"): the next sign-in leads to a password change.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Chosen on the Profile tab (or set by an import or SCIM); blank: not chosen, mails go out in
    # the language of the page that caused them (accounts.language).
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    objects = PortalUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("unlock_user", _("Can unlock accounts")),
            ("reset_mfa", _("Can reset second factors")),
            ("sign_out_user", _("Can sign users out everywhere")),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Django's ``save``; an existing account is only ever updated. Raises
        ``AccountDeleted`` when its row is gone."""
        # "Ani", "ANI" and full-width "ani" are one person (docs/security.md, usernames): the unique
        # column refuses a second account that reads the same, whoever creates it.
        self.username_canonical = canonical_username(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_canonical"}
        # A new password, whoever sets it (the portal's pages, Django admin, SCIM, manage.py
        # changepassword), is a password change (accounts.signals); Django's re-hash of an
        # outdated hash at sign-in is none (it clears _password before it saves).
        new_password = (
            self._password is not None
            and not self._state.adding
            and (update_fields is None or "password" in update_fields)
        )
        if not self._state.adding and self.pk is not None and not kwargs.get("force_insert"):
            # A row read before its deletion is not written anew: where the UPDATE finds no
            # row, Django's save INSERTs it (the account back, without the factors and
            # sessions that went with it) or, with update_fields, raises DatabaseError.
            kwargs["force_update"] = True
        try:
            super().save(*args, **kwargs)
        except DatabaseError as error:
            # Django's own, when the UPDATE by the primary key found no row: the row is gone
            # (a failed statement raises a subclass of DatabaseError).
            if not str(error).endswith("did not affect any rows."):
                raise
            raise AccountDeleted(self.pk) from None
        if new_password:
            password_changed.send(sender=type(self), user=self)

    def check_password(self, raw_password: str) -> bool:
        """Django's ``check_password``: whether ``raw_password`` matches the hash, which is
        re-made with the current hasher when it is outdated (``ACCOUNTS_ARGON2_*``).

        The re-made hash is written by an UPDATE of the row, not Django's
        ``save(update_fields=["password"])``: an account deleted while its password was being
        checked (the check takes tens of milliseconds) leaves no row, where Django's save
        raises ``DatabaseError`` (a 500). The hash is no new password: nothing is sent.
        """

        def upgrade(raw: str) -> None:
            self.set_password(raw)
            self._password = None
            type(self)._default_manager.filter(pk=self.pk).update(password=self.password)

        return check_password(raw_password, self.password, upgrade)

    def get_full_name(self) -> str:
        return self.full_name.strip() or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class AuditEvent(models.Model):
    """One security-relevant event (design.md "Audit trail"; seeds/002's location record).

    Append-only: the app only ever creates rows; admin shows them read-only; the retention task
    (``accounts.audit.prune``) is the one thing that deletes, in bulk, past the retention age.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        REFUSED = "refused", _("refused")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, db_index=True)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was typed, for failures on names that match no account.
    username = models.CharField(_("username"), max_length=150, blank=True)
    # Who did it, when not the user themselves (an admin or helpdesk member).
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(_("method"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, db_index=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    device = models.CharField(_("device"), max_length=100, blank=True)
    # A coarse position the browser shared with consent (policy ACCOUNTS_LOCATION_ENABLED).
    latitude = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    longitude = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.result}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("audit events are append-only")


class UserSession(models.Model):
    """A live portal session of a user ("Where you're signed in"), keyed by the session key."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    device = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.device or 'browser'} since {self.created_at:%Y-%m-%d %H:%M}"


class KnownDevice(models.Model):
    """A browser this account has signed in from; a new one triggers an alert mail."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    device_hash = models.CharField(max_length=64)
    device = models.CharField(max_length=100, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "device_hash"], name="accounts_known_device")
        ]

    def __str__(self) -> str:
        return f"{self.device or 'browser'} of {self.user_id}"


class SecurityQuestion(models.Model):
    """seeds/003's personal security question; off by default (NIST SP 800-63B §5.1.1.2 advises
    against knowledge-based answers: they are guessable and often public)."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="security_question"
    )
    question = models.CharField(_("question"), max_length=200)
    answer_hash = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.question


class AttemptCounter(models.Model):
    """A failure counter when the cache is not Redis (accounts.counters): one row per key,
    incremented under its row lock so that parallel attempts each see their own count."""

    key = models.CharField(max_length=200, unique=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} = {self.count}"


from accounts.invitations.models import Invitation  # noqa: E402,F401  (registers the model)
from accounts.registration.models import PendingSignup  # noqa: E402,F401  (registers the model)
