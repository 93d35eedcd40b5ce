"""A session on disk: the artifacts and their schemas, the store, history, the file graph and
statuses, credits, recordings, paid answers and the one-writer lock."""
