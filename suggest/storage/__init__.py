"""What the server keeps at run time (feedback, learned examples, the audit history, editors' sessions and
login throttling): one storage layer, SQLite files in the home's var/ by default, PostgreSQL when several
servers share it (suggest.storage.database)."""
