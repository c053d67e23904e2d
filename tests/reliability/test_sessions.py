"""The session engine (sso/sessions.py): a session before sign-in lives in the cache only, a
signed-in one in the cache and the database; one write per request that changed it, none on a
page that only read it; the key changes at sign-in (no session fixation) and an ended session
never comes back.

Run with the test settings' cache (Redis when REDIS_URL is set) and with Django's in-memory
cache (the check-then-set path of ``set_if_present``).
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings

from accounts.models import UserSession
from sso import sessions
from tests.conftest import PASSWORD

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(params=["configured", "in-memory"])
def engine(request, settings):
    settings.SESSION_ENGINE = "sso.sessions"
    if request.param == "in-memory":
        settings.CACHES = LOCAL_CACHE
    return sessions


def cached(key: str):  # type: ignore[no-untyped-def]
    return caches["default"].get(sessions.KEY_PREFIX + key)


def signed_in_key(engine) -> str:  # type: ignore[no-untyped-def]
    store = engine.SessionStore()
    store[SESSION_KEY] = "1"
    store.save()
    return store.session_key


def assert_ended(engine, key: str) -> None:  # type: ignore[no-untyped-def]
    """Neither store holds ``key`` and loading it opens nothing."""
    assert cached(key) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert engine.SessionStore(key).load() == {}


def test_a_session_before_sign_in_is_in_the_cache_only(engine, db):
    store = engine.SessionStore()
    store["signin"] = {"username": "ani"}
    store.save()
    assert cached(store.session_key)[1] == {"signin": {"username": "ani"}}
    assert not Session.objects.filter(session_key=store.session_key).exists()

    again = engine.SessionStore(store.session_key)
    assert again["signin"] == {"username": "ani"}
    again["signin"] = {"username": "ani", "password": "done"}
    again.save()
    assert not Session.objects.exists()


def test_sign_in_takes_a_new_key_kept_in_both_stores(engine, db):
    store = engine.SessionStore()
    store["signin"] = {"username": "ani"}
    store.save()
    old_key = store.session_key

    store = engine.SessionStore(old_key)
    store.cycle_key()  # as django.contrib.auth.login does
    store[SESSION_KEY] = "1"
    store.save()
    assert store.session_key != old_key
    assert cached(old_key) is None
    assert Session.objects.get(session_key=store.session_key).get_decoded()[SESSION_KEY] == "1"
    assert engine.SessionStore(old_key).load() == {}  # the old key opens nothing


def test_a_signed_in_session_outlives_an_emptied_cache(engine, db):
    store = engine.SessionStore()
    store[SESSION_KEY] = "1"
    store.save()
    caches["default"].clear()  # Redis restarted without persistence

    again = engine.SessionStore(store.session_key)
    assert again[SESSION_KEY] == "1"
    assert cached(store.session_key)[2] is True  # put back, with its row noted
    again["seen"] = True
    again.save()
    assert Session.objects.get(session_key=store.session_key).get_decoded()["seen"] is True


def test_an_ended_session_is_not_brought_back_by_a_save(engine, db):
    """A request that loaded the session saves after a sign-out elsewhere ended it."""
    before = engine.SessionStore()
    before["signin"] = {"username": "ani"}
    before.save()
    signed_in = engine.SessionStore()
    signed_in[SESSION_KEY] = "1"
    signed_in.save()
    for key in (before.session_key, signed_in.session_key):
        loaded = engine.SessionStore(key)
        assert loaded.keys()  # read before the sign-out elsewhere
        engine.SessionStore(key).delete(key)  # the other request's sign-out
        loaded["late"] = True
        with pytest.raises(UpdateError):
            loaded.save()
        assert cached(key) is None
        assert not Session.objects.filter(session_key=key).exists()


def test_a_save_racing_a_sign_out_does_not_bring_the_session_back(engine, db, monkeypatch):
    """The sign-out elsewhere ends the session just after this request rewrote the cache
    (``SET XX`` found the key) and before it writes the row: the row stays deleted."""
    key = signed_in_key(engine)
    loaded = engine.SessionStore(key)
    assert loaded[SESSION_KEY] == "1"
    set_in_cache = sessions.set_if_present

    def then_sign_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        written = set_in_cache(*args, **kwargs)
        engine.SessionStore(key).delete(key)  # the other request: cache key, then row
        return written

    monkeypatch.setattr(sessions, "set_if_present", then_sign_out)
    loaded["late"] = True
    with pytest.raises(UpdateError):
        loaded.save()
    assert_ended(engine, key)


def test_a_save_after_a_redis_restart_racing_a_sign_out_does_not_bring_it_back(
    engine, db, monkeypatch
):
    """Redis restarted empty: the save finds the row, and the sign-out deletes it before the
    save writes it; the key it put back in the cache is taken out again."""
    key = signed_in_key(engine)
    loaded = engine.SessionStore(key)
    assert loaded[SESSION_KEY] == "1"
    caches["default"].clear()  # Redis restarted without persistence
    row_exists = sessions.DatabaseSessionStore.exists

    def then_sign_out(self, session_key):  # type: ignore[no-untyped-def]
        found = row_exists(self, session_key)
        engine.SessionStore(session_key).delete(session_key)
        return found

    monkeypatch.setattr(sessions.DatabaseSessionStore, "exists", then_sign_out)
    loaded["late"] = True
    with pytest.raises(UpdateError):
        loaded.save()
    assert cached(key) is None
    assert not Session.objects.filter(session_key=key).exists()


def test_a_read_between_the_two_deletes_of_a_sign_out_does_not_bring_it_back(engine, db):
    """Another request on the same cookie misses the cache just after the sign-out deleted
    the key and reads the row before it is deleted: what it put back in the cache goes too."""
    key = signed_in_key(engine)
    signing_out = engine.SessionStore(key)
    assert signing_out[SESSION_KEY] == "1"
    real_cache = signing_out._cache

    class ReadInBetween:
        reads = 0

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real_cache, name)

        def delete(self, cache_key):  # type: ignore[no-untyped-def]
            real_cache.delete(cache_key)
            if not self.reads:
                self.reads += 1
                assert engine.SessionStore(key)[SESSION_KEY] == "1"  # refilled from the row

    signing_out._cache = ReadInBetween()
    signing_out.delete()
    assert_ended(engine, key)


def test_a_read_whose_cache_write_comes_after_a_sign_out_does_not_bring_it_back(
    engine, db, monkeypatch
):
    """The other request reads the row, then the whole sign-out runs, then that request
    writes the cache: it finds the row gone and takes the key out again."""
    key = signed_in_key(engine)
    caches["default"].clear()  # the read goes to the row (as after a Redis restart)
    read_row = sessions.SessionStore._load_from_database

    def then_sign_out(self):  # type: ignore[no-untyped-def]
        data = read_row(self)
        engine.SessionStore(key).delete(key)
        return data

    monkeypatch.setattr(sessions.SessionStore, "_load_from_database", then_sign_out)
    engine.SessionStore(key).load()
    monkeypatch.undo()
    assert cached(key) is None
    assert engine.SessionStore(key).load() == {}


def test_a_session_cached_before_the_flag_without_a_row_lives_on(engine, db):
    """A value cached as (expiry, data) is taken to have a row; when it has none, the save
    that finds the key still in the cache writes the row instead of ending the session."""
    store = engine.SessionStore()
    store["signin"] = {"username": "ani"}
    store.save()
    key = store.session_key
    expires_at, data, _flag = cached(key)
    caches["default"].set(sessions.KEY_PREFIX + key, (expires_at, data), 60)

    loaded = engine.SessionStore(key)
    loaded["seen"] = True
    loaded.save()
    assert Session.objects.get(session_key=key).get_decoded()["seen"] is True
    assert cached(key)[1]["seen"] is True


def test_a_row_written_before_the_flag_is_deleted_at_the_key_change(engine, db):
    """A session cached as (expiry, data) by an earlier release may have a row: the key change
    deletes it rather than leaving the old key to open it."""
    store = engine.SessionStore()
    store["signin"] = {"username": "ani"}
    store.save()
    key = store.session_key
    Session.objects.create(
        session_key=key,
        session_data=store.encode({"signin": {}}),
        expire_date=store.get_expiry_date(),
    )
    expires_at, data, _flag = cached(key)
    caches["default"].set(sessions.KEY_PREFIX + key, (expires_at, data), 60)

    loaded = engine.SessionStore(key)
    loaded.cycle_key()
    assert not Session.objects.filter(session_key=key).exists()


@override_settings(SESSION_ENGINE="sso.sessions")
def test_pages_that_only_read_the_session_write_nothing(user, phone, monkeypatch):
    """One save per request that changed the session, none on a GET of the sign-in's pages."""
    saves: list[str] = []
    original = sessions.SessionStore.save

    def counting_save(self, must_create=False):  # type: ignore[no-untyped-def]
        if not must_create:  # not the inner call of a new session's create()
            saves.append(self.session_key or "new")
        return original(self, must_create)

    monkeypatch.setattr(sessions.SessionStore, "save", counting_save)
    client = Client()
    steps = [
        ("get", "/accounts/login/", None),
        ("post", "/accounts/login/", {"username": "ani"}),
        ("get", "/accounts/login/method/", None),
        ("get", "/accounts/login/password/", None),
        ("post", "/accounts/login/password/", {"password": PASSWORD}),
        ("get", "/security/challenge/", None),
        ("get", "/security/challenge/totp/", None),
        ("post", "/security/challenge/totp/", {"code": "CODE"}),
        ("get", "/security/challenge/confirm/", None),
        ("post", "/security/challenge/confirm/", {"remember": "on"}),
        ("get", "/", None),
    ]
    for verb, url, data in steps:
        saves.clear()
        if data and data.get("code") == "CODE":
            data = {"code": phone.now()}
        response = getattr(client, verb)(url, data) if data else getattr(client, verb)(url)
        assert response.status_code in (200, 302), url
        assert len(saves) == (1 if verb == "post" else 0), (verb, url, saves)
    assert Session.objects.count() == 1  # the signed-in session only


