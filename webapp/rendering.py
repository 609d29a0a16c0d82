"""Lab READMEs as HTML: markdown rendered, then sanitised (an author's file is still input)."""

from __future__ import annotations

import functools
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "code", "pre", "em", "strong", "a", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "hr", "br"}


def render_markdown(text: str) -> Markup:
    html = nh3.clean(_md.render(text), tags=_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")
    return Markup(html)


@functools.lru_cache(maxsize=128)
def readme_html(path: Path, version: str) -> Markup:
    """Cached per lab version: a README is rendered once, not per page view."""
    return render_markdown(path.read_text())
