from django import template
from django.forms import BoundField
from django.forms.boundfield import BoundWidget
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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
