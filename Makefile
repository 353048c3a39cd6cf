# The two commands of the README. Both do all set-up first (.ci/setup is safe to re-run).
.PHONY: setup demo test

setup:
	bash .ci/setup

demo: setup
	.venv/bin/watchdog demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -q
