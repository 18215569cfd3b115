"""The subject's personal data: view, correct, and its full history (policy 2.3, 3.3)."""
