from django import forms
from django.utils.translation import gettext_lazy as _

from mfa.passkeys.models import Passkey

NAME_MAX_LENGTH = Passkey._meta.get_field("name").max_length


class DeviceNameForm(forms.Form):
    """The name a person gives a device, to recognise it in the list later."""

    name = forms.CharField(
        label=_("Device name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("For example: Work laptop, My phone."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
