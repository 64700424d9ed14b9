"""The operator console under `/console`: server-rendered pages over the admin API's handlers."""
