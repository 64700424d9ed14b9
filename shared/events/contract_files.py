"""`python -m shared.events.contract_files`: rewrite the committed JSON Schemas and AsyncAPI.

A test fails when the committed files differ from what the models give.
"""

from shared.events.asyncapi import ASYNCAPI_PATH, rendered_asyncapi
from shared.events.schemas import SCHEMA_DIR, rendered_schemas


def write_contract_files() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in rendered_schemas().items():
        path.write_text(text)
    ASYNCAPI_PATH.write_text(rendered_asyncapi())


if __name__ == "__main__":
    write_contract_files()
