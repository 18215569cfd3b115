"""Demo data for trying the cabinet on a fresh machine."""
