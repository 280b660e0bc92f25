"""NextStep: a self-hostable process service (templates, runs, tasks) behind a REST API."""
import os

from flask import Flask

from .api.request_id import RequestIdFilter
from .api.routing import answer_stray_paths
from .config import instance_path_from, load_environment, make_instance_folder
from .errors import ConfigError
from .extension import NextStep

__all__ = ["NextStep", "RequestIdFilter", "create_app"]


def create_app(test_config=None):
    """Defaults < instance/config.py < NEXTSTEP_* environment < `test_config`.

    Anything wrong on the way (the instance folder, the settings file, a value) is a
    ConfigError with one sentence, which the commands print instead of a traceback.
    """
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path_from())
    make_instance_folder(app.instance_path)
    load_settings_file(app.config)
    load_environment(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    extension = NextStep(app, cli_group=None)
    answer_stray_paths(app, extension.url_prefix)
    return app


def load_settings_file(config):
    """instance/config.py is Python: any exception in it is the file's fault, not ours."""
    path = os.path.join(config.root_path, "config.py")
    try:
        config.from_pyfile("config.py", silent=True)
    except SyntaxError as error:
        raise ConfigError(f"The settings file {path} has a syntax error on line "
                          f"{error.lineno}: {error.msg}; fix it, or move it away to use the "
                          f"defaults.") from None
    except Exception as error:  # the file's own code may raise anything
        raise ConfigError(f"The settings file {path} failed with {type(error).__name__}: "
                          f"{error}; fix it, or move it away to use the defaults.") from None
