"""Django's CSRF tokens, with their random strings drawn in one system call.

Every page with a form carries a masked CSRF token (Django's defence against BREACH: a new
random mask per response, added character by character to the cookie's secret). Django
draws the mask, and a new browser's secret, with ``get_random_string``: one ``os.urandom``
call per character, about a tenth of the CPU of the username page. Here the same strings
come from :func:`sso.crypto.random_string` and the mask is added with a lookup table;
tokens are exactly Django's (same alphabet, lengths and masking), so they are checked by
Django's own ``CsrfViewMiddleware`` code unchanged. ``install`` is called once per process
by ``sso.middleware.PortalMiddleware``; ``CsrfViewMiddleware`` stays in ``MIDDLEWARE`` under
Django's name, which ``check --deploy`` looks for.
"""

from django.middleware import csrf

from sso.crypto import random_string

_ALPHABET = csrf.CSRF_ALLOWED_CHARS
_INDEX = {char: position for position, char in enumerate(_ALPHABET)}


def new_csrf_string() -> str:
    """A new secret or mask: ``CSRF_SECRET_LENGTH`` random characters of Django's alphabet."""
    return random_string(csrf.CSRF_SECRET_LENGTH, _ALPHABET)


def mask_cipher_secret(secret: str) -> str:
    """The token for ``secret`` as Django's ``_mask_cipher_secret`` makes it: a new random
    mask, then each secret character shifted by the mask's (modulo the alphabet); Django's
    ``_unmask_cipher_token`` gives ``secret`` back."""
    mask = new_csrf_string()
    size = len(_ALPHABET)
    cipher = "".join(
        _ALPHABET[(_INDEX[x] + _INDEX[y]) % size] for x, y in zip(secret, mask, strict=True)
    )
    return mask + cipher


def unmask_cipher_token(token: str) -> str:
    """The secret of a token of ``CSRF_TOKEN_LENGTH`` characters of Django's alphabet, as
    Django's ``_unmask_cipher_token`` gives it (its caller has checked the format)."""
    mask, cipher = token[: csrf.CSRF_SECRET_LENGTH], token[csrf.CSRF_SECRET_LENGTH :]
    return "".join(_ALPHABET[_INDEX[x] - _INDEX[y]] for x, y in zip(cipher, mask, strict=True))


def install() -> None:
    """Makes Django's ``get_token``, ``rotate_token`` and token check use the functions above."""
    csrf._get_new_csrf_string = new_csrf_string
    csrf._mask_cipher_secret = mask_cipher_secret
    csrf._unmask_cipher_token = unmask_cipher_token
