"""Sphinx configuration shared by the two trees, docs/zh (the default) and docs/en: `make docs`
builds each with its language (`-D language=...`) into site/zh and site/en.

Sphinx rather than MkDocs: MkDocs needs PyPI's `watchdog` (a file watcher), whose import name is
this package's own, so the two cannot share an environment."""

import re

from docutils import nodes

project = "kefu-watchdog"
author = "kefu-watchdog"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "kefu-watchdog 客服看门狗"
html_show_sourcelink = False
exclude_patterns: list[str] = []

# A line break in the Markdown source between two Chinese characters would show as a space in
# the page (browsers do not drop it): join such lines. Code is left as it is.
_WIDE = r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]"
_CJK_BREAK = re.compile(rf"(?<={_WIDE})\n(?={_WIDE})")


def _join_chinese_lines(app, doctree) -> None:
    for element in list(doctree.findall(nodes.TextElement)):
        if isinstance(element, (nodes.literal_block, nodes.literal)):
            continue
        # MyST gives each soft line break a Text node of its own: merge neighbouring texts first.
        # (By position: Text nodes are strings, and equal ones would be mistaken for each other.)
        index = 0
        while index < len(element.children):
            child = element.children[index]
            following = element.children[index + 1] if index + 1 < len(element.children) else None
            if isinstance(child, nodes.Text) and isinstance(following, nodes.Text):
                element[index] = nodes.Text(child.astext() + following.astext())
                del element[index + 1]
                continue
            if isinstance(child, nodes.Text):
                text = _CJK_BREAK.sub("", child.astext())
                if text != child.astext():
                    element[index] = nodes.Text(text)
            index += 1


def setup(app):
    app.connect("doctree-read", _join_chinese_lines)
