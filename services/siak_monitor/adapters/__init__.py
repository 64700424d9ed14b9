"""The monitor's links to SIAK (HTTP) and to subscribers (Kafka)."""
