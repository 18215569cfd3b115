"""The append-only, tamper-evident audit trail."""
