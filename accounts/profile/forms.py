"""Forms of the Profile tab."""

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    # Required here (the column may be blank: not chosen yet); shows the page's language until
    # the person chooses.
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        help_text=_("The portal's pages after you sign in, and the mails it sends you."),
    )

    class Meta:
        model = User
        fields = ("full_name", "preferred_language")
        widgets = {"full_name": forms.TextInput(attrs={"autocomplete": "name"})}

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not self.instance.preferred_language:
            self.initial["preferred_language"] = translation.get_language()


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
