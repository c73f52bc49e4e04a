"""Cells for CSV files that people open in Excel or LibreOffice: the queue export and the
subscriber list both write through csv_cell()."""
from __future__ import annotations

# A cell starting with one of these runs as a formula in Excel and LibreOffice (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
