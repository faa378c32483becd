"""Import of incidents from CSV and Excel files with a column mapping: the engine behind the
upload → mapping → result pages, the background task and ``brygga import-incidents``. One code
path for all of them, one module per stage:

1. :mod:`.detect` — the kind of file, the encoding, the delimiter and the header row;
2. :mod:`.read` — the rows of a CSV file or an XLSX sheet, streamed;
3. :mod:`.mapping` — file columns → incident fields, source values → categories (saved as an
   import profile); :mod:`.guess` guesses the columns of a new file from their names and
   values, :mod:`.categories` matches the values of the category column to categories;
4. :mod:`.validate` — every row checked, in named steps; :mod:`.locate` checks the points of a
   batch together; :mod:`.places` finds a row's municipality (a municipality column: other
   municipalities' rows are counted and skipped, or, for an import into every municipality,
   each row goes to its own) and its area by name or DeSO/RegSO code; the columns no field
   was chosen for are kept as the incident's ``attributes``; valid rows are spooled to a
   temporary file;
5. :mod:`.write` — the valid rows inserted through the incident services' bulk writer; ids
   imported before in the same register skipped when unchanged, and conflicts (other content)
   skipped and listed or updated with history; areas created from their codes;
6. :mod:`.importer` — the whole run (:func:`run_import`) with the job kept up to date.

:mod:`.profile_file` reads and writes an import profile as a JSON file (``brygga
import-incidents --profile-file``). :mod:`.values` parses cells (numbers, dates, times) and :mod:`.report` holds the errors, the
counts and their texts. Every message names the file, the row (1-based, as in a spreadsheet,
header included) and the column. What the pages, the task and the command use is importable
from here.
"""

from brygga.incidents.services import import_job_create, import_profile_delete, import_profile_save

from .categories import CategoryIndex, category_index, fold, match_category, suggest_category
from .detect import DELIMITER_NAMES, ENCODING_NAMES, Detected, detect, detect_encoding, max_bytes
from .guess import suggest_mapping
from .importer import Importer, job_progress, run_import, store_upload
from .mapping import FIELDS, Mapping
from .read import (
    PREVIEW_ROWS,
    SCAN_ROWS,
    CsvTable,
    Table,
    XlsxTable,
    column_letter,
    distinct_values,
    open_table,
    preview,
)
from .report import (
    ImportResult,
    RowError,
    TabularError,
    csv_safe,
    errors_csv,
    format_error,
    summary,
)
from .validate import BATCH_SIZE, MAX_STORED_ERRORS, RowValidator
from .values import aware, normalise, parse_number, parse_time_of_day, parse_when

__all__ = [
    "BATCH_SIZE",
    "CategoryIndex",
    "DELIMITER_NAMES",
    "ENCODING_NAMES",
    "FIELDS",
    "MAX_STORED_ERRORS",
    "PREVIEW_ROWS",
    "SCAN_ROWS",
    "CsvTable",
    "Detected",
    "ImportResult",
    "Importer",
    "Mapping",
    "RowError",
    "RowValidator",
    "Table",
    "TabularError",
    "XlsxTable",
    "aware",
    "category_index",
    "column_letter",
    "csv_safe",
    "detect",
    "detect_encoding",
    "distinct_values",
    "errors_csv",
    "fold",
    "format_error",
    "import_job_create",
    "import_profile_delete",
    "import_profile_save",
    "job_progress",
    "match_category",
    "max_bytes",
    "normalise",
    "open_table",
    "parse_number",
    "parse_time_of_day",
    "parse_when",
    "preview",
    "run_import",
    "store_upload",
    "suggest_category",
    "suggest_mapping",
    "summary",
]
