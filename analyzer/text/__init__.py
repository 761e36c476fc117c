"""Text utilities shared by stages and backends: clause splitting, cue matching."""
