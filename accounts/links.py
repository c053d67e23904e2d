"""Links mailed to a person (invitation, e-mail verification): a public key and an HMAC of it.

The link carries ``<key>/<token>`` where ``key`` is a random UUID stored on the row and
``token`` an HMAC-SHA256 of it under SECRET_KEY with a salt per purpose. Nothing usable is
stored: a copy of the database cannot make a link, and a link for one purpose never works for
another. Single use and expiry are the row's business.
"""

import uuid

from django.utils.crypto import constant_time_compare, salted_hmac


def link_token(purpose: str, key: uuid.UUID | str) -> str:
    """The token (64 hex digits) for ``key`` in links of ``purpose`` (e.g. 'invitation')."""
    return salted_hmac(f"accounts.links.{purpose}", str(key), algorithm="sha256").hexdigest()


def token_matches(purpose: str, key: uuid.UUID | str, token: str) -> bool:
    """Whether ``token`` is the one ``link_token`` makes for ``key`` (constant time)."""
    return constant_time_compare(link_token(purpose, key), token)


def parse_key(value: str) -> uuid.UUID | None:
    """The UUID in a link's key part, or None when it is not one (a tampered link)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
