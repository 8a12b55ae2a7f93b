"""`python -m sampleapp`: run the server."""

from sampleapp.server import Settings, serve

serve(Settings.from_environment())
