# The two commands of the README. Both do all set-up first (.ci/setup is safe to re-run).
.PHONY: setup demo test fast

setup:
	bash .ci/setup

demo: setup
	.venv/bin/watchdog demo

# Lint, format, types, then the whole suite: two workers, each test file on one of them
# (the browser tests mostly wait on the sandbox's simulated time).
test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -q -n 2 --dist loadfile

# The fast tier: no browser (core, config, store, ratings, export, merge, publishing), seconds.
fast: setup
	.venv/bin/python -m pytest -q -m "not browser"
