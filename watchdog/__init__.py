"""kefu-watchdog: do virtual-goods platforms really answer their customers?

Library first, one sub-package per stage of a probe's data: probe (browser, observer, the pure
conversation core, the driver), verdicts (message kinds, templates, outcome and flags), store
(SQLite: the only code touching it), publish (ratings, export, masking, Datasette); records
(the typed probe and message records), config and schedules (files), sandbox (simulated
platforms); runner, scheduler, demo and accuracy orchestrate; cli is a thin layer on top.
See README.md, "Architecture".
"""

__version__ = "0.1.0"
