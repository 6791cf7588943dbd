"""The web pages: server-rendered HTML beside the API, on the same use cases. See README.md here."""
