"""The template loader: Django's cached loader, with each template compiled once per language
and its constant tags rendered at compile time.

Most of what a page's template computes at every request is the same for everyone who reads
it in the same language: ``{% translate "Sign in" %}``, ``{% url 'accounts:login' %}``,
``{% static 'css/portal.css' %}``. Each costs 5-20 µs of tag machinery per render, and the base
template and a sign-in page hold dozens. This loader keeps one compiled copy of a template per
active language (and script prefix and URL conf, which ``{% url %}`` depends on) and, when it
compiles it, replaces those tags by the text they render, joined to the text around them: the
page renders the same HTML, with the tags' work done once per worker.

A tag is folded only when its output cannot depend on the request: a literal argument, no
``as`` variable, no filter; ``{% blocktranslate %}`` only without variables; a ``{% url %}`` of a
namespace with one instance (so ``current_app`` cannot choose another); simple tags only when
marked ``constant`` (their output depends on settings and the active language alone). Nothing
inside ``{% language %}`` (another language) or ``{% autoescape %}`` is folded. A tag that fails
at compile time (an unknown URL name, a static file missing from the manifest) is left as it is,
to fail at render as before.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from weakref import WeakSet

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms.renderers import DjangoTemplates
from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.template.backends.django import copy_exception
from django.template.base import Node, NodeList, TextNode
from django.template.defaulttags import (
    AutoEscapeControlNode,
    CommentNode,
    IfNode,
    LoadNode,
    URLNode,
)
from django.template.library import SimpleNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockNode, ExtendsNode, IncludeNode
from django.template.loaders import cached
from django.templatetags.i18n import BlockTranslateNode, LanguageNode, TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_resolver, get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString

_LOADERS: WeakSet[Loader] = WeakSet()
# Distinct (language, script prefix, URL conf) sets of compiled templates a worker keeps; past
# that the least recently used set is dropped. A deployment has a few (its languages, one
# prefix); a proxy passing a client's SCRIPT_NAME through would otherwise let each new prefix
# compile and keep a whole set for good (about 57 KB each: memory exhaustion).
_FOLDED_SETS_KEPT = 8


def constant(func: Callable[..., str]) -> Callable[..., str]:
    """Marks a simple tag whose output depends only on settings and the active language."""
    func.constant_per_language = True  # type: ignore[attr-defined]
    return func


class Loader(cached.Loader):
    """``django.template.loaders.cached.Loader``, one compiled template per language, folded."""

    def __init__(self, engine, loaders) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, loaders)
        self._folding: set[str] = set()
        self._folded_sets: OrderedDict[str, None] = OrderedDict()  # least recently used first
        _LOADERS.add(self)

    def cache_key(self, template_name: str, skip: Any = None) -> str:
        folded_for = f"{translation.get_language()}|{get_script_prefix()}|{get_urlconf()}"
        self._keep_set(folded_for)
        return f"{folded_for}|{super().cache_key(template_name, skip)}"

    def _keep_set(self, folded_for: str) -> None:
        """Marks the compiled set ``folded_for`` as just used; drops the least recently used
        set's templates when more than ``_FOLDED_SETS_KEPT`` are kept."""
        sets = self._folded_sets
        if folded_for in sets:
            sets.move_to_end(folded_for)
            return
        sets[folded_for] = None
        if len(sets) > _FOLDED_SETS_KEPT:
            dropped = sets.popitem(last=False)[0] + "|"
            cache = self.get_template_cache
            for key in [key for key in cache if key.startswith(dropped)]:
                del cache[key]

    def reset(self) -> None:
        super().reset()
        self._folded_sets.clear()

    def get_template(self, template_name: str, skip: Any = None) -> Template:
        key = self.cache_key(template_name, skip)
        found = self.get_template_cache.get(key)
        if isinstance(found, Template):
            return found
        if found is not None:  # a missing template: the parent class raises as it should
            return super().get_template(template_name, skip)
        # Compiled, then folded before anyone else can see it.
        try:
            template = cached.BaseLoader.get_template(self, template_name, skip)
        except TemplateDoesNotExist as error:  # remembered as the parent class does
            debug = self.engine.debug
            self.get_template_cache[key] = copy_exception(error) if debug else TemplateDoesNotExist
            raise
        if self.engine.autoescape and template_name not in self._folding:
            self._folding.add(template_name)  # a template that includes itself
            try:
                fold(template.nodelist, self.engine)
            finally:
                self._folding.discard(template_name)
            template.nodelist = _FoldedNodeList(template.nodelist)
        self.get_template_cache[key] = template
        return template


