"""One canonical username form for the lookup, the uniqueness rule, the admin forms, password
reset and every failure counter (accounts.usernames.canonical_username)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.test import TestCase

from accounts.admin import PortalUserChangeForm
from accounts.invitations.admin import InviteUserCreationForm
from accounts.models import User
from accounts.usernames import canonical_username
from tests.conftest import led_to, sign_in

LOCKED = "This account is locked for"
DOTLESS_I = "\u0131"
KELVIN = "\u212a"

# (how the account was created, a spelling someone types that must reach that same account)
SAME_NAME = [
    ("rina.siti", f"r{DOTLESS_I}na.siti"),  # dotless i (U+0131) for i
    ("rina.siti", f"r{DOTLESS_I}na.s{DOTLESS_I}t{DOTLESS_I}"),
    ("RINA.SITI", "rina.siti"),
    ("rina.siti", "R\u0130NA.S\u0130T\u0130"),  # capital I with dot above (U+0130)
    ("komang", f"{KELVIN}omang"),  # KELVIN SIGN (U+212A) for K
    ("ani", "\uff41\uff4e\uff49"),  # full-width letters
    ("ANI", "\uff21\uff2e\uff29"),
    ("strasse", "straße"),  # ß folds to ss
    ("straße", "STRASSE"),
    ("jos\u00e9", "jose\u0301"),  # precomposed é and e + COMBINING ACUTE ACCENT
    ("jose\u0301", "JOS\u00c9"),
]


@pytest.mark.parametrize(("stored", "typed"), SAME_NAME)
def test_canonical_form_is_one_for_every_spelling(stored, typed):
    assert canonical_username(stored) == canonical_username(typed)


@pytest.mark.parametrize(
    ("stored", "typed"), [("jose", "jos\u00e9"), ("ani", "ani2"), ("a.b", "ab")]
)
def test_different_names_stay_different(stored, typed):
    assert canonical_username(stored) != canonical_username(typed)


@pytest.mark.parametrize(("stored", "typed"), SAME_NAME)
def test_every_spelling_signs_in_to_the_one_account(client, make_user, password, stored, typed):
    account = make_user(stored, email="person@example.com")
    response = sign_in(client, typed, password)
    assert led_to(response) == "/"
    assert int(client.session[SESSION_KEY]) == account.pk


@pytest.mark.parametrize(("stored", "typed"), SAME_NAME)
def test_a_second_account_that_reads_the_same_is_refused_by_the_database(make_user, stored, typed):
    make_user(stored)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(typed, email="other@example.com")
    assert User.objects.count() == 1


def test_spellings_share_one_failure_counter_and_lock_the_account(client, make_user, password):
    """4 spellings x 4 wrong passwords used to leave rina.siti unlocked (one counter each)."""
    account = make_user("rina.siti")
    spellings = [
        "rina.siti",
        f"r{DOTLESS_I}na.siti",
        f"rina.s{DOTLESS_I}ti",
        f"rina.sit{DOTLESS_I}",
        "\uff52\uff49\uff4e\uff41.siti",
    ]
    for spelling in spellings:
        response = sign_in(client, spelling, "definitely-wrong-password")
        assert led_to(response) == ""  # the password page again
    account.refresh_from_db()
    assert account.is_locked
    for spelling in spellings:
        assert LOCKED in sign_in(client, spelling, password).text
    assert SESSION_KEY not in client.session


def test_unknown_name_spellings_share_one_counter(client, db):
    for spelling in ["ghost", "GHOST", "\uff47host", "Ghost", "gHost"]:
        sign_in(client, spelling, "definitely-wrong-password")
    assert LOCKED in sign_in(client, "ghost", "anything-at-all").text


def test_a_renamed_account_keeps_its_failure_count(client, make_user, password):
    """The counter is keyed on the account id, so a rename in the middle does not reset it."""
    account = make_user("rina")
    for _ in range(4):
        sign_in(client, "rina", "definitely-wrong-password")
    account.username = "rina.siti"
    account.save()
    sign_in(client, "rina.siti", "definitely-wrong-password")
    account.refresh_from_db()
    assert account.is_locked


@pytest.mark.parametrize(("stored", "typed"), SAME_NAME)
def test_admin_creation_form_says_the_name_is_taken(make_user, stored, typed):
    make_user(stored)
    form = InviteUserCreationForm(
        data={"username": typed, "email": "new@example.com", "full_name": "New Person"}
    )
    assert not form.is_valid()
    assert form.errors["username"] == [
        f"This username is taken: it reads the same as the account “{stored}”."
    ]


def test_admin_change_form_refuses_a_rename_onto_another_account(make_user):
    make_user("rina.siti")
    other = make_user("budi")
    form = PortalUserChangeForm(
        instance=other,
        data={
            "username": f"R{DOTLESS_I}NA.SITI",
            "email": other.email,
            "date_joined": "2026-11-21 10:00:00",
        },
    )
    assert not form.is_valid()
    assert "reads the same as the account “rina.siti”" in form.errors["username"][0]


def test_admin_change_form_lets_an_account_respell_its_own_name(make_user):
    account = make_user("rina.siti")
    form = PortalUserChangeForm(
        instance=account,
        data={"username": "Rina.Siti", "email": account.email, "date_joined": "2026-11-21 10:00"},
    )
    assert form.is_valid(), form.errors
    form.save()
    account.refresh_from_db()
    assert account.username == "Rina.Siti"
    assert account.username_canonical == "rina.siti"


def test_admin_add_page_shows_the_error_instead_of_a_500(admin_client, make_user):
    make_user("rina.siti")
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": f"r{DOTLESS_I}na.siti",
            "email": "x@example.com",
            "full_name": "X",
            "password1": "a long enough new password 1",
            "password2": "a long enough new password 1",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "reads the same as the account" in response.text
    assert User.objects.filter(username_canonical="rina.siti").count() == 1


def test_password_reset_finds_the_account_in_any_spelling(client, make_user, mailoutbox):
    make_user("rina.siti", email="rina@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            "/accounts/password/forgot/",
            {"email": "rina@example.com", "username": f"R{DOTLESS_I}NA.S\u0130T\u0130"},
        )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rina@example.com"]


def test_uppercase_demo_reaches_the_account_demo(client, make_user, password):
    """seeds/003 Table 1 row 6 expects DEMO to be refused when the account is demo; the portal
    treats usernames case-insensitively on purpose (docs/security.md, "Usernames")."""
    account = make_user("demo")
    response = sign_in(client, "DEMO", password)
    assert led_to(response) == "/"
    assert int(client.session[SESSION_KEY]) == account.pk


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_canonical_form_of_existing_accounts():
    """The data step: each existing row gets its canonical form; of two rows that read the
    same, the older keeps it and the later one cannot be reached by name until renamed."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0004_invitations")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_user = (
            MigrationExecutor(connection)
            .loader.project_state(before)
            .apps.get_model("accounts", "User")
        )
        first = old_user.objects.create(username="Rina.Siti", email="a@example.com")
        second = old_user.objects.create(username=f"r{DOTLESS_I}na.siti", email="b@example.com")
        other = old_user.objects.create(username=f"{KELVIN}omang", email="c@example.com")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    canonical = dict(User.objects.values_list("pk", "username_canonical"))
    assert canonical[first.pk] == "rina.siti"
    assert canonical[second.pk] == f"rina.siti~{second.pk}"
    assert canonical[other.pk] == "komang"
    assert User.objects.get_by_natural_key("RINA.SITI").pk == first.pk
