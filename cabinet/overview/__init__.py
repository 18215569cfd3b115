"""The front page, the cabinet overview, and the right to know (law art. 24): export and access log."""
