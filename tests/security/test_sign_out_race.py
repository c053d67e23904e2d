"""The re-attack of the sign-out race fix (sso/sessions.py ``_delete_both``, ``_refill_cache``):
a sign-out run inside a transaction, which the fix's three steps did not consider."""

import threading

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection, connections, transaction

from sso import sessions
from tests.reliability.test_sessions import assert_ended, cached, signed_in_key


@pytest.mark.django_db(transaction=True)
def test_a_read_before_the_commit_of_a_sign_out_in_a_transaction_does_not_bring_it_back(
    settings,
):
    """Deactivating an account ends its sessions inside its transaction: another request on
    the same cookie, on its own connection, misses the cache and still sees the row until the
    commit, so it puts the session back in the cache; the commit must take it out again."""
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once need PostgreSQL: set DATABASE_URL=postgres://...")
    settings.SESSION_ENGINE = "sso.sessions"
    key = signed_in_key(sessions)

    def other_request() -> None:
        try:
            assert sessions.SessionStore(key).load()[SESSION_KEY] == "1"  # the row, still there
        finally:
            connections.close_all()

    with transaction.atomic():
        sessions.SessionStore(key).delete(key)
        reader = threading.Thread(target=other_request)
        reader.start()
        reader.join()
        assert cached(key) is not None  # put back before the commit
    assert_ended(sessions, key)
