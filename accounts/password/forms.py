"""Forms of the password pages."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.signin import flows


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class CountedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old password checked as a counted attempt (accounts.attempts):
    a session left open on a shared computer must not let anyone guess the password."""

    def __init__(self, user: User, *args: object, request: HttpRequest, **kwargs: object) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        result = flows.verify_password(self.request, self.user, old_password, "password_change")
        if result.user is None:
            if result.refusal is not None:
                raise ValidationError(flows.password_error(result), code=result.error)
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