def _signed_in_store_with_new_key(engine):  # type: ignore[no-untyped-def]
    store = engine.SessionStore()
    store["signin"] = {"username": "ani"}
    store.save()
    store.cycle_key()  # as django.contrib.auth.login does
    store[SESSION_KEY] = "1"
    return store


def test_a_row_written_with_the_sign_ins_rows_is_not_written_again(engine, db):
    """The signed-in session's first row goes in the statement of the sign-in's rows
    (accounts.inserts.add_later); the save then takes the new key in the cache and writes no
    row when the session did not change since."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = _signed_in_store_with_new_key(engine)
    store.new_row_elsewhere().save(force_insert=True)  # as the sign-in's statement writes it
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert queries.captured_queries == []
    assert cached(store.session_key)[1] == {"signin": {"username": "ani"}, SESSION_KEY: "1"}
    row = Session.objects.get(session_key=store.session_key)
    assert row.get_decoded() == {"signin": {"username": "ani"}, SESSION_KEY: "1"}


def test_a_change_after_the_row_was_written_with_the_sign_ins_rows_is_saved(engine, db):
    store = _signed_in_store_with_new_key(engine)
    store.new_row_elsewhere().save(force_insert=True)
    store["seen"] = "Home, after the statement"
    store.save()
    row = Session.objects.get(session_key=store.session_key)
    assert row.get_decoded()["seen"] == "Home, after the statement"
    caches["default"].clear()  # the row alone must carry the session now
    assert engine.SessionStore(store.session_key)["seen"] == "Home, after the statement"


def test_no_row_elsewhere_for_a_session_not_signed_in_or_with_its_row(engine, db):
    before = engine.SessionStore()
    before["signin"] = {"username": "ani"}
    before.save()
    assert before.new_row_elsewhere() is None  # before sign-in: the cache only
    signed_in = engine.SessionStore(signed_in_key(engine))
    signed_in.load()
    assert signed_in.new_row_elsewhere() is None  # its row exists: the save updates it


@override_settings(SESSION_ENGINE="sso.sessions")
def test_a_sign_in_writes_its_session_row_with_its_other_rows(user, phone):
    """A whole sign-in: the session's row, written in the statement of the sign-in's rows, is
    the session as the request left it, and carries the signed-in pages without the cache."""
    client = Client()
    client.post("/accounts/login/password/", {"username": "ani", "password": PASSWORD})
    client.post("/security/challenge/totp/", {"code": phone.now()})
    home = client.post("/security/challenge/confirm/", {"remember": "on"})
    assert home.status_code == 200
    key = client.cookies["sessionid"].value
    row = Session.objects.get(session_key=key)
    assert row.get_decoded() == cached(key)[1]
    assert row.get_decoded()[SESSION_KEY] == str(user.pk)
    caches["default"].clear()  # Redis restarted empty
    page = client.get("/")
    assert page.status_code == 200 and user.get_full_name() in page.text


def test_a_block_that_fails_writes_no_session_row(engine, db, rf):
    """The sign-in's audit rows are written however its block ends; the session's row only
    when it ends well (a failed sign-in sends no session cookie)."""
    from accounts import inserts

    store = _signed_in_store_with_new_key(engine)
    request = rf.get("/")
    with pytest.raises(RuntimeError), inserts.together(request):
        inserts.add_later(request, store.new_row_elsewhere)
        raise RuntimeError("the sign-in failed after login")
    assert not Session.objects.filter(session_key=store.session_key).exists()


def _signed_in_with_the_authenticator(phone, time_machine) -> Client:  # type: ignore[no-untyped-def]
    """A browser signed in as ani with her authenticator (step-up tests take the next code)."""
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    client = Client()
    client.post("/accounts/login/", {"username": "ani"})
    client.post("/accounts/login/password/", {"password": PASSWORD})
    client.post("/security/challenge/totp/", {"code": phone.now()})
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert client.get("/accounts/profile/").status_code == 200
    return client


def _sign_out_everywhere_while_answering(monkeypatch, module, user, path: str) -> list[int]:
    """Makes ``module.show_in_place`` (the answer of a step, rendered once the step's rows are
    written) first sign ``user`` out everywhere, as an admin's Sign out everywhere (or an
    account lock, or Where you're signed in) in another request at that moment; the number of
    sessions it ended, one per answer of ``path``."""
    from accounts import sessions as user_sessions

    real = module.show_in_place
    ended: list[int] = []

    def ended_meanwhile(request, url):  # type: ignore[no-untyped-def]
        if request.path == path:
            ended.append(user_sessions.end_other_sessions(None, user))
        return real(request, url)

    monkeypatch.setattr(module, "show_in_place", ended_meanwhile)
    return ended


def assert_signed_out(client, key: str) -> None:  # type: ignore[no-untyped-def]
    """The browser's session ``key`` is ended in both stores, and its next page is the
    sign-in's, also once the cache is emptied (a Redis restart)."""
    assert cached(key) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/accounts/profile/").status_code == 302
    caches["default"].clear()
    assert client.get("/accounts/profile/").status_code == 302


