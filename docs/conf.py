"""Sphinx configuration shared by the two trees, docs/zh (the default) and docs/en: `make docs`
builds each with its language (`-D language=...`) into site/zh and site/en.

Sphinx rather than MkDocs: MkDocs needs PyPI's `watchdog` (a file watcher), whose import name is
this package's own, so the two cannot share an environment."""

project = "kefu-watchdog"
author = "kefu-watchdog"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "kefu-watchdog 客服看门狗"
html_show_sourcelink = False
exclude_patterns: list[str] = []
