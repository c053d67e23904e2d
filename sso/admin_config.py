"""Django admin's app, discovering every installed app's admin module at start but
django-import-export's.

``import_export.admin`` registers nothing: it holds the mixins. Importing it reads which file
formats tablib can handle, which loads tablib, openpyxl, lxml and Pillow (about 10 MiB) in
every web worker. The Users admin loads it at its first list, import or export page
(accounts/imports/admin.py).
"""

from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import AdminConfig, SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

# Apps whose admin module registers nothing and is imported where it is used.
NOT_DISCOVERED = frozenset({"import_export"})


class PortalAdminConfig(AdminConfig):
    def ready(self) -> None:
        SimpleAdminConfig.ready(self)  # the admin's system checks; autodiscover() is below
        for app_config in apps.get_app_configs():
            if app_config.name in NOT_DISCOVERED:
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
