"""Where each file of the site lives: page paths, their URLs, and which attachments are copied."""

from __future__ import annotations

import functools
from urllib.parse import quote


# Asked for several times for a record, close together (its page and its search row; a unit
# page's table and score lines); quote() is slow. Not for every record: at 50,000 records a
# cache of them all held ~4 MB in each process.
@functools.lru_cache(maxsize=1 << 12)
def record_url(record_id: str) -> str:
    """Site-relative URL of a record page (percent-encoded)."""
    return "records/" + quote(record_id) + ".html"


def record_file(record_id: str) -> str:
    """Site path of a record page."""
    return "records/" + record_id + ".html"


@functools.lru_cache(maxsize=4096)  # asked for by every record page (its unit, its score lines)
def unit_url(slug: str) -> str:
    """Site-relative URL of a unit page."""
    return "units/" + quote(slug) + ".html"


def unit_file(slug: str) -> str:
    """Site path of a unit page."""
    return "units/" + slug + ".html"


def history_file(slug: str) -> str:
    """Site path of a unit's page across the years (at the site's root)."""
    return "units/" + slug + ".html"


def attachment_file(repo_path: str) -> str:
    """Where an attachment (repo path records/<year>/<unit>/…) is copied in its year's folder."""
    parts = repo_path.split("/", 2)
    rel = parts[2] if len(parts) == 3 and parts[0] == "records" else repo_path
    return "files/" + rel


def prefix_for(path: str) -> str:
    """Relative prefix from a page at ``path`` back to the site root ("", "../", ...)."""
    depth = path.count("/")
    return "../" * depth


# Attachments are copied into the site only when their type cannot run code in a browser:
# an .html or .svg file served from the site's own origin could carry script.
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "webp"}
PASSIVE_TYPES = IMAGE_TYPES | {
    "pdf", "ofd", "txt", "csv", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps",
    "odt", "ods", "odp", "rtf", "zip", "rar", "7z", "mp3", "mp4", "m4a", "wav", "bmp", "tif", "tiff",
}


def suffix(path: str) -> str:
    """A file name's extension, lower case, without the dot ("" when none)."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def publishable(path: str) -> bool:
    """Whether an attachment of this type is copied into the site (see PASSIVE_TYPES)."""
    return suffix(path) in PASSIVE_TYPES


# The office's paperwork (site/notices.py, site/pages/notice.py and summary.py, site/xlsx.py),
# relative to the folder of the year's site, like every path here.
NOTICE_DIR = "notices"  # notices/<unit>.html (and .pdf): a result notice per unit
SUMMARY_FILE = "summary.html"  # the year's summary table (and summary.pdf), posted during 公示
WORKBOOK = "scores.xlsx"  # the scores as an Excel workbook, beside scores.csv
PRINT_CSS = "assets/print.css"  # the print pages' stylesheet (site_templates/print.css)
PAPER_JS = "assets/paper.js"  # their 打印 button (site_templates/paper.js; they print without it)


def notice_file(slug: str) -> str:
    """Site path of a unit's result notice (a print page)."""
    return f"{NOTICE_DIR}/{slug}.html"


def notice_url(slug: str) -> str:
    """Site-relative URL of a unit's result notice."""
    return f"{NOTICE_DIR}/{quote(slug)}.html"


def pdf_of(page: str) -> str:
    """The PDF published beside a print page: notices/longgang.html -> notices/longgang.pdf."""
    return page.removesuffix(".html") + ".pdf"


class RecordIds:
    """A year's record paths -> record ids (``records/<year>/<unit>/<stem>.md`` ->
    ``<unit>/<stem>``), as a render worker holds them to link one record's page to another's:
    the file names of each folder in one string (about 1.3 MB at 50,000 records, where a dict
    of the paths took ~10 MB in each worker). Made by ``of`` only when every id is the one its
    path gives."""

    __slots__ = ("folders",)

    def __init__(self, folders: dict[str, str]) -> None:
        self.folders = folders  # folder -> "\n" + its records' file names, one per line + "\n"

    @classmethod
    def of(cls, ids: dict[str, str]) -> RecordIds | dict[str, str]:
        """``ids`` compacted, or ``ids`` itself when some id is not what its path gives."""
        names: dict[str, list[str]] = {}
        for path, rid in ids.items():
            folder, _, name = path.rpartition("/")
            if "\n" in path or not name.endswith(".md") or rid != _id_of(folder, name):
                return ids
            names.setdefault(folder, []).append(name)
        return cls({folder: "\n" + "\n".join(sorted(ns)) + "\n" for folder, ns in names.items()})

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str) or "\n" in path:
            return False
        folder, _, name = path.rpartition("/")
        blob = self.folders.get(folder)
        return blob is not None and "\n" + name + "\n" in blob

    def __getitem__(self, path: str) -> str:
        if path not in self:
            raise KeyError(path)
        folder, _, name = path.rpartition("/")
        return _id_of(folder, name)

    def __len__(self) -> int:
        return sum(blob.count("\n") - 1 for blob in self.folders.values())


def _id_of(folder: str, name: str) -> str:
    return folder.rpartition("/")[2] + "/" + name[:-3]