class _FoldedNodeList(NodeList):
    """A compiled template's node list, which nothing changes any more: ``{% extends %}`` looks
    for the parent's blocks at every render, and finds them here once."""

    def get_nodes_by_type(self, nodetype: type) -> list[Node]:
        found = self.__dict__.setdefault("_by_type", {})
        if nodetype not in found:
            found[nodetype] = super().get_nodes_by_type(nodetype)
        return found[nodetype]


def fold(nodelist: NodeList, engine: Engine) -> None:
    """Replaces, in place, the constant tags of ``nodelist`` (and of the node lists inside its
    tags) by the text they render, and joins neighbouring text. An ``{% include %}`` or an
    ``{% extends %}`` of a named template gets that template (compiled and folded for the same
    language) once, instead of looking it up at every render; a ``{% block %}`` that holds only
    text gives that text without the block machinery."""
    folded: list[Node] = []
    for node in nodelist:
        text = _constant_text(node)
        if text is None:
            _fold_children(node, engine)
            if isinstance(node, IncludeNode):
                _resolve_include(node, engine)
            elif isinstance(node, ExtendsNode):
                _resolve_extends(node, engine)
            elif type(node) is BlockNode:
                _mark_text_block(node)
            elif type(node) is URLNode and _rememberable(node):
                node.__class__ = _RememberedURL
                node.urls = {}
        else:
            node = TextNode(text)
        if isinstance(node, TextNode) and folded and isinstance(folded[-1], TextNode):
            folded[-1] = TextNode(folded[-1].s + node.s)
        else:
            folded.append(node)
    nodelist[:] = [node for node in folded if not (isinstance(node, TextNode) and not node.s)]


def _fold_children(node: Node, engine: Engine) -> None:
    if isinstance(node, LanguageNode | AutoEscapeControlNode):
        return  # rendered in another language, or with other escaping: left as it is
    if isinstance(node, IfNode):  # its ``nodelist`` is a new list of the same nodes
        for _condition, nodelist in node.conditions_nodelists:
            fold(nodelist, engine)
        return
    for attribute in node.child_nodelists:
        child = getattr(node, attribute, None)
        if isinstance(child, NodeList):
            fold(child, engine)


class _Compiled:
    """An ``{% include %}``'s template name, resolved: IncludeNode renders a template object
    it is given as it is (no loader call, no per-render cache)."""

    def __init__(self, template: Template) -> None:
        self.template = template

    def resolve(self, context: Context) -> Template:
        return self.template


def _compiled(expression: Any, engine: Engine, refused: Callable[[str], bool]) -> Any:
    """The template a literal name in ``expression`` names, compiled once, or ``expression``
    as it was: when it is not a literal string, ``refused(name)`` is true, or the template is
    missing (it then fails at render, as it would have)."""
    if isinstance(expression, _Compiled) or not _literal(expression):
        return expression
    name = _literal_value(expression)
    if not isinstance(name, str) or refused(name):
        return expression
    try:
        return _Compiled(engine.get_template(name))
    except TemplateDoesNotExist:
        return expression


def _resolve_include(node: IncludeNode, engine: Engine) -> None:
    """The template of ``{% include "name" %}``, found once (not a relative name)."""
    node.template = _compiled(node.template, engine, lambda name: name.startswith(("./", "../")))


def _resolve_extends(node: ExtendsNode, engine: Engine) -> None:
    """The parent of ``{% extends "name" %}``, found once. Not when a template extends its own
    name (the admin's pattern): then Django looks past this template's own file, at every render.
    """
    own_name = getattr(node.origin, "template_name", None)
    node.parent_name = _compiled(node.parent_name, engine, lambda name: name == own_name)


class _TextBlock(BlockNode):
    """A ``{% block %}`` that renders the text of the block chosen for it (its own, or the one
    of a child template that overrides it) directly when that block holds only text: the new
    block object, the pushed context and the block queue's pop and push that ``BlockNode``
    makes for ``{{ block.super }}`` and the tags inside change nothing there."""

    text: SafeString | None = None

    def render(self, context: Context) -> str:
        block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
        chosen = block_context.get_block(self.name) if block_context is not None else None
        text = getattr(chosen or self, "text", None)
        if text is not None:
            return text
        return super().render(context)


def _mark_text_block(node: BlockNode) -> None:
    if all(isinstance(child, TextNode) for child in node.nodelist):
        node.text = SafeString("".join(child.s for child in node.nodelist))
    node.__class__ = _TextBlock  # the same object: ExtendsNode's ``blocks`` holds it


# Distinct arguments remembered per ``{% url %}`` tag (method slugs, a user's few passkeys);
# past that, the tag reverses at each render as before.
_URLS_REMEMBERED = 64


