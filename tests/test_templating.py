"""The template loader that compiles each template once per language with its constant tags
rendered (sso/templating.py), and the form renderer that writes plain inputs without templates:
the HTML is what Django's own loader and renderer give, in both languages."""

import re

import pytest
from django import forms, urls
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.forms.renderers import DjangoTemplates
from django.template import Context, Engine, RequestContext, TemplateDoesNotExist, engines
from django.template.backends.django import get_installed_libraries
from django.template.context_processors import i18n as django_i18n
from django.test import RequestFactory
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.signin.forms import PasswordForm, UsernameForm
from mfa.forms import CodeForm, TrustForm
from mfa.methods import TotpMethod
from sso.context_processors import i18n as sso_i18n
from sso.templating import FormRenderer

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _plain_engine() -> Engine:
    """Django's own: the cached loader over the same folders, nothing folded."""
    folding = engines["django"].engine
    return Engine(
        dirs=folding.dirs,
        app_dirs=True,
        context_processors=folding.context_processors,
        libraries=get_installed_libraries(),
    )


def _request(path: str):  # type: ignore[no-untyped-def]
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = default_storage(request)
    return request


def _pages() -> dict[str, dict]:
    username = UsernameForm({"username": ""})
    username.is_valid()
    code = CodeForm({"code": "12"})
    code.is_valid()
    totp = TotpMethod()
    return {
        "accounts/username.html": {
            "form": UsernameForm(),
            "password_form": PasswordForm(),
            "next": "/x?a=1&b=<2>",
        },
        "accounts/method.html": {"form": PasswordForm(), "username": "o'brien<>"},
        "accounts/password.html": {"form": PasswordForm(), "username": "u", "location_enabled": 1},
        "mfa/challenge/method.html": {"method": totp, "hint": "6 digits", "form": code},
        "mfa/challenge/confirm.html": {"form": TrustForm(), "trust_days": 14},
        "accounts/home.html": {"applications": [{"name": "Wiki & more", "url": "https://w/?a&b"}]},
        "accounts/sign_out.html": {},
    }


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("name", list(_pages()))
def test_a_folded_page_renders_what_django_renders(name: str, language: str) -> None:
    plain = _plain_engine()
    with translation.override(language):
        request = _request("/page/?q=<x>")
        context = _pages()[name]
        folded_html = engines["django"].get_template(name).render(context, request)
        plain_html = plain.get_template(name).render(RequestContext(request, context))
    assert CSRF.sub("", folded_html) == CSRF.sub("", plain_html)
    assert f'<html lang="{language}">' in folded_html


def _folding_engine(templates: dict[str, str]) -> Engine:
    return Engine(
        loaders=[("sso.templating.Loader", [("django.template.loaders.locmem.Loader", templates)])],
        libraries=get_installed_libraries(),
    )


def test_each_language_gets_its_own_copy_with_the_constant_tags_as_text() -> None:
    source = "{% load i18n static %}<a href=\"{% url 'home' %}\">{% translate 'Sign in' %}</a>"
    engine = _folding_engine({"t.html": source})
    with translation.override("id"):
        template = engine.get_template("t.html")
        assert [node.s for node in template.nodelist] == ['<a href="/">Masuk</a>']
        assert template.render(Context()) == '<a href="/">Masuk</a>'
    with translation.override("en"):
        assert engine.get_template("t.html").render(Context()) == '<a href="/">Sign in</a>'


def test_a_worker_keeps_few_compiled_sets_however_many_script_prefixes_it_meets() -> None:
    """A proxy passing a client's SCRIPT_NAME through must not let each new prefix compile and
    keep a whole set of templates for good: the least recently used sets are dropped."""
    from django.urls import set_script_prefix

    from sso.templating import _FOLDED_SETS_KEPT

    engine = _folding_engine({"t.html": "{% load i18n %}<a href=\"{% url 'home' %}\">x</a>"})
    loader = engine.template_loaders[0]
    try:
        for number in range(3 * _FOLDED_SETS_KEPT):
            set_script_prefix(f"/p{number}/")
            assert engine.get_template("t.html").render(Context()) == f'<a href="/p{number}/">x</a>'
        assert len(loader.get_template_cache) == _FOLDED_SETS_KEPT
        set_script_prefix("/p0/")  # dropped long ago: compiled again, with its own prefix
        assert engine.get_template("t.html").render(Context()) == '<a href="/p0/">x</a>'
    finally:
        set_script_prefix("/")


