"""The database: sessions, SQL reads and the write batch. Only the service and audit use it."""
