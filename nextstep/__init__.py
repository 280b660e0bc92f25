"""NextStep: a self-hostable process service (templates, runs, tasks) behind a REST API."""
import os

from flask import Flask

from .api.routing import answer_stray_paths
from .config import load_environment
from .extension import NextStep

__all__ = ["NextStep", "create_app"]


def create_app(test_config=None):
    """Defaults < instance/config.py < NEXTSTEP_* environment < `test_config`."""
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("NEXTSTEP_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    load_environment(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    extension = NextStep(app)
    answer_stray_paths(app, extension.url_prefix)
    return app
