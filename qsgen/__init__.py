"""qsgen: a points-based performance assessment, executable and published as a static site."""

__version__ = "0.1.0"
