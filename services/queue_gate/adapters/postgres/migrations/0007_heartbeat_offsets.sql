-- Where the last heartbeat taken in of each monitor stood on its topic (NULL: not known).
-- A monitor whose clock was stepped back stamps its next heartbeats earlier than the last
-- one; their later place on the topic tells them from a replay of old ones.
ALTER TABLE monitor_heartbeat ADD COLUMN record_offset bigint;
