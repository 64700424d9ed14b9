"""Deployment assets of SIAK Gate: the local stack and the cluster manifests."""
