"""SQLite storage, and all of the bot's SQL: the schema's migrations, the async repository the
running bot writes through (`repository`), the records it returns (`records`), the read-only
queries behind exports and /stats (`reports`) and copies of the database (`backup`)."""
