"""Use cases of the gate, each a plain function over its ports."""
