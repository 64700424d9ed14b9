"""Where requests reach the monitor: its HTTP API."""
