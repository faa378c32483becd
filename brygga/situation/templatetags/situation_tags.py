"""Template filters of the lägesbild: ``{{ key|column_label }}`` (see ``columns.py``)."""

from django import template

from ..columns import column_label as _column_label

register = template.Library()


@register.filter
def column_label(key) -> str:
    return _column_label(str(key))
