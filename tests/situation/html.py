"""A small reader of rendered HTML for the section tests (Django's own parser, no extra
dependency): find elements by tag, class and attribute, and read their text."""

from django.test.html import Element, parse_html


def page_of(markup: str) -> Element:
    return parse_html(markup)


def _walk(node):
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            yield child
            yield from _walk(child)


def find(node, tag=None, *, cls=None, attr=None, **attrs) -> list[Element]:
    """Descendants of ``node`` with the tag (None: any), the CSS class ``cls``, the attribute
    ``attr`` present, and the attribute values ``attrs``."""
    out = []
    for el in _walk(node):
        a = dict(el.attributes)
        if tag is not None and el.name != tag:
            continue
        if cls is not None and cls not in (a.get("class") or "").split():
            continue
        if attr is not None and attr not in a:
            continue
        if any(a.get(k) != v for k, v in attrs.items()):
            continue
        out.append(el)
    return out


def text(node) -> str:
    parts = []
    for child in getattr(node, "children", []):
        parts.append(text(child) if isinstance(child, Element) else str(child))
    return " ".join(" ".join(parts).split())
