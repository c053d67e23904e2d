"""The authorize step reads the client's row by a statement built once per process
(sso/oidc/rows.py, ``read_row``): the same instance the ORM's ``get`` gives, every field."""

import pytest
from django.db import connection

from sso.oidc import rows
from sso.oidc.models import Application

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="used on PostgreSQL only"),
]


def test_the_row_is_the_orms(make_app):
    make_app(allowed_origins="https://rp.example.test", skip_authorization=False)
    read = rows.read_row(Application, "client_id", "relying-app")
    orm = Application.objects.get(client_id="relying-app")
    assert read is not None and not read._state.adding
    for field in Application._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name


def test_an_unknown_client_is_none(relying_app):
    assert rows.read_row(Application, "client_id", "another-app") is None
