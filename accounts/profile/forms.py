"""Forms of the Profile tab."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("full_name",)
        widgets = {"full_name": forms.TextInput(attrs={"autocomplete": "name"})}


class DeleteAccountForm(forms.Form):
    """Typing the username confirms the deletion (nothing else can undo a slip of the mouse)."""

    username = forms.CharField(label=_("Type your username to confirm"), max_length=150)

    def __init__(self, user: User, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "none"}
        )

    def clean_username(self) -> str:
        from accounts.usernames import canonical_username

        typed = self.cleaned_data["username"]
        if canonical_username(typed) != canonical_username(self.user.get_username()):
            raise forms.ValidationError(_("That is not your username."))
        return typed
