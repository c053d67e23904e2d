"""/scim/v2/ (RFC 7644 §3.2): the same map as django-scim2's ``django_scim.urls``, pointing at
the portal's views. The namespace stays ``scim``, which the library's reverse() calls use."""

from django.urls import re_path
from django_scim import views as library

from accounts.provisioning import views

app_name = "scim"

urlpatterns = [
    re_path(r"^$", library.SCIMView.as_view(implemented=False), name="root"),
    re_path(r"^\.search$", library.SearchView.as_view(implemented=False), name="search"),
    re_path(r"^Users/\.search$", views.UserSearchView.as_view(), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?$", views.UsersView.as_view(), name="users"),
    re_path(r"^Groups/\.search$", views.GroupSearchView.as_view(), name="groups-search"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^Me$", library.SCIMView.as_view(implemented=False), name="me"),
    re_path(
        r"^ServiceProviderConfig$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(
        r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        views.ResourceTypesView.as_view(),
        name="resource-types",
    ),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^Bulk$", library.SCIMView.as_view(implemented=False), name="bulk"),
    # Anything else under /scim/v2/ is a SCIM 404, not the portal's HTML page.
    re_path(r"^.*$", views.unknown_endpoint),
]
