"""PostgreSQL: the gate's durable state and its migrations."""
