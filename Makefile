# The two commands of the README. Both do all set-up first (.ci/setup is safe to re-run).
.PHONY: setup demo test fast docs locale

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

# The Chinese catalogue brought in step with the code and the pages: new English ids are added
# (untranslated, which tests/test_i18n.py refuses until they are translated), unused ones go.
locale: setup
	.venv/bin/pybabel extract -F watchdog/locale/babel.cfg -k N_ -k NP_:1,2 --no-location --sort-output \
		--omit-header -o watchdog/locale/watchdog.pot .
	.venv/bin/pybabel update -i watchdog/locale/watchdog.pot -d watchdog/locale -D watchdog -l zh_CN \
		--ignore-obsolete --no-fuzzy-matching --width 120
	rm watchdog/locale/watchdog.pot
