"""Kazakhstan working-day calendar."""
