"""Evaluations over labelled data sets: one module per thing evaluated (``verifier`` now), and a
JSONL reader that reports malformed lines as ``FILE:LINE: problem`` and goes on."""
