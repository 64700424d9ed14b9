"""Strimzi KafkaTopic and KafkaUser resources generated from shared/topics.py."""
