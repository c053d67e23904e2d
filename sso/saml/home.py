"""The SAML applications a user can open from Home, beside the OpenID Connect ones."""

from django.urls import reverse

from sso.saml.models import ServiceProvider


def applications_for(user) -> list[dict]:
    """Listed, active service providers by name: ``name``, ``url`` and ``logo_url``.

    ``url`` is the app's own home page when the admin gave one (the app then asks the portal,
    SP-initiated), else the portal's IdP-initiated sign-in to the app.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    providers = (
        ServiceProvider.objects.filter(is_listed=True, is_active=True)
        .only("pk", "name", "launch_url")
        .order_by("name")
    )
    return [
        {
            "name": sp.name,
            "url": sp.launch_url or reverse("saml:launch", kwargs={"pk": sp.pk}),
            "logo_url": "",
        }
        for sp in providers
    ]
