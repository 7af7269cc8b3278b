"""The site's frame (base.html) around each page, what of it is the same for every visitor worked out
once rather than once a request."""

from __future__ import annotations

import functools
from urllib.parse import quote

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
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


# Most fragments a `{% memo %}` keeps, per tag in a template; past it, the tag starts again empty.
MEMO_SIZE = 256


class MemoNode(template.Node):
    """``{% memo name=value … %}…{% endmemo %}``: the fragment rendered once per set of values, the
    active language and the address (the site's prefix and URL configuration), and kept in this
    process, except in DEBUG, where the template may be being edited.

    The fragment sees only the names given (no request, no user, nothing else of the page), so what
    it writes can depend on nothing the key does not hold: a variable it names without being given
    is empty, as the template engine writes a missing one. Each value is resolved by the page,
    each a plain value (a string or number, not a record whose other fields could change). For the
    parts of the public pages that are the same for every visitor of a body in a language (labels,
    headings, the links to the body's pages): translating and reversing them was most of the cost
    of rendering those pages."""

    def __init__(
        self, nodelist: template.NodeList, given: dict[str, template.base.FilterExpression]
    ):
        self.nodelist = nodelist
        self.given = given
        self.rendered: dict[tuple, str] = {}

    def render(self, context: template.Context) -> str:
        values = {name: value.resolve(context) for name, value in self.given.items()}
        key = (
            tuple(values.values()),
            get_language(),
            get_script_prefix(),
            get_urlconf() or settings.ROOT_URLCONF,
            context.autoescape,
        )
        if not settings.DEBUG:
            found = self.rendered.get(key)
            if found is not None:
                return found
        inner = template.Context(
            values, autoescape=context.autoescape, use_l10n=context.use_l10n, use_tz=context.use_tz
        )
        inner.template = context.template
        text = self.nodelist.render(inner)
        if not settings.DEBUG:
            if len(self.rendered) >= MEMO_SIZE:
                self.rendered.clear()
            self.rendered[key] = text
        return text


@register.tag
def memo(parser, token) -> MemoNode:
    bits = token.split_contents()[1:]
    given = template.base.token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError("{% memo %} takes name=value arguments only")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, given)
