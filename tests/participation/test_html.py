"""The rich-text sanitiser (participation/html.py): scripts and styles go with their content, and exports
get the plain text."""
from __future__ import annotations

import pytest

from participation.html import clean_html


@pytest.mark.parametrize("dirty, clean", [
    ("<p>Un banc</p><script>alert(1)</script>", "<p>Un banc</p>"),
    ("<p>Un banc</p><style>body{display:none}</style><p>vert</p>", "<p>Un banc</p><p>vert</p>"),
    ("<SCRIPT type='text/javascript'>var x = '<p>not a paragraph</p>';</SCRIPT>Texte", "Texte"),
    ("<p>Texte<script>document.write('x')", "<p>Texte</p>"),  # unclosed: a browser runs all that follows
    ("<svg><style>@import url(x)</style><text>visible</text></svg>", "visible"),
    ("<template><p>hors page</p></template>ok", "ok"),
    ("<title>titre</title><iframe>cadre</iframe><noembed>n</noembed><noframes>f</noframes>fin", "fin"),
    ("<b>gras</b> <i>italique</i> <u>souligné</u> <em>ok</em>", "<b>gras</b> <i>italique</i> <u>souligné</u> <em>ok</em>"),
    ("<p onclick='x()'>a <span class='c'>b</span></p>", "<p>a b</p>"),  # other tags: stripped, text kept
])
def test_scripts_and_styles_go_with_their_content(dirty, clean):
    assert clean_html(dirty) == clean


@pytest.mark.parametrize("rich, text", [
    ("<p>Un <strong>jardin</strong> &amp; des bancs</p><p>Deuxième</p>", "Un jardin & des bancs\n\nDeuxième"),
    ("<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"),
    ("<p>a<br>b</p><script>alert(1)</script>", "a\nb"),
    ("<p>1 &lt; 2</p>", "1 < 2"),
    ("<p>Voir https://example.org</p>", "Voir https://example.org"),
    ("", ""), (None, ""),
])
def test_plain_text_of_rich_text(rich, text):
    from participation.html import html_to_text
    assert html_to_text(rich) == text
