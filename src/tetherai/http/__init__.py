"""What the two HTTP adapters share, and nothing else: the runtime of a request, who is
calling (sessions, CSRF, API tokens), the one error shape, path parameters, and the request
bodies and answers both accept and give.

The API (``tetherai.api``) and the pages (``tetherai.web``) sit side by side on this and on the
use cases (``tetherai.services``); neither imports the other. ``tetherai.server`` puts them in
one app.
"""
