"""Stage 3: Rules + RecordSet -> Results, exact, every number traced to its rule and records."""
