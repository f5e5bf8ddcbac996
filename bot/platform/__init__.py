"""Shared plumbing: config, database engine and column types, clock, jobs, events, the name-to-id resolver,
the audit log and domain errors. Imports no discord and no feature."""
