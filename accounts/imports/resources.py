"""The account columns of a bulk file, as a django-import-export resource.

Columns: ``username``, ``name``, ``email`` (required) and ``phone``, ``groups`` (names,
comma-separated), ``is_staff``, ``language`` (``en`` or ``id``: the preferred language of the
person's pages and mails; optional). A row is matched to an account by the canonical
username (accounts.usernames), so importing the same file again updates and never duplicates;
two rows whose usernames fold to the same name are an error. New accounts get no password (an
invitation sets it). Any error, in any row, rolls the whole file back (``import_file``).
"""

from collections.abc import Iterable, Iterator

import tablib
from diff_match_patch import diff_match_patch
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import connection
from django.utils.encoding import force_str
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from accounts.models import User
from accounts.usernames import canonical_username

# The attributes of an account being imported that hold its groups (``KnownGroups``) and the
# values of its columns as the import read them (``AccountResource.do_instance_save``).
KNOWN_GROUPS = "_import_known_groups"
READ_VALUES = "_import_read_values"
REQUIRED_COLUMNS = ("username", "name", "email")
OPTIONAL_COLUMNS = ("phone", "groups", "is_staff", "language")
# Usernames (accounts) in one query of ``accounts_named`` (``groups_of_accounts``) on a
# database that sets no limit of its own (SQLite's is 999): PostgreSQL takes at most 65,535
# parameters in one statement, and ACCOUNTS_IMPORT_MAX_ROWS may be set above that.
NAMES_PER_QUERY = 10_000


class ColumnsError(ValueError):
    """The file's header row is not the one the import expects (missing or unknown columns)."""


class TooManyRows(ValueError):
    """The file has more rows than the import takes (``too_many_rows``)."""


def too_many_rows(rows: int, most: int) -> str:
    """Why a file of ``rows`` rows is refused by an import that takes at most ``most``: one
    bounded below ACCOUNTS_IMPORT_MAX_ROWS (the admin's, ACCOUNTS_IMPORT_ADMIN_MAX_ROWS) names
    the command that takes more (already translated)."""
    command_most = settings.ACCOUNTS_IMPORT_MAX_ROWS
    if most >= command_most:
        return _("The file has %(rows)d rows; at most %(max)d are allowed.") % {
            "rows": rows,
            "max": most,
        }
    return _(
        "The file has %(rows)d rows; an import here takes at most %(max)d. Split the file, "
        "or import it with manage.py import_accounts, which takes up to %(command_max)d rows."
    ) % {"rows": rows, "max": most, "command_max": command_most}


def changed_elsewhere_message() -> str:
    """What a row says whose write the database refused because its account was added or
    deleted by someone else while the file was imported (the file's accounts are read once, at
    its start): already translated."""
    return _(
        "Someone else added or deleted this row's account while the file was being imported, "
        "so nothing was imported. Import the file again."
    )


class GroupNamesWidget(widgets.ManyToManyWidget):
    """Group names separated by commas; an unknown name is an error, never silently dropped."""

    def __init__(self) -> None:
        super().__init__(Group, separator=",", field="name")

    @staticmethod
    def names(value: object) -> list[str]:
        """The group names of a ``groups`` cell."""
        return [name.strip() for name in str(value or "").split(",") if name.strip()]

    def clean(self, value, row=None, **kwargs):  # type: ignore[no-untyped-def]
        names = self.names(value)
        groups = getattr(self, "groups", None)  # every group, when an import has read them
        if groups is not None:
            found = [groups[name] for name in dict.fromkeys(names) if name in groups]
        else:
            found = Group.objects.filter(name__in=names)
        unknown = sorted(set(names) - {group.name for group in found})
        if unknown:
            raise ValueError(_("Unknown groups: %(names)s") % {"names": ", ".join(unknown)})
        return found


class KnownGroups(list):
    """An account's groups as the import knows them (``AccountResource``): the groups the file's
    accounts had when it was read, then those a row gave. Read like the account's related
    manager (``all()``), so that the preview's diff and the unchanged-row check of
    django-import-export read no rows for them."""

    def all(self) -> "KnownGroups":
        return self


