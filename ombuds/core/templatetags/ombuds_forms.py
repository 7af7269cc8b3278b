from django import template
from django.forms import BoundField
from django.forms.boundfield import BoundWidget
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

# The option templates of Django's radio buttons and checkbox lists, which `option_tag` writes out.
OPTION_TEMPLATES = frozenset(
    {"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"}
)


@register.filter
def described(field: BoundField) -> str:
    """Render a field's widget with aria-describedby naming its hint and its error, and aria-invalid."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    attrs = {}
    if field.errors:
        ids.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return field.as_widget(attrs=attrs)


@register.filter
def widget_kind(field: BoundField) -> str:
    """ "choices" for radio buttons and checkbox lists (a fieldset), "checkbox" for one box, else "input"."""
    from django.forms import CheckboxInput, CheckboxSelectMultiple, RadioSelect

    widget = field.field.widget
    if isinstance(widget, RadioSelect | CheckboxSelectMultiple):
        return "choices"
    if isinstance(widget, CheckboxInput):
        return "checkbox"
    return "input"


@register.filter
def option_tag(option: BoundWidget) -> SafeString:
    """``option.tag`` of a radio button or a checkbox of a list (its ``<input>``, the label apart),
    the same HTML as Django's option templates write, without going through them: a page with a
    code's provisions to tick renders dozens, each three nested templates. Any other option
    template (a widget of its own) is rendered by Django."""
    data = option.data
    if data["template_name"] not in OPTION_TEMPLATES:
        return option.tag()
    # As django/forms/widgets/input.html and attrs.html: value and attributes through
    # stringformat:'s' and autoescape (format_html escapes what is not marked safe already).
    parts = [format_html('<input type="{}" name="{}"', data["type"], data["name"])]
    if data["value"] is not None:
        parts.append(format_html(' value="{}"', data["value"]))
    for name, value in data["attrs"].items():
        if value is True:
            parts.append(format_html(" {}", name))
        elif value is not False:
            parts.append(format_html(' {}="{}"', name, value))
    parts.append(">")
    return mark_safe("".join(parts))


def _errors_html(field: BoundField) -> str:
    """As ``<p class="error-text" …>{{ field.errors|join:" " }}</p>`` with autoescape."""
    text = " ".join(conditional_escape(error) for error in field.errors)
    return format_html('<p class="error-text" id="{}_error">{}</p>', field.auto_id, mark_safe(text))


def _hint_html(field: BoundField, help_text: str) -> str:
    return format_html('<p class="hint" id="{}_helptext">{}</p>', field.auto_id, help_text)


@register.filter
def field_html(field: BoundField) -> SafeString:
    """``{% include "includes/field.html" %}`` for ``field``, written out: the same HTML (its
    label, hint, error and widget, radio buttons and checkbox lists in a fieldset), without an
    include and a dozen tags for each field of a long form (the public complaint form has 19).
    tests/core/test_field_html.py compares the two for every kind of field, bound and not."""
    kind, errors = widget_kind(field), field.errors
    help_text = str(field.help_text or "")
    error = _errors_html(field) if errors else ""
    hint = _hint_html(field, help_text) if help_text else ""
    label = conditional_escape(str(field.label))
    if kind == "checkbox":
        inner = format_html(
            '\n  {}\n  <div class="checkbox">{} <label for="{}">{}</label></div>\n  {}\n  ',
            error, described(field), field.id_for_label, label, hint,
        )  # fmt: skip
    elif kind == "choices":
        aria = ""
        if help_text or errors:
            ids = (f"{field.auto_id}_helptext " if help_text else "") + (
                f"{field.auto_id}_error" if errors else ""
            )
            aria = format_html(' aria-describedby="{}"', ids)
        options = "".join(
            format_html(
                '<div class="radio">{} <label for="{}">{}</label></div>',
                option_tag(radio),
                radio.id_for_label,
                str(radio.choice_label),
            )
            for radio in field
        )
        inner = format_html(
            '\n  <fieldset{}><legend>{}</legend>\n    {}\n    {}\n    <div class="choices">{}'
            "</div>\n  </fieldset>\n  ",
            aria, label, hint, error, mark_safe(options),
        )  # fmt: skip
    else:
        optional = ""
        if not field.field.required:
            optional = format_html(' <span class="optional">{}</span>', gettext("(optional)"))
        inner = format_html(
            '\n  <label for="{}">{}{}</label>\n  {}\n  {}\n  {}\n  ',
            field.id_for_label, label, optional, hint, error, described(field),
        )  # fmt: skip
    classes = "field field-error" if errors else "field"
    return format_html('<div class="{}">\n  {}\n</div>\n', classes, inner)
