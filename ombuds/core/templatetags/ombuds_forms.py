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
