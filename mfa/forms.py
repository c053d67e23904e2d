"""Forms of the challenge and Security Settings pages."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

SIX_DIGITS = RegexValidator(r"^[0-9]{6}$", _("Enter the 6-digit code."), code="code_format")


class CodeField(forms.CharField):
    """A 6-digit code; spaces people copy along are dropped before checking."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Code"))
        super().__init__(max_length=64, validators=[SIX_DIGITS], **kwargs)
        self.widget.attrs.update(
            {
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "maxlength": "7",
                "autofocus": True,
            }
        )

    def to_python(self, value: object) -> str:
        return "".join(str(super().to_python(value)).split())


class CodeForm(forms.Form):
    code = CodeField()


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "autofocus": True}
        ),
    )


class TrustForm(forms.Form):
    remember = forms.BooleanField(label=_("Trust this device"), required=False, initial=True)


class EmailAddressForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PasswordOrCodeForm(forms.Form):
    """Removing the authenticator asks for the password or a current code."""

    secret = forms.CharField(
        label=_("Your password or a current code from the app"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
