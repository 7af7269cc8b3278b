"""Private machinery behind :mod:`ombuds.codes.parser`; import from there, not from here."""
