"""The written pre-court complaint of policy clause 5.2: filed, numbered, printable, answered in 30 working days."""
