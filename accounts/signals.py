"""Signals other apps listen to (the MFA app revokes trusted devices on a password change)."""

from django.dispatch import Signal

# Sent with ``user`` after the user's password was changed or reset, by ``User.save`` (whoever
# set it: the portal's pages, Django admin, SCIM, manage.py changepassword).
password_changed = Signal()

# Sent with ``user`` after an admin unlocked the account: other apps clear their own limits
# (the MFA app its code-send blocks).
account_unlocked = Signal()

# Sent with ``user`` inside the transaction that deactivates the account (accounts.lifecycle).
account_deactivated = Signal()
