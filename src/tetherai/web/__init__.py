"""The web pages (issue 6): server-rendered HTML on top of the API app. See README.md here."""
