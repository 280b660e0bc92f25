"""What `pip install .` ships: every module and the sample template."""
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_of_code_is_a_package_setuptools_finds():
    found = set(find_packages(str(ROOT), include=["nextstep*"]))
    with_code = {".".join(path.parent.relative_to(ROOT).parts)
                 for path in (ROOT / "nextstep").rglob("*.py")}
    assert with_code <= found


def test_the_sample_template_is_package_data():
    setup_cfg = (ROOT / "setup.cfg").read_text()
    assert "[options.package_data]\nnextstep.examples = *.json" in setup_cfg
    assert (ROOT / "nextstep" / "examples" / "onboarding.json").is_file()
