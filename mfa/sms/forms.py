"""Forms of the SMS tab."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mfa.sms import phone


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        # Longer input is refused by phone.parse with a clear message, not cut by the browser.
        max_length=200,
        help_text=_("For example 0812 3456 7890 or +62 812 3456 7890."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_number(self) -> str:
        try:
            return phone.parse(self.cleaned_data["number"]).e164
        except phone.InvalidNumber as exc:
            raise forms.ValidationError(str(exc), code="invalid_number") from exc
