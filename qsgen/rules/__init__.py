"""Stage 1: rules/<year>/ (the assessment method as YAML) loaded and validated into model.Rules."""
