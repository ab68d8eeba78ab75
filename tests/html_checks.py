"""Checks on rendered HTML, shared by the XSS tests of every package."""
from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "svg", "math", "style",
                  "form"}
ALLOWED_SCRIPT_PREFIX = "/static/"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_head = True

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.in_head = False
        if tag == "script" and (attrs.get("src") or "").startswith(tuple([ALLOWED_SCRIPT_PREFIX, "/"])) \
                and not (attrs.get("src") or "").startswith("//"):
            return  # our own static scripts
        if tag == "meta" and self.in_head and set(attrs) <= {"charset", "name", "content"}:
            return
        if tag == "form" and attrs.get("method", "").lower() in ("post", "get") and not (
                attrs.get("action") or "").lower().startswith(("javascript", "http", "//")):
            pass
        elif tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and \
                    value.strip().lower().replace("\x00", "").startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value[:40]}> script URL")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")


def inert_problems(html: str) -> list[str]:
    """Everything in a page that could run script or was injected as active markup."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.problems


def assert_inert(html: str, context: str = "") -> None:
    problems = inert_problems(html)
    assert not problems, f"{context}: {problems}"


_BLOCKS = {"td", "th", "tr", "p", "div", "li", "h1", "h2", "h3", "h4", "section", "br", "option", "label",
           "legend", "ul", "ol", "table", "caption", "nav", "form", "button", "article"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.main: list[str] | None = None
        self.depth = 0

    def _space(self, tag):
        if tag in _BLOCKS:
            self.handle_data(" ")

    def handle_starttag(self, tag, attrs):
        self._space(tag)
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "main":
            self.main = []
            self.depth = 1
        elif self.main is not None and self.depth:
            self.depth += 1 if tag not in ("br", "img", "input", "meta", "link", "hr") else 0

    def handle_endtag(self, tag):
        self._space(tag)
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "main":
            self.depth = 0

    def handle_data(self, data):
        if self.skip:
            return
        self.parts.append(data)
        if self.main is not None and self.depth:
            self.main.append(data)


def visible_text(html: str) -> str:
    """The text a person reads in the page's <main> (the whole page when it has none), spaces collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.main if parser.main is not None else parser.parts).split())
