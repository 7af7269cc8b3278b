"""The site's frame (base.html) around each page, what of it is the same for every visitor worked out
once rather than once a request."""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from urllib.parse import quote

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeData
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def body_nav(body) -> str:
    """The header's links to a body's pages (includes/body_nav.html), or nothing without a body.
    They are the same for every visitor of the body's pages in a language, and reversing and
    translating them cost a public page a fifth of its rendering: so each is rendered once per
    body, language and address (the site's prefix and URL configuration), except in DEBUG, where
    the template may be being edited."""
    if not body:
        return ""
    key = (
        body.slug,
        body.short_name,
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )
    return _body_nav.__wrapped__(*key) if settings.DEBUG else _body_nav(*key)


@functools.lru_cache(maxsize=1024)
def _body_nav(slug: str, short_name: str, language: str, prefix: str, urlconf: str) -> str:
    # The language, prefix and URL configuration are those active now: the key names them.
    return get_template("includes/body_nav.html").render(
        {"body": {"slug": slug, "short_name": short_name}}
    )


@register.simple_tag
def body_url(name: str, body) -> str:
    """``{% url name org=body.slug %}``, reversed once per body and address (the prefix and URL
    configuration) rather than once a page: a public page's links to its body's other pages."""
    key = (name, body.slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return _body_url.__wrapped__(*key) if settings.DEBUG else _body_url(*key)


@functools.lru_cache(maxsize=4096)
def _body_url(name: str, slug: str, prefix: str, urlconf: str) -> str:
    return reverse(name, kwargs={"org": slug})


@register.simple_tag
def site_url(name: str) -> str:
    """``{% url name %}`` for a page of the site's own without arguments (the home page, signing
    in), reversed once per address (the prefix and URL configuration) rather than once a page."""
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return _site_url.__wrapped__(*key) if settings.DEBUG else _site_url(*key)


@functools.lru_cache(maxsize=256)
def _site_url(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name)


# A personal link (a respondent's, a client's, an invitation, a password reset) is a secret: it
# never travels in a sign-in address.
_PERSONAL_PATHS = ("/respond/", "/client-complaints/", "/invitation/", "/reset/")


@register.simple_tag(takes_context=True)
def sign_in_url(context) -> str:
    """The header's sign-in address, back to this page afterwards (``?next=``) unless this page's
    address is a personal link."""
    request = context.get("request")
    path = request.path if request is not None else ""
    login = site_url("login")
    if any(personal in path for personal in _PERSONAL_PATHS):
        return login
    return f"{login}?next={quote(request.get_full_path() if request is not None else '')}"


# Most fragments a `{% memo %}` keeps, per tag in a template; past it, the least recently used goes.
MEMO_SIZE = 1024

# The values a key may hold: those whose equality is their text's. A record's other fields could
# change under one key; a list is not hashable; a safe string equals the same text unsafe, which
# the fragment would then write unescaped; True equals 1.
_PLAIN = (str, int, type(None))

# Tags that cannot work in a fragment that sees no page: a child's block override, a form's token.
_REFUSED = (BlockNode, CsrfTokenNode)

_MEMOS: weakref.WeakSet[MemoNode] = weakref.WeakSet()


class MemoNode(template.Node):
    """``{% memo name=value … %}…{% endmemo %}``: the fragment rendered once per set of values, the
    active language and the address (the site's prefix and URL configuration), and kept in this
    process, except in DEBUG, where the template may be being edited.

    The fragment sees only the names given (no request, no user, nothing else of the page), so what
    it writes can depend on nothing the key does not hold: a variable it names without being given
    is empty, as the template engine writes a missing one. Each value must be a plain string (not
    one marked safe), an integer or None, in every mode, DEBUG included; anything else is refused
    with TemplateSyntaxError. For the parts of the public pages that are the same for every visitor
    of a body in a language (labels, headings, the links to the body's pages): translating and
    reversing them was most of the cost of rendering those pages. ``{% url %}`` in a fragment has
    no current application (no request): it reverses a namespace the site includes once."""

    def __init__(
        self, nodelist: template.NodeList, given: dict[str, template.base.FilterExpression]
    ):
        self.nodelist = nodelist
        self.given = given
        self.rendered: OrderedDict[tuple, str] = OrderedDict()
        self.lock = threading.Lock()
        _MEMOS.add(self)

    def _values(self, context: template.Context) -> dict:
        values = {name: value.resolve(context) for name, value in self.given.items()}
        for name, value in values.items():
            if type(value) not in _PLAIN or isinstance(value, SafeData):
                raise template.TemplateSyntaxError(
                    f"{{% memo %}} keys on plain strings, integers and None: "
                    f"{name} is a {type(value).__name__}"
                )
        return values

    def render(self, context: template.Context) -> str:
        values = self._values(context)
        key = (
            tuple(values.values()),
            get_language(),
            get_script_prefix(),
            get_urlconf() or settings.ROOT_URLCONF,
            context.autoescape,
        )
        if not settings.DEBUG:
            with self.lock:
                found = self.rendered.get(key)
                if found is not None:
                    self.rendered.move_to_end(key)
                    return found
        inner = template.Context(
            values, autoescape=context.autoescape, use_l10n=context.use_l10n, use_tz=context.use_tz
        )
        inner.template = context.template
        text = self.nodelist.render(inner)
        if not settings.DEBUG:
            with self.lock:
                self.rendered[key] = text
                if len(self.rendered) > MEMO_SIZE:
                    self.rendered.popitem(last=False)
        return text

    def forget(self) -> None:
        with self.lock:
            self.rendered.clear()


@receiver(setting_changed)
def _forget_memos(**kwargs) -> None:
    """A setting changed (in a test): what every memo kept may have depended on it (static files'
    addresses, the languages)."""
    for node in list(_MEMOS):
        node.forget()


@register.tag
def memo(parser, token) -> MemoNode:
    bits = token.split_contents()[1:]
    given = template.base.token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError("{% memo %} takes name=value arguments only")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    for refused in _REFUSED:
        if nodelist.get_nodes_by_type(refused):
            raise template.TemplateSyntaxError(
                f"{{% memo %}} cannot hold a {refused.__name__}: the fragment sees no page"
            )
    return MemoNode(nodelist, given)
