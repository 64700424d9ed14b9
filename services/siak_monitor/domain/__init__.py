"""The monitor's rules, free of I/O: a region's status from its probes, maintenance and parent."""
