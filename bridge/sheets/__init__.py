"""Sheet adapters: read a spreadsheet tab into a ``SheetTable`` and write results back."""

from bridge.sheets.local import read_local, write_local
from bridge.sheets.local_paths import DefaultOutput, default_output_path
from bridge.sheets.managed import MANAGED_HEADERS
from bridge.sheets.writeback import CellMark, WriteBack

__all__ = [
    "MANAGED_HEADERS",
    "CellMark",
    "DefaultOutput",
    "WriteBack",
    "default_output_path",
    "read_local",
    "write_local",
]
