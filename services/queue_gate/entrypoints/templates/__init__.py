"""HTML pages the gate serves, built from plain strings with every value escaped."""
