"""queue_gate: durable intake per region, gated by SIAK's status, replayed in order."""
