"""The WSGI entry point: `waitress-serve wsgi:app`, or any WSGI server."""
from nextstep import create_app

app = create_app()
