"""Beside the stages: what a build remembers of earlier builds, to skip work whose inputs did not change."""
