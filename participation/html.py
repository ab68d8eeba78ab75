"""Sanitising of user-supplied rich text: only a small set of tags survives, links are inert."""
from __future__ import annotations

import bleach
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _link_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener noreferrer ugc"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True,
    strip_comments=True, filters=[lambda source: bleach.linkifier.LinkifyFilter(
        source, callbacks=[_link_rel], skip_tags={"pre", "code"})],
)


def clean_html(text: str | None) -> str:
    """Return HTML safe to render as is; anything not allowed is stripped."""
    return _cleaner.clean(text or "").strip()


def render_html(text: str | None) -> Markup:
    """For templates: re-sanitise on output too, so stored data from any path stays inert."""
    return Markup(clean_html(text))
