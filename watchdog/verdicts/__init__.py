"""Verdicts: each message's kind (classify), template evidence across probes (templates), the
probe's outcome and flags (decide), and recomputing stored verdicts (revisions)."""
