"""Sanitising of user-supplied rich text: only a small set of tags survives, links are inert; and the plain
text of that rich text, for exports (CSV, JSON) and anything that is not a web page."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import bleach
from bleach import html5lib_shim
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Elements whose content is code or hidden by browsers: stripping only the tags (bleach's `strip`) would
# show "alert(1)" or a whole style sheet as text. They go with everything inside.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "title", "iframe", "noembed", "noframes"})


def _link_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener noreferrer ugc"
    return attrs


class _DropContent:
    """An html5lib token filter: removes the DROPPED_WITH_CONTENT elements and all they contain."""

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        depth = 0
        for token in self.source:
            kind = token["type"]
            if depth:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth -= 1
                continue
            if kind == "StartTag" and token["name"] in DROPPED_WITH_CONTENT:
                depth = 1
                continue
            if kind in ("EndTag", "EmptyTag") and token["name"] in DROPPED_WITH_CONTENT:
                continue
            yield token


class _Cleaner(bleach.Cleaner):
    """bleach's Cleaner, with the elements to drop parsed as elements (bleach's parser turns every tag it
    does not allow into text before the tree exists, so `<script>` content would be ordinary text) and
    removed with their content before sanitising."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=self.tags | DROPPED_WITH_CONTENT, strip=self.strip, consume_entities=False,
            namespaceHTMLElements=False)
        walker = self.walker
        self.walker = lambda tree: _DropContent(walker(tree))


_cleaner = _Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True,
    strip_comments=True, filters=[lambda source: bleach.linkifier.LinkifyFilter(
        source, callbacks=[_link_rel], skip_tags={"pre", "code"})],
)


def clean_html(text: str | None) -> str:
    """Return HTML safe to render as is; anything not allowed is stripped, and the content of scripts,
    styles and the like is dropped with them."""
    return _cleaner.clean(text or "").strip()


def render_html(text: str | None) -> Markup:
    """For templates: re-sanitise on output too, so stored data from any path stays inert."""
    return Markup(clean_html(text))


_PARAGRAPHS = frozenset({"p", "h2", "h3", "h4", "blockquote", "pre", "div"})


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in ("ul", "ol", "br"):
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag):
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in ("ul", "ol"):
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(text: str | None) -> str:
    """The plain text of rich text, for exports: sanitised first (so nothing dropped comes back), then
    without tags, entities decoded (once), a blank line between paragraphs, "- " before list items."""
    parser = _Text()
    parser.feed(clean_html(text))
    parser.close()
    plain = re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(parser.parts))
    return re.sub(r"\n{3,}", "\n\n", plain).strip()
