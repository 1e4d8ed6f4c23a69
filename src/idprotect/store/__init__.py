"""Storage: SQLAlchemy tables, queries and the mapping of rows to domain objects."""
