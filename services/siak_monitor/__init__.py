"""siak_monitor: watches SIAK per region and publishes each region's status on Kafka."""
