"""`python -m bench`: SIAK Gate's figures beside physical baselines measured in the same run."""
