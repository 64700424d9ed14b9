"""The contract between SIAK Gate's services and the systems that subscribe to their events."""
