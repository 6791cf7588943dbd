"""The web pages: server-rendered HTML on top of the API app. See README.md here."""
