"""The repository on disk: git provenance of its files."""
