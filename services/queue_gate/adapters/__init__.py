"""The gate's links to PostgreSQL, Kafka and SIAK."""
