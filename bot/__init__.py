"""Creative Spark consultation bot."""
