"""kefu-watchdog: do virtual-goods platforms really answer their customers?

Library first: config (platform and question files), store (SQLite), browser (Chromium),
probe (one probe run), classify (message kinds and verdicts), runner (many probes),
sandbox (simulated platforms); cli is a thin layer on top.
"""

__version__ = "0.1.0"
