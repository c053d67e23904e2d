"""Import and export in the Users list of Django admin, loaded at first use.

The screens themselves are django-import-export's (accounts/imports/screens.py). That library
loads tablib, openpyxl, lxml and Pillow, about 10 MiB that every web worker would hold from its
start for pages only an administrator opens. So the Users admin registers the import and export
URLs under import-export's names, and its Users list, import and export pages are served by a
twin of the registered admin class with the screens mixed in, built at the first such request.
"""

from functools import cached_property

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


class AccountImportExportMixin:
    """Mixed into the Users admin (before ``UserAdmin``)."""

    model: type
    admin_site: admin.AdminSite
    # True in the twin, which serves these pages itself through django-import-export.
    serves_import_export = False

    @cached_property
    def _import_export(self) -> admin.ModelAdmin:
        from accounts.imports.screens import AccountImportExportScreens

        registered = type(self)
        twin = type(
            f"{registered.__name__}WithImportExport",
            (AccountImportExportScreens, registered),
            {"serves_import_export": True, "__module__": registered.__module__},
        )
        return twin(self.model, self.admin_site)

    def _served_by_twin(self, name: str):  # type: ignore[no-untyped-def]
        def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            return getattr(self._import_export, name)(request, *args, **kwargs)

        return self.admin_site.admin_view(view)

    def get_urls(self) -> list[URLPattern]:
        # The paths and names of django-import-export's ImportMixin and ExportMixin.
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        return [
            path(
                "process_import/",
                self._served_by_twin("process_import"),
                name=f"{prefix}_process_import",
            ),
            path("import/", self._served_by_twin("import_action"), name=f"{prefix}_import"),
            path("export/", self._served_by_twin("export_action"), name=f"{prefix}_export"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # type: ignore[no-untyped-def]
        # The list shows the Import and Export buttons (and runs the list's actions) as
        # django-import-export's list does.
        if self.serves_import_export:
            return super().changelist_view(request, extra_context)  # type: ignore[misc]
        return self._import_export.changelist_view(request, extra_context)
