"""Random strings drawn from one ``os.urandom`` call.

Django's ``get_random_string`` draws each character with ``secrets.choice``: one
``os.urandom`` system call and a few Python frames per character, 64 of them for the masked
CSRF token of every page. The same uniform choice is made here from one read of random
bytes, mapped to the alphabet in C (``bytes.translate``).
"""

import functools
import secrets


@functools.cache
def _byte_table(alphabet: str) -> tuple[bytes, bytes]:
    """The ``bytes.translate`` table sending byte ``b`` to ``alphabet[b % len(alphabet)]``,
    and the bytes to drop: those at or above the largest multiple of the alphabet's length
    that fits in a byte, so that every character keeps exactly the same odds (rejection
    sampling; a plain ``b % len`` would favour the alphabet's first characters)."""
    size = len(alphabet)
    if not 0 < size <= 256 or not alphabet.isascii() or len(set(alphabet)) != size:
        raise ValueError("the alphabet must be 1 to 256 distinct ASCII characters")
    kept = 256 - 256 % size
    table = bytes(ord(alphabet[b % size]) if b < kept else 0 for b in range(256))
    return table, bytes(range(kept, 256))


def random_string(length: int, alphabet: str) -> str:
    """``length`` characters of ``alphabet``, each chosen uniformly and independently with
    the operating system's CSPRNG (what ``django.utils.crypto.get_random_string`` returns).

    Raises ValueError for an alphabet that is empty, repeats a character or is not ASCII.
    """
    table, dropped = _byte_table(alphabet)
    text = b""
    while len(text) < length:
        # A few bytes more than needed, as some may be dropped (8 in 256 for 62 characters):
        # one read nearly always suffices.
        text += secrets.token_bytes(length - len(text) + 8).translate(table, dropped)
    return text[:length].decode("ascii")
