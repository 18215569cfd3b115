"""Administration: policy versions, accounts and roles, the working-day calendar, undelivered mail, the audit trail."""
