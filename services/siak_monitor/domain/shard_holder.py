"""Which member of the replicas' group gets the shard: its latest claimant, or else anyone."""

from __future__ import annotations

from collections.abc import Mapping


def shard_holder(tenures: Mapping[str, int | None]) -> str | None:
    """The member to hold the shard, given each member's claim (None: it holds none).

    A replica that hung (SIGSTOP) rejoins still believing in its old claim; the member that
    took over since holds a later one. Leaving the shard with the latest claimant keeps a
    woken former owner from taking it back (and the new owner from being fenced in turn).
    Without any claim, the first member by id: any choice is safe, the claim fences.
    """
    if not tenures:
        return None
    claims = {member: tenure for member, tenure in tenures.items() if tenure is not None}
    if claims:
        return max(claims, key=lambda member: (claims[member], member))
    return min(tenures)
