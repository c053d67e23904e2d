"""Django admin for provisioning clients: the bearer token is shown once, when it is issued."""

import ipaddress

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.provisioning.models import ProvisioningClient
from accounts.provisioning.tokens import issue_token


class ProvisioningClientForm(forms.ModelForm):
    class Meta:
        model = ProvisioningClient
        fields = (
            "name",
            "is_active",
            "token_expires_at",
            "allowed_networks",
            "requests_per_minute",
            "trusted_for_email",
            "send_invitations",
        )

    def clean_allowed_networks(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["allowed_networks"].splitlines()]
        for line in filter(None, lines):
            try:
                ipaddress.ip_network(line, strict=False)
            except ValueError:
                raise forms.ValidationError(
                    _("%(value)s is not an IP address or network."), params={"value": line}
                ) from None
        return "\n".join(filter(None, lines))


def _show_token(request: HttpRequest, client: ProvisioningClient, token: str) -> None:
    messages.warning(
        request,
        _("New token for %(name)s: %(token)s — copy it now, it will not be shown again.")
        % {"name": client.name, "token": token},
    )


@admin.register(ProvisioningClient)
class ProvisioningClientAdmin(admin.ModelAdmin):
    form = ProvisioningClientForm
    list_display = (
        "name",
        "is_active",
        "token_hint",
        "token_expires_at",
        "trusted_for_email",
        "last_used_at",
    )
    list_filter = ("is_active", "trusted_for_email")
    search_fields = ("name",)
    readonly_fields = ("token_hint", "created_at", "last_used_at")
    actions = ["issue_new_tokens"]

    def save_model(
        self, request: HttpRequest, obj: ProvisioningClient, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _show_token(request, obj, issue_token(obj))
        audit.record(
            request,
            audit.ADMIN_ACTION,
            actor=request.user,
            method="provisioning_client.change" if change else "provisioning_client.add",
            client=obj.name,
        )

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_new_tokens(
        self, request: HttpRequest, queryset: QuerySet[ProvisioningClient]
    ) -> None:
        clients = list(queryset)
        for client in clients:
            _show_token(request, client, issue_token(client))
            audit.record(
                request,
                audit.ADMIN_ACTION,
                actor=request.user,
                method="provisioning_client.token",
                client=client.name,
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d client has a new token.",
                "%(count)d clients have a new token.",
                len(clients),
            )
            % {"count": len(clients)},
            messages.SUCCESS,
        )
