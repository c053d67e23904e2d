"""One canonical username form (accounts.usernames): a unique column filled for existing rows.

Accounts that already read the same (``rina.siti`` next to ``rına.siti``) cannot share the
canonical form. The oldest keeps it; each later one gets its id appended (``rina.siti~42``), so
no one signs in to it by name until an admin renames it (saving then refuses a name that folds
to an existing one). Such rows are printed while migrating.
"""

import unicodedata

from django.db import migrations, models


def _canonical(username: str) -> str:
    # A frozen copy of accounts.usernames.canonical_username as of this migration.
    folded = unicodedata.normalize("NFKC", username).casefold()
    folded = folded.replace("i\u0307", "i").replace("\u0131", "i")
    return unicodedata.normalize("NFKC", folded).strip()


def fill_canonical(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken: set[str] = set()
    for user in User.objects.order_by("pk").only("pk", "username").iterator():
        canonical = _canonical(user.username)
        if canonical in taken:
            print(f"\n  accounts.User {user.pk} ({user.username!r}) reads the same as an older "
                  "account: rename it in admin before it can sign in by name.")
            canonical = f"{canonical}~{user.pk}"
        taken.add(canonical)
        User.objects.filter(pk=user.pk).update(username_canonical=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_invitations"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="accounts_user_username_ci_unique",
        ),
        migrations.AddField(
            model_name="user",
            name="username_canonical",
            field=models.TextField(null=True, editable=False, verbose_name="canonical username"),
        ),
        migrations.RunPython(fill_canonical, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_canonical",
            field=models.TextField(editable=False, unique=True, verbose_name="canonical username"),
        ),
    ]
