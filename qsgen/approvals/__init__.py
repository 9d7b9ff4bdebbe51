"""People and approvals (DESIGN.md §7): who may approve what, and which approvals git proves."""
