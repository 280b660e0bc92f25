"""docs/api.md names every operation of the generated document, each with a curl example:
a route added without its paragraph there fails here."""
import re
from pathlib import Path

API_MD = Path(__file__).resolve().parent.parent / "docs" / "api.md"
METHODS = ("get", "post", "patch", "put", "delete")


def sections():
    """{"GET /process-runs/{}": section text} for every `### ` heading's operations."""
    found = {}
    for part in re.split(r"^### ", API_MD.read_text(), flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        for method, path in re.findall(r"`([A-Z]+) (/[^`]*)`", heading):
            found[f"{method} {re.sub(r':[A-Za-z]+', '{}', path)}"] = body
    return found


def test_every_operation_has_a_section_with_a_curl_example(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {f"{method.upper()} {re.sub(r'{[^}]+}', '{}', path)}"
                  for path, item in document["paths"].items() for method in METHODS
                  if method in item}
    documented = sections()
    assert operations == set(documented)
    for operation, body in documented.items():
        assert re.search(r"```sh\ncurl ", body), operation


def test_every_error_code_is_in_the_table():
    from nextstep.api.openapi import ERROR_CODES
    text = API_MD.read_text()
    for code, (status, _when) in ERROR_CODES.items():
        assert f"| {status} | `{code}` |" in text, code
