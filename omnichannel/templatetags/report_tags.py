from django import template

register = template.Library()


@register.filter
def cell(row: dict, key: str) -> str:
    """A report cell: seconds rounded to one decimal, a dash for nothing measured."""
    value = row.get(key)
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
