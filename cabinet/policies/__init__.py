"""Policy versions, their texts per language, and each subject's acceptances."""
