"""The gate's rules, free of I/O."""
