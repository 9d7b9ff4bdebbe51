"""Stage 4: Results -> the static site's files (pages, Markdown bodies, search index, exports)."""
