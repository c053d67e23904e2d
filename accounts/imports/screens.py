"""Import and export in the Users list of Django admin (django-import-export's screens).

Import: choose a file, see the preview (every row's change, or every row's errors, before
anything is written), confirm; the file is written all or nothing. A box invites the new
accounts. Export: the same columns.

django-import-export loads tablib, openpyxl, lxml and Pillow: this module is imported by the
first request that needs it (accounts/imports/admin.py), not by every web worker at start.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import RowResult
from import_export.tmp_storages import CacheStorage

from accounts import audit
from accounts.imports.flows import (
    FORMATS,
    FileRefused,
    invite_new_accounts,
    not_utf8_refusal,
    row_errors,
    unpacked_cap,
    unpacked_refusal,
    unreadable_refusal,
)
from accounts.imports.resources import AccountResource

INVITE_FIELD = "invite"
# The session's list of the uploads its previews showed, waiting for Confirm import.
PENDING_IMPORTS = "accounts.pending_imports"
PENDING_IMPORTS_KEPT = 5
# What a preview's Confirm import form carries back of the upload (import-export's form).
CONFIRM_FIELDS = ("import_file_name", "original_file_name", "format", "resource")


class PendingImportStorage(CacheStorage):
    """import-export's store of an upload between its preview and Confirm import: the cache
    (shared by every node), for an hour. Its name is a random one the preview gives, which
    Confirm import sends back; only a name that this session's preview gave is read
    (``AccountImportExportScreens.process_import``). import-export's default, a file of the
    machine's temporary folder named by the form, let Confirm import read, import and delete
    any file there, and a node other than the preview's find nothing."""

    CACHE_LIFETIME = 3600
    CACHE_PREFIX = "accounts.import-upload:"


