"""SQLite storage: the schema's migrations and the one repository that holds all SQL."""
