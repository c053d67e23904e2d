"""/scim/v2/ (RFC 7644 §3.2): the same map as django-scim2's ``django_scim.urls``, pointing at
the portal's views. The namespace stays ``scim``, which the library's reverse() calls use.

The views load django-scim2 and, through its settings, scim2-models and pydantic: imported at
their first request (sso/lazy_views.py), so a worker that serves no SCIM client does not hold
them."""

from django.urls import re_path

from sso.lazy_views import lazy_view

app_name = "scim"
LIBRARY = "django_scim.views"
PORTAL = "accounts.provisioning.views"

urlpatterns = [
    re_path(r"^$", lazy_view(f"{LIBRARY}.SCIMView", implemented=False), name="root"),
    re_path(r"^\.search$", lazy_view(f"{LIBRARY}.SearchView", implemented=False), name="search"),
    re_path(r"^Users/\.search$", lazy_view(f"{PORTAL}.UserSearchView"), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?$", lazy_view(f"{PORTAL}.UsersView"), name="users"),
    re_path(r"^Groups/\.search$", lazy_view(f"{PORTAL}.GroupSearchView"), name="groups-search"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?$", lazy_view(f"{PORTAL}.GroupsView"), name="groups"),
    re_path(r"^Me$", lazy_view(f"{LIBRARY}.SCIMView", implemented=False), name="me"),
    re_path(
        r"^ServiceProviderConfig$",
        lazy_view(f"{PORTAL}.ServiceProviderConfigView"),
        name="service-provider-config",
    ),
    re_path(
        r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        lazy_view(f"{PORTAL}.ResourceTypesView"),
        name="resource-types",
    ),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?$", lazy_view(f"{PORTAL}.SchemasView"), name="schemas"),
    re_path(r"^Bulk$", lazy_view(f"{LIBRARY}.SCIMView", implemented=False), name="bulk"),
    # Anything else under /scim/v2/ is a SCIM 404, not the portal's HTML page.
    re_path(r"^.*$", lazy_view(f"{PORTAL}.unknown_endpoint")),
]
