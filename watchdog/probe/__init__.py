"""Probing: finding and launching Chromium (browser), the in-page observer (observer.js), the
pure conversation core (conversation) and the driver that connects them (driver)."""
