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


def _p(css: str, field: BoundField, suffix: str, text) -> str:
    return format_html('<p class="{}" id="{}_{}">{}</p>', css, field.auto_id, suffix, text)


@register.filter
def field_block(field: BoundField) -> SafeString:
    """A field with its label, hint and error, as ``includes/field.html`` shows it: a label above
    an input, a checkbox before its label, radio buttons and checkbox lists in a fieldset with a
    legend. Written here rather than as a template: a staff case page shows some twenty fields,
    and the template took a third of a millisecond for each. The HTML is that of the template it
    replaced (tests/core/test_field_block.py renders both)."""
    kind = widget_kind(field)
    errors = field.errors
    error = _p("error-text", field, "error", join_escaped(errors)) if errors else ""
    hint = _p("hint", field, "helptext", field.help_text) if field.help_text else ""
    label = conditional_escape(field.label)
    if kind == "checkbox":
        inner = format_html(
            '\n  {}\n  <div class="checkbox">{} <label for="{}">{}</label></div>\n  {}\n  ',
            error,
            described(field),
            field.id_for_label,
            label,
            hint,
        )
    elif kind == "choices":
        described_by = ""
        if field.help_text or errors:
            ids = (f"{field.auto_id}_helptext " if field.help_text else "") + (
                f"{field.auto_id}_error" if errors else ""
            )
            described_by = format_html(' aria-describedby="{}"', ids)
        radios = "".join(
            format_html(
                '<div class="radio">{} <label for="{}">{}</label></div>',
                option_tag(radio),
                radio.id_for_label,
                radio.choice_label,
            )
            for radio in field
        )
        inner = format_html(
            '\n  <fieldset{}><legend>{}</legend>\n    {}\n    {}\n    <div class="choices">{}</div>'
            "\n  </fieldset>\n  ",
            described_by,
            label,
            hint,
            error,
            mark_safe(radios),
        )
    else:
        optional = (
            ""
            if field.field.required
            else format_html(' <span class="optional">{}</span>', gettext("(optional)"))
        )
        inner = format_html(
            '\n  <label for="{}">{}{}</label>\n  {}\n  {}\n  {}\n  ',
            field.id_for_label,
            label,
            optional,
            hint,
            error,
            described(field),
        )
    css = "field field-error" if errors else "field"
    return format_html('<div class="{}">\n  {}\n</div>', css, inner)


def join_escaped(items) -> str:
    """``items|join:" "`` with autoescape on: each item escaped unless marked safe."""
    return mark_safe(" ".join(conditional_escape(item) for item in items))
