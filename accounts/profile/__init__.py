"""The self-service account: profile, a copy of one's data, deleting the account (UU 27/2022)."""
