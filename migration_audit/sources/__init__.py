"""Sources: each turns one kind of input into facts (migration_audit.facts)."""
