# The two commands of the README. Both do all set-up first (.ci/setup is safe to re-run).
.PHONY: setup demo test fast

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
