"""Document storage: uploaded scans checked by content, kept under random names with their SHA-256."""
