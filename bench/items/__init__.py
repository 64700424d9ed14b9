"""One module per benchmark item, each returning an `ItemResult`."""
