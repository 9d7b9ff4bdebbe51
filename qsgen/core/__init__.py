"""The vocabulary every stage shares: the data model, record kinds, errors, number display, safe YAML."""
