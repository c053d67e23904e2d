"""Relying applications and the sign-in context behind each authorization."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication


class Application(AbstractApplication):
    """A relying application, registered by an admin in Django admin.

    Swapped in for DOT's own model (``OAUTH2_PROVIDER_APPLICATION_MODEL``) to carry what the
    portal shows and needs: where Home sends the user, a logo, and a back-channel logout URI.
    """

    # DOT's `skip_authorization`, named for what it means here (the "skip consent").
    skip_authorization = models.BooleanField(
        _("skip consent (first-party application)"),
        default=False,
        help_text=_("Users are not asked to allow this application to see their data."),
    )
    algorithm = models.CharField(
        _("ID token signing algorithm"),
        max_length=5,
        choices=AbstractApplication.ALGORITHM_TYPES,
        default=AbstractApplication.RS256_ALGORITHM,
        blank=True,
    )
    launch_url = models.URLField(
        _("home page URL"),
        blank=True,
        help_text=_(
            "Where the portal's Home sends users to open the application. Empty: not listed."
        ),
    )
    logo_url = models.URLField(_("logo URL"), blank=True)
    backchannel_logout_uri = models.URLField(
        _("back-channel logout URI"),
        blank=True,
        help_text=_(
            "OpenID Connect Back-Channel Logout: the portal posts a logout token here when the "
            "user's portal session ends."
        ),
    )
    is_listed = models.BooleanField(
        _("listed on Home"),
        default=True,
        help_text=_("Show the application on the users' Home page (when it has a home page URL)."),
    )

    class Meta:
        verbose_name = _("relying application")
        verbose_name_plural = _("relying applications")

    def __str__(self) -> str:
        return self.name or self.client_id

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Whether ``uri`` is one of the registered redirect URIs, compared as strings.

        OpenID Connect Core §3.1.2.1: "Simple String Comparison" (RFC 3986 §6.2.1), so
        ``https://RP.example/cb`` is not ``https://rp.example/cb``; DOT's own check (loopback
        ports, case-insensitive host) comes on top, never instead.
        """
        return uri in self.redirect_uris.split() and super().redirect_uri_allowed(uri)

    def post_logout_redirect_uri_allowed(self, uri: str) -> bool:
        """The same exact comparison for RP-initiated logout (its §3)."""
        return uri in self.post_logout_redirect_uris.split() and (
            super().post_logout_redirect_uri_allowed(uri)
        )


class SignInContext(models.Model):
    """How and when the user signed in, for one authorization code given to one application.

    The ID token is made at the token endpoint, which has no browser session; this row carries
    the session's ``amr``/``acr``/``auth_time`` and session id (``sid``) from the authorize step
    to the code exchange, then to every refresh of the same token family (OpenID Connect Core
    §12.2: a refreshed ID token keeps the original ``auth_time``, ``amr`` and ``acr``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE
    )
    # A random id of the portal session (not its key), shared by every app it signed in to.
    sid = models.CharField(max_length=64, db_index=True)
    # The issuer the app saw in its ID token (kept for the back-channel logout token).
    issuer = models.CharField(max_length=255)
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=100)
    auth_time = models.DateTimeField()
    # SHA-256 of the authorization code: finds the context at the code exchange, and finds the
    # tokens to revoke when a code is used twice (RFC 6749 §4.1.2).
    code_hash = models.CharField(max_length=64, unique=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    # When the portal session ended (sign-out, RP-initiated logout); back-channel logout sent.
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in context")
        verbose_name_plural = _("sign-in contexts")

    def __str__(self) -> str:
        return f"{self.user} → {self.application} ({self.acr})"
