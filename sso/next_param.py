"""The ``next`` query parameter: where a page sends the person once its step is done.

Every page that leads to another and back (sign-in, step-up, re-authentication, the account
e-mail proof, the MFA reminder) builds its address with ``url_with_next``: the value is
percent-encoded as a whole (``&``, ``#``, ``+``, spaces, non-ASCII), so the page it leads to
reads back, in ``request.GET["next"]``, exactly the address it was given.
"""

from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.utils.http import urlencode


def url_with_next(url: str, next_url: str) -> str:
    """``url`` with ``next=next_url`` added to its query (after any it has, before any
    fragment); ``url`` itself when ``next_url`` is empty (nowhere in particular to go back to).

    ``next_url`` is taken as text, never as a query already encoded: ``/a?b=1&c=2`` goes back
    as ``/a?b=1&c=2``. Whether it is a safe place to go is the reading page's business
    (accounts.signin.flows.safe_next_url).
    """
    if not next_url:
        return url
    parts = urlsplit(url)
    added = urlencode({REDIRECT_FIELD_NAME: next_url})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))
