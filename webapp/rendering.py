"""Lab READMEs as HTML: markdown rendered, then sanitised (an author's file is still input)."""

from __future__ import annotations

import functools
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from grader.params import fill

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "code", "pre", "em", "strong", "a", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "hr", "br"}


def render_markdown(text: str) -> Markup:
    html = nh3.clean(_md.render(text), tags=_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")
    return Markup(html)


@functools.lru_cache(maxsize=256)
def readme_html(path: Path, version: str, params: tuple[tuple[str, str | int], ...] = ()) -> Markup:
    """Cached per lab version and parameters: a README is rendered once, not per page view.
    `{{ params.<name> }}` placeholders take the session's values (grader.params) before the
    markdown is rendered and sanitised, so a value is escaped like any text of the file."""
    return render_markdown(fill(path.read_text(), dict(params)))
