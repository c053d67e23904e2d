"""Forms of the security question: setting it, and answering it at sign-in."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SecurityQuestionForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200)
    answer = forms.CharField(
        label=_("Answer"), max_length=200, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )


class SecurityAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
