"""Optional live collection from official platform APIs (network use happens only here)."""