class _RememberedURL(URLNode):
    """A ``{% url 'name' arg %}`` of a compiled copy (one language, script prefix and URL conf),
    that remembers the URL of each argument it met: ``reverse`` costs 20-30 µs, a dict lookup
    one. Only plain str and int arguments, which ``reverse`` turns into the same text each
    time; an unknown name or arguments that match nothing raise at each render, as before."""

    urls: dict[tuple[Any, ...], str]

    def render(self, context: Context) -> str:
        if not context.autoescape:
            return super().render(context)
        key = (
            *(arg.resolve(context) for arg in self.args),
            *(item for name, arg in self.kwargs.items() for item in (name, arg.resolve(context))),
        )
        if not all(type(item) in (str, int) for item in key):
            return super().render(context)
        url = self.urls.get(key)
        if url is None:
            url = super().render(context)
            if len(self.urls) < _URLS_REMEMBERED:
                self.urls[key] = url
        return url


def _rememberable(node: URLNode) -> bool:
    """A literal view name with one instance (``current_app`` cannot change the URL) and no
    ``as`` variable; the arguments may be variables."""
    return (
        node.asvar is None
        and _literal(node.view_name)
        and _one_instance(str(_literal_value(node.view_name)))
    )


def _constant_text(node: Node) -> str | None:
    """What ``node`` renders, when that cannot depend on the request; else None."""
    if isinstance(node, CommentNode | LoadNode):
        return ""
    if not _is_constant(node):
        return None
    try:
        return str(node.render(Context(autoescape=True)))
    except Exception:  # it fails at render, as it would have without folding
        return None


def _literal(expression: Any) -> bool:
    """A quoted string or a number, without filters."""
    if expression.filters:
        return False
    return not expression.is_var or expression.var.lookups is None


def _literal_value(expression: Any) -> Any:
    return expression.var.literal if expression.is_var else expression.var


def _is_constant(node: Node) -> bool:
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None and node.message_context is None and _literal(node.filter_expression)
        )
    if isinstance(node, BlockTranslateNode):
        tokens = [*node.singular, *(node.plural or ())]
        return (
            node.asvar is None
            and node.counter is None
            and node.message_context is None
            and not node.extra_context
            and all(token.token_type.name == "TEXT" for token in tokens)
        )
    if isinstance(node, URLNode):
        return (
            node.asvar is None
            and _literal(node.view_name)
            and all(_literal(arg) for arg in node.args)
            and all(_literal(arg) for arg in node.kwargs.values())
            and _one_instance(str(_literal_value(node.view_name)))
        )
    if isinstance(node, StaticNode):
        return node.varname is None and _literal(node.path)
    if isinstance(node, SimpleNode):
        return (
            getattr(node.func, "constant_per_language", False)
            and node.target_var is None
            and not node.args
            and not node.kwargs
        )
    return False


def _one_instance(view_name: str) -> bool:
    """No namespace of ``view_name`` is an application namespace with several instances (then
    ``{% url %}`` picks one by the request's ``current_app``)."""
    app_dict = get_resolver(get_urlconf()).app_dict
    namespaces = view_name.split(":")[:-1]
    return all(len(app_dict.get(namespace, ())) <= 1 for namespace in namespaces)


@receiver(setting_changed)
def _reset(**kwargs: Any) -> None:
    """Static URLs, URL confs and translations may change in tests: compile again."""
    for loader in _LOADERS:
        loader.reset()


# Django's widget templates that only include "django/forms/widgets/input.html".
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "password", "email", "number", "url", "tel", "search",
                 "hidden", "checkbox", "date", "datetime", "time", "color")
)  # fmt: skip


class FormRenderer(DjangoTemplates):
    """Django's default form renderer, with ``<input>`` written in Python.

    Each widget is a template (the widget's, ``input.html``, ``attrs.html``): about 100 µs for
    one text field. This renderer writes the same HTML as those templates for the plain inputs,
    from the context the widget gives them; every other template is rendered as before.
    """

    def render(self, template_name, context, request=None):  # type: ignore[no-untyped-def]
        if template_name in _INPUT_TEMPLATES and context.keys() == {"widget"}:
            return _input_html(context["widget"])
        return super().render(template_name, context, request)


def _input_html(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html`` and ``attrs.html``, escaped as the templates do."""
    parts = [f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{_formatted(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is True:
            parts.append(f" {_text(name)}")
        elif value is not False:
            parts.append(f' {_text(name)}="{_formatted(value)}"')
    parts.append(">")
    return "".join(parts)


def _text(value: Any) -> str:
    """``{{ value }}``."""
    if type(value) is str:  # most names and values: what ``escape`` does, without its wrappers
        return html.escape(value)
    return conditional_escape(localize(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps a safe string safe)."""
    if type(value) is str:  # not SafeString (a subclass): escaped, as ``escape`` would
        return html.escape(value)
    text = "%s" % (value,)  # noqa: UP031 - the filter's own formatting
    return text if isinstance(value, SafeData) else escape(text)