@override_settings(SESSION_ENGINE="sso.sessions")
@pytest.mark.parametrize("changed", [False, True], ids=["as-written", "changed-after"])
def test_a_sign_in_signed_out_everywhere_while_it_answers_stays_signed_out(
    make_user, monkeypatch, changed
):
    """Sign out everywhere finds a session by its UserSession row, written in the sign-in's
    statement; one that ran before the sign-in's answer was sent deleted a key the cache did
    not hold yet, and the save at the response took it: the session lived on in Redis,
    listed nowhere, out of reach of every later sign-out until it expired."""
    from accounts.signin import views as signin_views

    budi = make_user("budi")  # no second factor: the password signs him in
    ended = _sign_out_everywhere_while_answering(
        monkeypatch, signin_views, budi, "/accounts/login/password/"
    )
    if changed:  # the answer changes the session after the statement (a message, a mark)
        real_render = signin_views.show_in_place

        def changing(request, url):  # type: ignore[no-untyped-def]
            response = real_render(request, url)
            request.session["seen"] = "after the statement"
            return response

        monkeypatch.setattr(signin_views, "show_in_place", changing)
    client = Client()
    client.post("/accounts/login/", {"username": "budi"})
    client.post("/accounts/login/password/", {"password": PASSWORD})
    assert ended == [1]
    assert_signed_out(client, client.cookies["sessionid"].value)


