"""In-memory HTTP stand-in for SIAK, used in development, tests and demos."""
