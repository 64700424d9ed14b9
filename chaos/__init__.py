"""`make chaos`: the promises checked under faults, on real processes of the local stack."""