@override_settings(SESSION_ENGINE="sso.sessions")
def test_a_step_up_signed_out_everywhere_while_it_answers_stays_signed_out(
    user, phone, monkeypatch, time_machine
):
    """A step-up gives the session a new key and moves its UserSession row to it at once
    (accounts.sessions.cycle_key); Sign out everywhere in another request before the answer
    was sent ended a key the cache did not hold yet, and the save took it."""
    from mfa import flows as mfa_flows

    client = _signed_in_with_the_authenticator(phone, time_machine)
    ended = _sign_out_everywhere_while_answering(
        monkeypatch, mfa_flows, user, "/security/challenge/confirm/"
    )
    time_machine.shift(30)  # the next code of the authenticator
    client.get("/security/step-up/", {"next": "/"})
    client.post("/security/challenge/totp/", {"code": phone.now()})
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert ended == [1]
    assert_signed_out(client, client.cookies["sessionid"].value)


@override_settings(SESSION_ENGINE="sso.sessions")
def test_a_step_up_signed_out_between_its_key_change_and_its_row_move_stays_signed_out(
    user, phone, monkeypatch, time_machine
):
    """Sign out everywhere lands between the step-up's key change and the move of its
    UserSession row (the row still on the old key: it ends that key and deletes the row). The
    row's move then finds nothing: the session, under its new key, would go on unlisted and out
    of reach of every later sign-out. It is ended there, and the step-up's browser signed out."""
    from accounts import sessions as user_sessions

    client = _signed_in_with_the_authenticator(phone, time_machine)
    taken = sessions.SessionStore.take_new_key
    ended: list[int] = []
    new_keys: list[str] = []

    def signed_out_meanwhile(self):  # type: ignore[no-untyped-def]
        if not ended:
            ended.append(user_sessions.end_other_sessions(None, user))
            new_keys.append(self.session_key)
        return taken(self)

    monkeypatch.setattr(sessions.SessionStore, "take_new_key", signed_out_meanwhile)
    time_machine.shift(30)  # the next code of the authenticator
    client.get("/security/step-up/", {"next": "/"})
    client.post("/security/challenge/totp/", {"code": phone.now()})
    answer = client.post("/security/challenge/confirm/", {"remember": "on"})
    assert ended == [1]
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    assert not UserSession.objects.filter(user=user).exists()
    (new_key,) = new_keys
    assert cached(new_key) is None  # the new key lives on nowhere
    assert not Session.objects.filter(session_key=new_key).exists()
    assert sessions.SessionStore(new_key).load() == {}
    assert client.get("/accounts/profile/").status_code == 302
    caches["default"].clear()
    assert client.get("/accounts/profile/").status_code == 302
