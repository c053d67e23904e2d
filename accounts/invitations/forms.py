"""The accept page's form: Django's SetPasswordForm (its validators, two fields that match)."""

from django.contrib.auth.forms import SetPasswordForm


class AcceptInvitationForm(SetPasswordForm):
    """Choose a first password for the invited account."""

    def __init__(self, user, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].widget.attrs["autofocus"] = True
