"""The portal's Indonesian for strings of Django and django-import-export that it shows (the
password forms, the admin's import pages) lives in locale/libraries/: makemessages, run as
locale/README.md says, rewrites locale/id/ from the portal's own sources and would drop them
from there (they are in no source of the portal's)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LIBRARIES = Path(settings.BASE_DIR) / "locale" / "libraries" / "id" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize(
    ("english", "indonesian"),
    [
        ("Old password", "Kata sandi lama"),
        ("Password confirmation", "Ulangi kata sandi"),
        ("File to import", "Berkas yang diimpor"),
        ("Confirm import", "Konfirmasi impor"),
    ],
)
def test_library_strings_speak_the_portals_indonesian(english, indonesian):
    with translation.override("id"):
        assert translation.gettext(english) == indonesian
    assert f'msgid "{english}"' in LIBRARIES.read_text(encoding="utf-8")


def test_the_portals_catalogue_comes_first():
    assert [Path(p) for p in settings.LOCALE_PATHS][:2] == [
        Path(settings.BASE_DIR) / "locale",
        Path(settings.BASE_DIR) / "locale" / "libraries",
    ]
