"""Beside the stages: what a build remembers of earlier builds, to skip work whose inputs did not change."""

# The cache's folder in a repository (cache.CACHE_DIR): here, so that a build can start the git
# commands that look at it before cache.py (hashlib, hmac, pickle: ~5 ms) is imported.
CACHE_DIR = ".qsgen-cache"