class GroupsField(fields.Field):
    """The ``groups`` column. An account the import holds (``KNOWN_GROUPS`` set on it) has its
    groups from there; any other (the admin's Export) has them read from the database."""

    def get_value(self, instance):  # type: ignore[no-untyped-def]
        known = getattr(instance, KNOWN_GROUPS, None)
        return known if known is not None else super().get_value(instance)


class StrictBooleanWidget(widgets.BooleanWidget):
    """import-export's yes/no cell, whose values it keeps (1, true, True, TRUE; 0, false, False,
    FALSE; an empty cell, null or none for no value), with the words a spreadsheet holds (yes,
    no, and Indonesian ya, tidak; in any case), but which refuses any other value: its own
    widget read ``maybe`` or ``yes please`` as false, in silence."""

    WORDS = {"yes": True, "ya": True, "no": False, "tidak": False}

    def clean(self, value, row=None, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(value, str):
            value = value.strip()
            if value.casefold() in self.WORDS:
                return self.WORDS[value.casefold()]
        if value in self.NULL_VALUES:
            return None
        if value in self.TRUE_VALUES:
            return True
        if value in self.FALSE_VALUES:
            return False
        raise ValueError(
            _(
                "“%(value)s” is not a yes/no value. Use 1, true or yes for yes; "
                "0, false or no for no."
            )
            % {"value": value}
        )


class LanguageWidget(widgets.CharWidget):
    """A language code of the portal (LANGUAGES: ``en``, ``id``); an empty cell is None (the
    field then leaves the person's choice alone). Any other value is refused naming the codes:
    the model's own check said only "Value 'fr' is not a valid choice."."""

    def __init__(self) -> None:
        super().__init__(allow_blank=False)  # keeps None (an empty cell) as None

    def clean(self, value, row=None, **kwargs):  # type: ignore[no-untyped-def]
        value = super().clean(value, row=row, **kwargs)
        codes = [code for code, _name in settings.LANGUAGES]
        if value is not None and value not in codes:
            raise ValueError(
                _("“%(value)s” is not a language of the portal. Use one of: %(codes)s.")
                % {"value": value, "codes": ", ".join(codes)}
            )
        return value


class PreviewDiff(resources.Diff):
    """import-export's preview of a row's change, without the ``style`` attributes its diff
    library writes (``<ins style="background:…">``): the portal's Content-Security-Policy
    (``style-src 'self'``) refuses them. ``<ins>`` and ``<del>`` are underlined and struck
    through by the browser itself."""

    TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}

    def as_html(self) -> list[str]:
        dmp = diff_match_patch()
        cells = []
        for left, right in zip(self.left, self.right, strict=False):
            if left != right and self.new:
                left = ""
            diff = dmp.diff_main(force_str(left), force_str(right))
            dmp.diff_cleanupSemantic(diff)
            pieces = ((self.TAGS.get(op, "span"), text) for op, text in diff if text)
            cells.append(format_html_join("", "<{0}>{1}</{0}>", pieces))
        return cells


