"""The registration form: username (the User model's rules), name, e-mail, password, terms."""

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.registration.flows import address_allowed


class SignupForm(forms.Form):
    """Checks format and policy only; whether a name or address is taken is never shown here
    (no enumeration: accounts.registration.flows)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only. Upper and lower case are the same."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        max_length=settings.ACCOUNTS_PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        max_length=settings.ACCOUNTS_PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if settings.ACCOUNTS_TERMS_URL:
            self.fields["terms"] = forms.BooleanField(
                label=_("I accept the terms of use"),
                help_text=format_html(
                    '<a href="{}" target="_blank" rel="noopener">{}</a>',
                    settings.ACCOUNTS_TERMS_URL,
                    _("Read the terms of use"),
                ),
                error_messages={"required": _("Accept the terms of use to create an account.")},
            )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not address_allowed(email):
            raise forms.ValidationError(
                _("Only addresses of %(domains)s may register here."),
                params={"domains": ", ".join(settings.ACCOUNTS_SIGNUP_DOMAINS)},
            )
        return email

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            probe = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                full_name=data.get("full_name", ""),
            )
            try:
                validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
