"""A reusable Django app for HTMX-driven, server-rendered dashboard widgets.

Public API: ``widgets.base.Widget``, ``widgets.registry.register`` and the
sources in ``widgets.sources``.
"""
