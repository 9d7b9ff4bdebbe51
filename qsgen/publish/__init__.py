"""Stage 5: the site's files written to the output directory, guarded and atomic."""
