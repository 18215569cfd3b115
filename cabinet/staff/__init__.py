"""Support staff: find a subject, act on their behalf on a documented basis, review and record."""
