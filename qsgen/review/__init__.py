"""Reviewing a change: scores before and after (diff), and who reviews which file (CODEOWNERS)."""
