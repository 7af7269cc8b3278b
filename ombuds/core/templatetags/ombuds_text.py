import markdown as md
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}


@register.filter
def markdown(text: str) -> str:
    """Staff-written Markdown as HTML, sanitised: no scripts, styles, images or raw attributes survive,
    and headings start at h2 so the page's own h1 stays the only one."""
    html = md.markdown(text or "", extensions=["sane_lists"])
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        link_rel="noopener noreferrer nofollow",
        url_schemes={"http", "https", "mailto"},
    )
    return mark_safe(clean)  # sanitised by nh3 just above
