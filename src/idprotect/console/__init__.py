"""The operator console: its routes and its packaged static assets, a client of the API."""
