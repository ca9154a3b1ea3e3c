"""Dashboards: declared layouts of widgets with page filters, served as one streamed response."""
