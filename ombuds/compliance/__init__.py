"""Agencies' compliance returns checked as rules: a body's programme declared in TOML, the files of
a return checked by DuckDB where they lie, only the findings kept (docs/guide-compliance.md)."""
