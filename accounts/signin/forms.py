"""Forms of the sign-in pages. Django's CharField already refuses NUL bytes."""

from django import forms
from django.utils.translation import gettext_lazy as _


class UsernameForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )


class PasswordForm(forms.Form):
    # The length limit matches the password policy's maximum: longer cannot be right, and an
    # unbounded field would let anyone make the server hash megabytes.
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class LocationForm(forms.Form):
    """A coarse position the browser may share at sign-in, with consent (policy off by default)."""

    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, decimal_places=6)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, decimal_places=6)
