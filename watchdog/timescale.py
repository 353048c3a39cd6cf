"""Simulated time, in one place.

The sandbox's platforms run on compressed time so that tests and the demo play minutes of
behaviour in seconds. The first seconds after any event run in real time, so that a person's
reading and typing speed keep their meaning however loaded the machine is; everything after
that runs `time_scale` times as fast. Real platforms have a time scale of 1: both
conversions are then the identity.

The probe waits in real seconds and stores measured page times (ms); reasons, ratings and
exports speak in simulated seconds. These two functions are the only bridge.
"""

from __future__ import annotations

REAL_TIME_HEAD_S = 3.0


def to_real_seconds(simulated_s: float, time_scale: float) -> float:
    if time_scale == 1 or simulated_s <= REAL_TIME_HEAD_S:
        return simulated_s
    return REAL_TIME_HEAD_S + (simulated_s - REAL_TIME_HEAD_S) * time_scale


def to_simulated_seconds(real_s: float, time_scale: float) -> float:
    if time_scale == 1 or real_s <= REAL_TIME_HEAD_S:
        return real_s
    return REAL_TIME_HEAD_S + (real_s - REAL_TIME_HEAD_S) / time_scale


def simulated_seconds(ms: float | None, time_scale: float | None) -> float | None:
    """A measured page time (ms) as the seconds people read: one decimal, simulated time."""
    if ms is None:
        return None
    return round(to_simulated_seconds(ms / 1000, time_scale or 1.0), 1)
