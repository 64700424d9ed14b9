"""Where the world reaches the gate: Kafka subscribers and the HTTP API."""
