"""The monitor's rules, free of I/O: when a region is UP, DEGRADED, DOWN or UNKNOWN."""
