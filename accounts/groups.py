"""The Helpdesk group: unlock, reset MFA and sign users out; nothing more (design.md, Admins).

It has no ``change_user`` permission, so Django admin refuses its form posts that would change
staff or superuser status, passwords or permissions; the actions check their own permissions.
"""

from django.contrib.auth.models import Group, Permission

HELPDESK = "Helpdesk"
HELPDESK_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "unlock_user"),
    ("accounts", "reset_mfa"),
    ("accounts", "sign_out_user"),
    ("accounts", "view_auditevent"),
]


def ensure_helpdesk_group(**kwargs: object) -> None:
    """Creates or repairs the group after migrations (post_migrate, idempotent)."""
    group, _ = Group.objects.get_or_create(name=HELPDESK)
    permissions = [
        Permission.objects.filter(content_type__app_label=app, codename=code).first()
        for app, code in HELPDESK_PERMISSIONS
    ]
    group.permissions.set([p for p in permissions if p is not None])
