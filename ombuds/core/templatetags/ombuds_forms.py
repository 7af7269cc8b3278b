from django import template
from django.forms import BoundField

register = template.Library()


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