def test_nothing_is_folded_under_another_language_or_other_escaping() -> None:
    source = (
        "{% load i18n %}{% language 'id' %}{% translate 'Sign in' %}{% endlanguage %}|"
        "{% autoescape off %}{% translate 'Sign in' %}{% endautoescape %}"
    )
    engine = _folding_engine({"t.html": source})
    with translation.override("en"):
        assert engine.get_template("t.html").render(Context()) == "Masuk|Sign in"


def test_tags_that_depend_on_the_request_are_left_alone() -> None:
    source = (
        "{% load i18n %}{% translate word %}|{% url 'mfa:challenge_method' slug %}|"
        "{% translate 'Sign in' as label %}{{ label }}"
    )
    engine = _folding_engine({"t.html": source})
    with translation.override("en"):
        html = engine.get_template("t.html").render(Context({"word": "Next", "slug": "totp"}))
    assert html == "Next|/security/challenge/totp/|Sign in"


def test_a_missing_template_is_looked_for_once() -> None:
    engine = _folding_engine({})
    (loader,) = engine.template_loaders
    for _ in range(2):
        with pytest.raises(TemplateDoesNotExist):
            engine.get_template("missing.html")
    assert list(loader.get_template_cache.values()) == [TemplateDoesNotExist]


def test_a_broken_tag_fails_at_render_as_before() -> None:
    engine = _folding_engine(
        {"url.html": "{% url 'no-such-page' %}", "include.html": "{% include 'missing.html' %}"}
    )
    with pytest.raises(NoReverseMatch):
        engine.get_template("url.html").render(Context())
    with pytest.raises(TemplateDoesNotExist):
        engine.get_template("include.html").render(Context())


def test_an_include_is_looked_up_once_and_keeps_its_context() -> None:
    engine = _folding_engine(
        {
            "outer.html": "{% include 'inner.html' with who='you' %}{{ who|default:'-' }}",
            "inner.html": "{% load i18n %}{% translate 'Next' %} {{ who }}",
            "self.html": "{% if deeper %}{% include 'self.html' with deeper=False %}{% endif %}x",
        }
    )
    with translation.override("en"):
        assert engine.get_template("outer.html").render(Context()) == "Next you-"
        assert engine.get_template("self.html").render(Context({"deeper": True})) == "xx"


class Everything(forms.Form):
    text = forms.CharField(
        max_length=10, widget=forms.TextInput(attrs={"autofocus": True, "data-x": False})
    )
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), help_text="Help")
    email = forms.EmailField(required=False)
    number = forms.IntegerField(min_value=0)
    hidden = forms.CharField(widget=forms.HiddenInput)
    box = forms.BooleanField(required=False)
    on = forms.BooleanField(initial=True)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": '"><script>', "secret": "a&b", "number": "0", "hidden": "x'y", "box": "on"},
        {"text": mark_safe("<b>safe</b>"), "email": "not an address", "when": "2026-11-30"},
    ],
)
def test_the_form_renderer_writes_the_inputs_django_writes(data) -> None:  # type: ignore[no-untyped-def]
    fast = Everything(data, renderer=FormRenderer())
    slow = Everything(data, renderer=DjangoTemplates())
    fast.is_valid()
    slow.is_valid()
    for name in Everything.base_fields:
        assert str(fast[name]) == str(slow[name])
    assert fast.as_div() == slow.as_div()


BLOCKS = {
    "base.html": (
        "<title>{% block title %}Portal{% endblock %}</title>{% block head %}{% endblock %}"
        "<main class='{% block main_class %}page{% endblock %}'>{% block content %}"
        "base {{ who }}{% endblock %}</main>{% block scripts %}<script>{% endblock %}"
    ),
    "middle.html": (
        "{% extends 'base.html' %}{% block title %}Middle{% endblock %}"
        "{% block content %}[{{ block.super }}] middle{% endblock %}"
    ),
    "page.html": (
        "{% extends 'middle.html' %}{% block main_class %}card{% endblock %}"
        "{% block title %}{{ block.super }} page{% endblock %}"
        "{% block scripts %}{{ block.super }} again{% endblock %}"
    ),
}


