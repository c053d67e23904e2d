"""Admin forms of the rollout: a policy or an extension must make sense when it is saved."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mfa.rollout.models import Factor, GroupPolicy, Level, OverallPolicy
from mfa.rollout.policy import enabled_factors

ALLOW_FIELDS = ("allow_passkey", "allow_totp", "allow_email", "allow_sms")


class PolicyFormMixin:
    """A deadline newly set in the past and a required policy without a usable factor kind are
    refused with a message (a deadline that passes later is the plan working, not an error)."""

    def clean(self) -> dict:
        cleaned = super().clean()  # type: ignore[misc]
        deadline = cleaned.get("deadline")
        changed = "deadline" in self.changed_data  # type: ignore[attr-defined]
        if deadline and changed and deadline <= timezone.now():
            self.add_error(  # type: ignore[attr-defined]
                "deadline",
                _(
                    "This deadline is in the past. Choose a later one, or leave it empty to "
                    "require a second factor at the next sign-in."
                ),
            )
        levels = {cleaned.get("level"), cleaned.get("staff_level")}
        allowed = {f.value for f in Factor if cleaned.get(f"allow_{f.value}")}
        if Level.REQUIRED in levels and not allowed & set(enabled_factors()):
            raise forms.ValidationError(
                _("A required policy must allow at least one kind of factor that is turned on.")
            )
        return cleaned


class OverallPolicyForm(PolicyFormMixin, forms.ModelForm):
    class Meta:
        model = OverallPolicy
        fields = ("level", "deadline", "staff_level", *ALLOW_FIELDS)


class GroupPolicyForm(PolicyFormMixin, forms.ModelForm):
    class Meta:
        model = GroupPolicy
        fields = ("group", "level", "deadline", *ALLOW_FIELDS)


class ExtensionForm(forms.ModelForm):
    def clean_until(self):  # type: ignore[no-untyped-def]
        until = self.cleaned_data["until"]
        if until <= timezone.now():
            raise forms.ValidationError(_("An extension must end in the future."))
        return until