class AccountImportForm(ImportForm):
    invite = forms.BooleanField(
        label=_("Invite the new accounts"),
        required=False,
        help_text=_("Each new account gets an invitation mail to choose a password."),
    )

    def clean_import_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.ACCOUNTS_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB."),
                params={"mb": settings.ACCOUNTS_IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        refusal = unpacked_refusal(upload, unpacked_cap(settings.ACCOUNTS_IMPORT_ADMIN_MAX_ROWS))
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return upload


class AccountConfirmImportForm(ConfirmImportForm):
    invite = forms.BooleanField(required=False, widget=forms.HiddenInput)


class AccountImportExportScreens(ImportExportMixin):
    """Mixed into the Users admin by accounts.imports.admin, at the first list, import or export
    page."""

    resource_classes = [AccountResource]
    # CSV and XLSX only, as manage.py import_accounts and the admin guide say.
    import_formats = export_formats = list(FORMATS.values())
    import_form_class = AccountImportForm
    confirm_form_class = AccountConfirmImportForm
    # The base of import-export's list: admin's, with the last import's invitations going out.
    change_list_template = "admin/accounts/user/change_list.html"
    # import-export's page, with every row error in a table rather than behind a hover box.
    import_template_name = "admin/accounts/user/import.html"

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Whether ``request``'s user may import: an import adds accounts and changes them
        (their names, addresses, phones), so it takes both rights of the Users admin.
        import-export's own rule, without ``IMPORT_EXPORT_IMPORT_PERMISSION_CODE``, let every
        staff member in: one with no right on accounts could set a superuser's address, then
        reset their password through it."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        """Whether ``request``'s user may export: the file lists every account, so whoever may
        see the Users list (import-export's own rule let every staff member in)."""
        return self.has_view_or_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # type: ignore[no-untyped-def]
        from accounts.invitations.progress import latest_progress

        extra_context = {**(extra_context or {}), "invitation_progress": latest_progress()}
        return super().changelist_view(request, extra_context=extra_context)

    def import_action(self, request: HttpRequest, **kwargs):  # type: ignore[no-untyped-def]
        """import-export's import page; a preview with errors also gets ``import_row_errors``
        (accounts.imports.flows.RowError, every one, for the page to list)."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)  # None for a redirect
        confirm_form = context.get("confirm_form") if context else None
        if confirm_form is not None:  # a preview without errors: its upload waits for Confirm
            # The upload as the preview read it: Confirm import reads it the same way, whatever
            # the form sends back but its name.
            waiting = {name: str(confirm_form.initial.get(name, "")) for name in CONFIRM_FIELDS}
            pending = request.session.get(PENDING_IMPORTS, [])
            request.session[PENDING_IMPORTS] = [*pending, waiting][-PENDING_IMPORTS_KEPT:]
        result = context.get("result") if context else None
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            context["import_row_errors"] = row_errors(result)
        return response

    def process_import(self, request: HttpRequest, **kwargs):  # type: ignore[no-untyped-def]
        """import-export's Confirm import, for an upload that a preview of this session stored
        and that is still waiting: taken once, so a second press (or a parallel one) imports
        nothing and says so, as does any other name."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")
        pending = request.session.get(PENDING_IMPORTS, [])
        waiting = next((kept for kept in pending if kept["import_file_name"] == name), None)
        stored = PendingImportStorage.CACHE_PREFIX + name
        if (
            waiting is None
            or not cache.add(f"{stored}:confirmed", True, PendingImportStorage.CACHE_LIFETIME)
            or stored not in cache
        ):
            return self._not_waiting(request)
        request.session[PENDING_IMPORTS] = [kept for kept in pending if kept is not waiting]
        posted = request.POST.copy()
        for field, value in waiting.items():  # the preview's format, resource and file name
            posted[field] = value
        request.POST = posted
        try:
            return super().process_import(request, **kwargs)
        except (FileRefused, UnicodeDecodeError):  # read as the preview read it: not expected
            return self._not_waiting(request)

    def _not_waiting(self, request: HttpRequest) -> HttpResponse:
        messages.error(
            request,
            _(
                "This preview is no longer waiting to be confirmed: it was imported already, "
                "or it is more than an hour old. Choose the file again."
            ),
        )
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))

    def add_data_read_fail_error_to_form(self, form, e) -> None:  # type: ignore[no-untyped-def]
        # A file the import's own formats refuse (flows.CSV: a row longer than the header), that
        # is not UTF-8 (import-export decodes it as it reads it back from its temporary
        # storage), or that the chosen format cannot read, says why, as manage.py
        # import_accounts does, rather than naming the exception.
        if isinstance(e, FileRefused):
            form.add_error("import_file", str(e))
            return
        if isinstance(e, UnicodeDecodeError):
            form.add_error("import_file", not_utf8_refusal(e))
            return
        # Any other error is the chosen format's reader failing on the file (random bytes or a
        # CSV file chosen as XLSX): import-export's message named the exception.
        chosen = self.get_import_formats()[int(form.cleaned_data["format"])]
        file_format = next(name for name, format_class in FORMATS.items() if format_class is chosen)
        hint = _("Choose the format the file was saved in.")
        form.add_error("import_file", f"{unreadable_refusal(file_format)} {hint}")

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs) -> dict:  # type: ignore[no-untyped-def]
        # Groups and staff status grant rights: only a superuser sets them (as on the change form).
        # The preview and the confirmation each run in one request: a file they could not
        # finish within the web server's timeout is refused, naming the command.
        return {
            "allow_privileged": request.user.is_superuser,
            "max_rows": settings.ACCOUNTS_IMPORT_ADMIN_MAX_ROWS,
        }

    def get_import_data_kwargs(self, **kwargs) -> dict:  # type: ignore[no-untyped-def]
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        return {**data_kwargs, "use_transactions": True, "rollback_on_validation_errors": True}

    def get_confirm_form_initial(self, request: HttpRequest, import_form) -> dict:  # type: ignore[no-untyped-def]
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial[INVITE_FIELD] = import_form.cleaned_data.get(INVITE_FIELD, False)
        return initial

    def process_result(self, result, request: HttpRequest):  # type: ignore[no-untyped-def]
        """All or nothing: a row that failed on confirm (the data changed since the preview)
        rolled everything back; say so instead of "imported"."""
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                _("Nothing was imported: the file has errors now. Import it again to see them."),
                messages.ERROR,
            )
            return self.changelist_redirect(request)
        audit.record(
            request, audit.ACCOUNTS_IMPORTED, actor=request.user, rows=result.total_rows,
            new=result.totals.get("new", 0), update=result.totals.get("update", 0),
        )  # fmt: skip
        response = super().process_result(result, request)
        if request.POST.get(INVITE_FIELD) in ("True", "on"):
            new_ids = [
                int(row.object_id)
                for row in result.rows
                if row.import_type == RowResult.IMPORT_TYPE_NEW
            ]
            sent = invite_new_accounts(new_ids, actor=request.user, request=request)
            text = ngettext(
                "%(count)d invitation queued; the line above the list counts them going out.",
                "%(count)d invitations queued; the line above the list counts them going out.",
                sent,
            )
            self.message_user(request, text % {"count": sent}, messages.SUCCESS)
        return response

    def changelist_redirect(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
