"""Stage 2: records/<year>/ (evidence files and assessment files) loaded and validated into a RecordSet."""
