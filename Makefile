# The two commands of the README. Both do all set-up first (.ci/setup is safe to re-run).
.PHONY: setup demo test fast docs

setup:
	bash .ci/setup

demo: setup
	.venv/bin/watchdog demo

# Lint, format, types, then the whole suite: four workers, each test file on one of them.
# The browser tests mostly wait (the sandbox's simulated time, pages' own timers), so two
# cores run four files at once: 3 min 40 s for the suite, was 6 min 40 s with two workers.
test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -q -n 4 --dist loadfile

# The fast tier: no browser (core, config, store, ratings, export, merge, publishing), seconds.
fast: setup
	.venv/bin/python -m pytest -q -m "not browser"

# The documentation site, in Chinese (site/zh, the default) and English (site/en); a warning
# is an error.
docs: setup
	for lang in zh en; do .venv/bin/sphinx-build -q -W -c docs -D language=$$([ $$lang = zh ] && echo zh_CN || echo en) docs/$$lang site/$$lang || exit 1; done
	@echo "site/zh/index.html (中文), site/en/index.html (English)"
