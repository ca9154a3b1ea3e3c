"""Exports: a widget's values as CSV or JSON, at ``/widgets/<name>/export.csv`` and ``export.json``.

- ``formats``: a ``DataTable`` as CSV (formula-like text neutralised) and as JSON, and the file's name;
- ``views``: the export endpoint, through the widget's access rules, parameters form and cached load.

What a widget exports is its ``Widget.data_table(value)``: by default the first
value of its loaded context with ``as_data_table()`` (``widgets.tabular``).
The menu linking to them is the frame's (``WidgetFrame.export_links``, ``widgets.render``).
"""

from widgets.export.formats import Export, csv_text, export_filename, export_response, neutralise
from widgets.export.views import export_view

__all__ = ["Export", "csv_text", "export_filename", "export_response", "export_view", "neutralise"]
