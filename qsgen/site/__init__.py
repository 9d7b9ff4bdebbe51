"""Stage 4: Results -> the static site's files (pages, Markdown bodies, search index, exports)."""

from qsgen.site.builder import Pages, build, build_site, page_and_row
from qsgen.site.context import Site, SiteInputs
from qsgen.site.templates import TEMPLATE_DIR
from qsgen.site.urls import (
           attachment_file,
           prefix_for,
           publishable,
           record_file,
           record_url,
           unit_file,
           unit_url,
)

__all__ = ["TEMPLATE_DIR", "Pages", "Site", "SiteInputs", "attachment_file", "build", "build_site",
           "page_and_row", "prefix_for", "publishable", "record_file", "record_url", "unit_file", "unit_url"]
