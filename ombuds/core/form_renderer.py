"""Django's form renderer, with its simplest widget templates written out in Python: an
``<input>`` (text, number, date, hidden… and a radio button or checkbox of a list) and a
``<textarea>``. The same HTML as the templates write (tests/core/test_form_renderer.py compares
them), without three nested templates for each: a staff case page renders dozens of widgets.
Every other template (a select, a list of choices, a widget of one's own) is rendered by Django."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

_WIDGETS = "django/forms/widgets/"
# The templates that are django/forms/widgets/input.html and nothing else.
INPUTS = frozenset(
    _WIDGETS + name + ".html"
    for name in [
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    ]
)
# An option of a radio or checkbox list: the input, and a label around it only when asked.
OPTIONS = frozenset({_WIDGETS + "radio_option.html", _WIDGETS + "checkbox_option.html"})
TEXTAREA = _WIDGETS + "textarea.html"


def attrs_html(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: each attribute but those False, a True one bare, the
    others through stringformat:'s' and autoescape."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(format_html(" {}", name))
        elif value is not False:
            parts.append(format_html(' {}="{}"', name, value))
    return "".join(parts)


def input_html(widget: dict) -> SafeString:
    """As django/forms/widgets/input.html."""
    value = widget["value"]
    shown = format_html(' value="{}"', value) if value is not None else ""
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        shown,
        mark_safe(attrs_html(widget["attrs"])),
    )


def textarea_html(widget: dict) -> SafeString:
    """As django/forms/widgets/textarea.html (its line break after the opening tag included)."""
    value = widget["value"]
    return mark_safe(
        format_html('<textarea name="{}"', widget["name"])
        + attrs_html(widget["attrs"])
        + ">\n"
        + (conditional_escape(value) if value else "")
        + "</textarea>"
    )


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's own, the simplest widgets written here."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            if template_name in INPUTS:
                return input_html(widget)
            if template_name in OPTIONS and not widget.get("wrap_label"):
                return input_html(widget)
            if template_name == TEXTAREA:
                return textarea_html(widget)
        return super().render(template_name, context, request)
