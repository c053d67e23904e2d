"""SAML service providers in Django admin: registered from a metadata URL or uploaded XML."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from sso.saml import sp_metadata
from sso.saml.models import SamlSession, ServiceProvider


class ServiceProviderForm(forms.ModelForm):
    metadata_url = forms.URLField(
        label=_("metadata URL"),
        required=False,
        assume_scheme="https",
        help_text=ServiceProvider._meta.get_field("metadata_url").help_text,
    )
    launch_url = forms.URLField(
        label=_("home page URL"),
        required=False,
        assume_scheme="https",
        help_text=ServiceProvider._meta.get_field("launch_url").help_text,
    )
    metadata_file = forms.FileField(
        label=_("metadata file"), required=False, help_text=_("Or upload the metadata XML.")
    )
    released_attributes = forms.MultipleChoiceField(
        label=_("released attributes"),
        choices=ServiceProvider.Attribute.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ServiceProvider
        fields = (
            "name",
            "metadata_url",
            "metadata_xml",
            "name_id_format",
            "released_attributes",
            "mfa_required",
            "require_signed_requests",
            "encrypt_assertions",
            "launch_url",
            "is_listed",
            "is_active",
        )
        widgets = {"metadata_xml": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metadata_xml"].required = False

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("metadata_file")
        xml = cleaned.get("metadata_xml") or ""
        try:
            if upload:
                if upload.size > sp_metadata.MAX_METADATA_BYTES:
                    raise sp_metadata.MetadataError("the metadata is too large")
                xml = upload.read().decode("utf-8", errors="replace")
            elif cleaned.get("metadata_url") and ("metadata_url" in self.changed_data or not xml):
                xml = sp_metadata.fetch(cleaned["metadata_url"])
            if not xml:
                raise forms.ValidationError(
                    _("Give the metadata URL, upload the metadata file or paste its XML.")
                )
            self.sp = sp_metadata.read(xml)
        except sp_metadata.MetadataError as exc:
            raise forms.ValidationError(
                _("The metadata cannot be used: %(reason)s."), params={"reason": exc}
            ) from exc
        if self.sp.encryption_certs == () and cleaned.get("encrypt_assertions"):
            self.add_error(
                "encrypt_assertions", _("The metadata has no certificate to encrypt with.")
            )
        others = ServiceProvider.objects.filter(entity_id=self.sp.entity_id)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A service provider with this entity ID exists."))
        cleaned["metadata_xml"] = xml
        self.instance.entity_id = self.sp.entity_id
        return cleaned


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    form = ServiceProviderForm
    list_display = ("name", "entity_id", "name_id_format", "mfa_required", "is_active")
    list_filter = ("is_active", "mfa_required", "name_id_format")
    search_fields = ("name", "entity_id")
    readonly_fields = ("entity_id", "acs_urls", "logout_urls", "certificates", "updated")
    fieldsets = (
        (None, {"fields": ("name", "launch_url", "is_listed", "is_active")}),
        (
            _("Metadata"),
            {
                "fields": (
                    "metadata_url",
                    "metadata_file",
                    "metadata_xml",
                    "entity_id",
                    "acs_urls",
                    "logout_urls",
                    "certificates",
                    "updated",
                )
            },
        ),
        (
            _("What the application gets"),
            {
                "fields": (
                    "name_id_format",
                    "released_attributes",
                    "mfa_required",
                    "require_signed_requests",
                    "encrypt_assertions",
                )
            },
        ),
    )

    def _metadata(self, obj: ServiceProvider | None) -> sp_metadata.SpMetadata | None:
        if obj is None or not obj.metadata_xml:
            return None
        try:
            return sp_metadata.read(obj.metadata_xml)
        except sp_metadata.MetadataError:
            return None

    @admin.display(description=_("ACS URLs"))
    def acs_urls(self, obj: ServiceProvider | None) -> str:
        md = self._metadata(obj)
        return format_html_join("", "<div>{}</div>", ((u,) for u in md.acs_urls)) if md else "-"

    @admin.display(description=_("Single Logout URLs"))
    def logout_urls(self, obj: ServiceProvider | None) -> str:
        md = self._metadata(obj)
        return format_html_join("", "<div>{}</div>", ((u,) for u in md.slo_urls)) if md else "-"

    @admin.display(description=_("certificates"))
    def certificates(self, obj: ServiceProvider | None) -> str:
        md = self._metadata(obj)
        if md is None:
            return "-"
        rows = [(_("signing"), c[:24] + "…") for c in md.signing_certs]
        rows += [(_("encryption"), c[:24] + "…") for c in md.encryption_certs]
        return format_html_join("", "<div>{}: <code>{}</code></div>", rows) or "-"


@admin.register(SamlSession)
class SamlSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "service_provider", "authn_context", "created", "ended")
    list_filter = ("service_provider", "authn_context")
    search_fields = ("user__username",)
    readonly_fields = [field.name for field in SamlSession._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