class AccountResource(resources.ModelResource):
    """One account per row. ``allow_privileged``: whether ``groups`` and ``is_staff`` may be
    changed (only a superuser's import; Django admin's own rule for those fields; without it a
    cell that leaves them as they are is accepted, ``privilege_changes``)."""

    username = fields.Field(attribute="username", column_name="username")
    name = fields.Field(attribute="full_name", column_name="name")
    email = fields.Field(attribute="email", column_name="email")
    phone = fields.Field(attribute="phone", column_name="phone")
    groups = GroupsField(
        attribute="groups", column_name="groups", widget=GroupNamesWidget(), m2m_add=False
    )
    # An empty cell leaves staff status as it is (new accounts: not staff).
    is_staff = fields.Field(
        attribute="is_staff",
        column_name="is_staff",
        widget=StrictBooleanWidget(),
        saves_null_values=False,
    )
    # An empty cell leaves the person's own choice alone.
    language = fields.Field(
        attribute="preferred_language",
        column_name="language",
        widget=LanguageWidget(),
        saves_null_values=False,
    )

    class Meta:
        model = User
        fields = ("username", "name", "email", "phone", "groups", "is_staff", "language")
        import_id_fields = ("username",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(  # type: ignore[no-untyped-def]
        self, allow_privileged: bool = False, max_rows: int | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.allow_privileged = allow_privileged
        # The most rows a file may have here (never above ACCOUNTS_IMPORT_MAX_ROWS).
        limit = settings.ACCOUNTS_IMPORT_MAX_ROWS
        self.max_rows = min(max_rows, limit) if max_rows is not None else limit
        self._seen: dict[str, int] = {}
        self._columns: tuple[str, ...] = ()
        self._groups_before: dict[int, set[str]] = {}
        self._accounts: dict[str, User] = {}
        self._all_groups: dict[str, Group] = {}

    def before_import(self, dataset, **kwargs) -> None:  # type: ignore[no-untyped-def]
        try:
            self._read_file(dataset)
        except (TooManyRows, ColumnsError):
            # import-export records a file's error and goes on to import its rows, each with
            # its savepoint, instance and diff: a refused file has none left to read.
            del dataset[:]
            raise

    def _read_file(self, dataset: tablib.Dataset) -> None:
        """Checks the file's size and columns, and reads what its rows need of the database
        at once. Raises TooManyRows or ColumnsError."""
        # Every path counts the rows before reading one (manage.py import_accounts does it
        # before this resource is made; the admin's preview and confirm, here).
        if len(dataset) > self.max_rows:
            raise TooManyRows(too_many_rows(len(dataset), self.max_rows))
        drop_unnamed_columns(dataset)
        # A workbook's heading may be a number or a date: read as the text it shows.
        headers = tuple(_text(header) for header in dataset.headers or ())
        missing = [name for name in REQUIRED_COLUMNS if name not in headers]
        unknown = [name for name in headers if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if missing or unknown:
            raise ColumnsError(
                _(
                    "Wrong columns: missing %(missing)s; unknown %(unknown)s. "
                    "Expected: %(expected)s."
                )
                % {
                    "missing": ", ".join(missing) or "-",
                    "unknown": ", ".join(unknown) or "-",
                    "expected": ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
                }
            )
        # A column given twice ("email" and " email") would be read from one of them, in
        # silence: which value the admin meant is not the import's to guess.
        repeated = sorted({name for name in headers if headers.count(name) > 1})
        if repeated:
            raise ColumnsError(
                _("Columns given more than once: %(repeated)s. Each column may appear once.")
                % {"repeated": ", ".join(repeated)}
            )
        dataset.headers = list(headers)
        self._columns = headers
        self._seen = {}
        # The accounts the file names, read here for every row at once (the rows are matched
        # by canonical name): import-export read each row's account by itself, and Django's
        # unique checks read two more rows per new account (validate_instance).
        self._accounts = accounts_named(dataset["username"])
        # The groups each account has before the file, for privilege_changes: read here for
        # every row at once, not once per existing account as its row is checked.
        self._groups_before = {}
        if "groups" in headers:
            self._groups_before = groups_of_accounts(self._accounts.values())
            self._all_groups = {group.name: group for group in Group.objects.all()}
            self.fields["groups"].widget.groups = self._all_groups

    def after_import(self, dataset, result, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # import-export names the preview's columns before before_import has read the file's
        # header, so the preview had no column headings.
        result.diff_headers = self.get_diff_headers()

    def get_import_fields(self):  # type: ignore[no-untyped-def]
        # Only the columns the file has: a missing optional column leaves that data alone.
        return [f for f in super().get_import_fields() if f.column_name in self._columns]

    def get_user_visible_fields(self):  # type: ignore[no-untyped-def]
        # The import page lists the columns a file may have, before any file is read.
        return super().get_import_fields()

    def get_diff_class(self):  # type: ignore[no-untyped-def]
        return PreviewDiff

    def get_instance(self, instance_loader, row):  # type: ignore[no-untyped-def]
        return self._accounts.get(canonical_username(str(row.get("username") or "")))

    def before_import_row(self, row, **kwargs) -> None:  # type: ignore[no-untyped-def]
        username = str(row.get("username") or "").strip()
        row["username"] = username
        for column in ("name", "email", "phone"):
            if column in row:
                row[column] = str(row[column] or "").strip()
        if "language" in row:
            # None, not "": the field leaves the account's language alone (saves_null_values).
            row["language"] = str(row["language"] or "").strip() or None
        # A NUL in a cell is refused in its column, as Django's form fields refuse it:
        # PostgreSQL stores none, and its error named neither the column nor the cause.
        with_nul = [c for c, value in row.items() if isinstance(value, str) and "\x00" in value]
        if with_nul:
            message = ProhibitNullCharactersValidator.message
            raise ValidationError({column: message for column in with_nul})
        if not username:
            raise ValidationError({"username": _("This field is required.")})
        canonical = canonical_username(username)
        first = self._seen.setdefault(canonical, kwargs["row_number"])
        if first != kwargs["row_number"]:
            raise ValidationError(
                {
                    "username": _("Row %(row)d has the same username (they read the same).")
                    % {"row": first}
                }
            )

    def import_instance(self, instance, row, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Sets the row's cells on ``instance``; raises ValidationError keyed by field for every
        cell refused, the ``groups`` cell included.

        import-export sets many-to-many fields (``groups``) only after the row is saved, so an
        unknown group was found once the account was written, as an error of the whole row.
        Its names are checked here, with the other cells, before anything is written.
        """
        errors: dict = {}
        if not self.allow_privileged:
            message = _("Only a superuser may import groups or staff status.")
            errors = {column: [message] for column in self.privilege_changes(instance, row)}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        groups = self.fields["groups"]
        if groups in self.get_import_fields() and "groups" not in errors:
            try:
                groups.clean(row)
            except ValueError as error:
                errors["groups"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def privilege_changes(self, instance: User, row) -> list[str]:  # type: ignore[no-untyped-def]
        """The columns of ``row`` (``groups``, ``is_staff``) whose cell would change the staff
        status or the groups of ``instance`` (as it is before the row is applied; a new account
        is not staff and in no group). Only a superuser may change them, as on the account's
        change form: another staff member's file may hold ``0``, ``false`` or an empty cell
        for an account that is not staff and in no group, or the values an account has."""
        changed = []
        if "groups" in self._columns:
            current = self._groups_before.get(instance.pk, set())  # a new account: none
            if set(GroupNamesWidget.names(row.get("groups"))) != current:
                changed.append("groups")
        if "is_staff" in self._columns:
            try:
                staff = self.fields["is_staff"].widget.clean(row.get("is_staff"))
            except ValueError:  # not a yes/no value: the column's own error says so
                staff = None
            if staff is not None and staff != instance.is_staff:
                changed.append("is_staff")
        return changed

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):  # type: ignore[no-untyped-def]
        # A row matched by the canonical name keeps the account's own spelling of it.
        if field.attribute == "username" and instance.pk:
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if new:
            instance.set_unusable_password()
        else:
            setattr(instance, READ_VALUES, self._column_values(instance))
        if "groups" in self._columns:
            before = self._groups_before.get(instance.pk, set()) if not new else set()
            self._know_groups(instance, before)

    def do_instance_save(self, instance, is_create) -> None:  # type: ignore[no-untyped-def]
        """A new account inserted whole; an existing one updated in the columns its row
        changed, and in nothing else.

        The file's accounts were read at its start: a whole-row save would write back what was
        read then over what others changed since (an admin deactivating the account, removing
        its staff status, a new password, a lock). A cell equal to what was read writes
        nothing either, so a change made meanwhile to that column stands too."""
        if is_create:
            instance.save(force_insert=True)
            return
        read = getattr(instance, READ_VALUES)
        changed = [
            name for name, value in self._column_values(instance).items() if value != read[name]
        ]
        if changed:
            instance.save(update_fields=changed)

    def _column_values(self, instance: User) -> dict[str, object]:
        """The model fields the file's columns set (``groups`` aside), with their values."""
        return {
            field.attribute: getattr(instance, field.attribute)
            for field in self.get_import_fields()
            if field.column_name != "groups"
        }

    def save_m2m(self, instance, row, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Only a cell that changes the account's groups writes them (import-export read the
        # account's groups for every row to set them, changed or not).
        if "groups" not in self._columns:
            return
        wanted = set(GroupNamesWidget.names(row.get("groups")))
        if wanted == {group.name for group in getattr(instance, KNOWN_GROUPS)}:
            return
        super().save_m2m(instance, row, **kwargs)
        self._know_groups(instance, wanted)

    def _know_groups(self, instance: User, names: set[str]) -> None:
        groups = [self._all_groups[name] for name in sorted(names) if name in self._all_groups]
        setattr(instance, KNOWN_GROUPS, KnownGroups(groups))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):  # type: ignore[no-untyped-def]
        errors = dict(import_validation_errors or {})
        if not instance.email:
            errors.setdefault("email", []).append(_("This field is required."))
        instance.username_canonical = canonical_username(instance.username)
        # The username's uniqueness, in both its forms, is known without a query: a row is
        # matched to the account of its canonical name (``accounts_named``), so a new account's
        # name is no other account's, and two rows of one name are refused (before_import_row).
        # An account of that name created by someone else during the import fails its insert
        # on the unique index, and the import is rolled back.
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _canonical_names(usernames: Iterable[object]) -> list[str]:
    """The canonical forms of a file's username cells that can name an account, sorted."""
    folded = {canonical_username(str(cell or "").strip()) for cell in usernames}
    # A name with a NUL names no account, and its row is refused in its column
    # (before_import_row); PostgreSQL would refuse the whole query for it.
    return sorted(name for name in folded if name and "\x00" not in name)


def _in_batches(values: list) -> Iterator[list]:  # type: ignore[type-arg]
    """``values`` in lists of at most ``NAMES_PER_QUERY`` (or the database's own limit of
    parameters in one query)."""
    size = connection.features.max_query_params or NAMES_PER_QUERY
    for start in range(0, len(values), size):
        yield values[start : start + size]


def accounts_named(usernames: Iterable[object]) -> dict[str, User]:
    """The existing accounts that ``usernames`` (a file's username cells, in any spelling)
    name, by canonical username. One query for every ``NAMES_PER_QUERY`` names."""
    found: dict[str, User] = {}
    for batch in _in_batches(_canonical_names(usernames)):
        for account in User.objects.filter(username_canonical__in=batch):
            found[account.username_canonical] = account
    return found


def groups_of_accounts(accounts: Iterable[User]) -> dict[int, set[str]]:
    """The group names of each of ``accounts`` (``accounts_named``), by the account's id; an
    account in no group is left out. One query for every ``NAMES_PER_QUERY`` accounts (or the
    database's own limit of parameters)."""
    memberships = User.groups.through.objects
    found: dict[int, set[str]] = {}
    for batch in _in_batches(sorted(account.pk for account in accounts)):
        rows = memberships.filter(user_id__in=batch)
        for user_id, group in rows.values_list("user_id", "group__name"):
            found.setdefault(user_id, set()).add(group)
    return found


def _text(cell: object) -> str:
    """A header cell as text, without surrounding spaces ("" for an empty cell)."""
    return str(cell if cell is not None else "").strip()


def drop_unnamed_columns(dataset: tablib.Dataset) -> None:
    """Removes from ``dataset`` its columns without a name in the header, all of whose cells
    are empty (a header ending in a comma; a workbook's formatted but empty column).

    Raises ColumnsError when such a column holds a value: a row longer than its header, which
    a workbook reads as a column without a name (a CSV file is refused by flows.CSV), or a
    header cell left empty. The error named no column ("unknown -").
    """
    headers = [_text(header) for header in dataset.headers or ()]
    named = [index for index, header in enumerate(headers) if header]
    if len(named) == len(headers):
        return
    rows = list(dataset)
    for number, row in enumerate(rows, 1):
        for index, value in enumerate(row):
            if index not in named and str(value if value is not None else "").strip():
                raise ColumnsError(
                    _(
                        "Column %(column)d has no name in the header, but row %(row)d has a "
                        "value in it. Name the column in the header, or remove the value."
                    )
                    % {"column": index + 1, "row": number}
                )
    dataset.wipe()
    dataset.headers = [headers[index] for index in named]
    dataset.extend([[row[index] for index in named] for row in rows])


def column_of(key: str) -> str:
    """The file's column that a row error's ``key`` is about, or "" for the row as a whole.

    ``key`` is a key of the row's ValidationError: a column (before_import_row), a model field
    (full_clean: ``full_name`` for the ``name`` column) or NON_FIELD_ERRORS. The admin fixes
    the file, so errors name its columns, never the model's fields.
    """
    if key == NON_FIELD_ERRORS:
        return ""
    if key == "username_canonical":  # derived from the username cell (accounts.usernames)
        return "username"
    columns = {field.attribute: field.column_name for field in AccountResource.fields.values()}
    return columns.get(key, key)
