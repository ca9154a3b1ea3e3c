"""Bench-only widgets, layouts and pages: installed by bench/settings.py only."""
