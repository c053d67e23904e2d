"""Signals other apps listen to (the MFA app revokes trusted devices on a password change)."""

from django.dispatch import Signal

# Sent with ``user`` after the user's password was changed or reset.
password_changed = Signal()

# Sent with ``user`` inside the transaction that deactivates the account (accounts.lifecycle).
account_deactivated = Signal()
