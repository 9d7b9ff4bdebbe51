"""Stage 2: records/<year>/ (evidence files and assessment files) loaded and validated into a RecordSet.

The walk (walk.py) gets each file's FileResult from a FileSource: read_record_file (read.py)
by default, which reads the text (text.py), the front matter (frontmatter.py) and then a record
(record.py, fields via fields.py) or the assessment file (assessment.py); the checks across
files (crosscheck.py) run on the results. The incremental layer passes a source that replays
unchanged files instead (incremental/recordmemo.py).
"""

from qsgen.records.files import FileResult, FileSource, LoadContext, UnitFolder
from qsgen.records.read import read_record_file
from qsgen.records.text import MAX_BYTES
from qsgen.records.walk import load_records

__all__ = ["MAX_BYTES", "FileResult", "FileSource", "LoadContext", "UnitFolder", "load_records",
           "read_record_file"]
