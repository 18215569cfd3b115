"""The disclosures register (policy 3.4–3.5): what was passed to whom, on which basis; the subject sees it."""