def _django_render(templates: dict[str, str], name: str, context: dict) -> str:
    engine = Engine(loaders=[("django.template.loaders.locmem.Loader", templates)])
    return engine.get_template(name).render(Context(context))


@pytest.mark.parametrize("name", list(BLOCKS))
def test_blocks_and_extends_render_what_django_renders(name: str) -> None:
    engine = _folding_engine(BLOCKS)
    html = engine.get_template(name).render(Context({"who": "<you>"}))
    assert html == _django_render(BLOCKS, name, {"who": "<you>"})


def test_an_extends_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _folding_engine(BLOCKS)
    template = engine.get_template("page.html")
    template.render(Context())
    looked_up: list[str] = []
    monkeypatch.setattr(engine, "find_template", lambda name, *a, **k: looked_up.append(name))
    assert template.render(Context()) == _django_render(BLOCKS, "page.html", {})
    assert looked_up == []


def test_a_template_extending_its_own_name_still_finds_the_next_one() -> None:
    engine = Engine(
        loaders=[
            (
                "sso.templating.Loader",
                [
                    ("django.template.loaders.locmem.Loader", {"page.html": _OVERRIDE}),
                    ("django.template.loaders.locmem.Loader", {"page.html": _ORIGINAL}),
                ],
            )
        ]
    )
    assert engine.get_template("page.html").render(Context()) == "<h1>Ours</h1>"


_ORIGINAL = "<h1>{% block title %}Theirs{% endblock %}</h1>"
_OVERRIDE = "{% extends 'page.html' %}{% block title %}Ours{% endblock %}"


def test_a_url_with_arguments_is_reversed_once_per_argument(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = "{% for slug in slugs %}{% url 'mfa:challenge_method' slug %} {% endfor %}"
    engine = _folding_engine({"t.html": source})
    template = engine.get_template("t.html")
    slugs = ["totp", "email", "totp", "sms", 7, "email"]
    expected = _django_render({"t.html": source}, "t.html", {"slugs": slugs})
    reversed_: list[object] = []
    real_reverse = urls.reverse

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reversed_.append(kwargs["args"])
        return real_reverse(*args, **kwargs)

    monkeypatch.setattr(urls, "reverse", counting)
    assert template.render(Context({"slugs": slugs})) == expected
    assert template.render(Context({"slugs": slugs})) == expected
    assert reversed_ == [["totp"], ["email"], ["sms"], [7]]
    assert "/security/challenge/sms/ /security/challenge/7/" in expected


def test_a_url_that_matches_nothing_fails_at_each_render() -> None:
    template = _folding_engine({"t.html": "{% url 'mfa:challenge_method' slug %}"}).get_template(
        "t.html"
    )
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            template.render(Context({"slug": "a/b"}))


@pytest.mark.parametrize("language", ["en", "id", "ar"])
def test_the_languages_context_is_djangos(language: str, settings) -> None:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    with translation.override(language):
        assert sso_i18n(request) == django_i18n(request)
    settings.LANGUAGES = [("ar", "Arabic"), ("en", "English")]
    with translation.override(language):
        assert sso_i18n(request) == django_i18n(request)
        assert sso_i18n(request)["LANGUAGES"] == [("ar", "Arabic"), ("en", "English")]


class Labelled(forms.Form):
    plain = forms.CharField(label="Name <&>")
    helped = forms.CharField(help_text="Use <b>8</b> characters", required=False)
    box = forms.BooleanField(required=False, label=gettext_lazy("Trust this device"))


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(
    "form",
    [
        UsernameForm(),
        PasswordForm(),
        CodeForm(None),
        CodeForm({"code": "12"}),
        UsernameForm({"username": ""}),
        Labelled({"plain": "", "helped": "x"}),
        Labelled(None, auto_id=False),
        Labelled(None, prefix="p"),
    ],
    ids=repr,
)
def test_the_field_tag_writes_what_field_html_writes(form: forms.Form, language: str) -> None:
    engine = engines["django"]
    tag = engine.from_string("{% load layout %}{% field bound %}")
    include = engine.from_string('{% include "field.html" with field=bound %}')
    with translation.override(language):
        form.is_valid()
        for name in form.fields:
            html = tag.render({"bound": form[name]})
            assert html == include.render({"bound": form[name]})
