"""dotenv parsing: names, values and line numbers as loaders read them."""

from __future__ import annotations

import pytest

from handrail.core.dotenv import env_assignments, is_env_file, is_env_template


def test_assignments_with_line_numbers() -> None:
    lines = [
        "# comment",
        "APP_KEY=base64:abc",
        "",
        "export DB_URL = 'postgres://u:p@h/db'  # quoted",
        'NAME="two words" # comment',
        "DEBUG=true # trailing",
        "not an assignment",
        "EMPTY=",
        "HALF='unterminated",
    ]
    assert list(env_assignments(lines)) == [
        (2, "APP_KEY", "base64:abc"),
        (4, "DB_URL", "postgres://u:p@h/db"),
        (5, "NAME", "two words"),
        (6, "DEBUG", "true"),
        (8, "EMPTY", ""),
        (9, "HALF", "unterminated"),
    ]


@pytest.mark.parametrize(("path", "env", "template"), [
    (".env", True, False),
    ("apps/web/.env.production", True, False),
    ("config/app.env", True, False),
    (".env.example", True, True),
    ("example.env", True, True),
    (".env.sample.local", True, True),
    ("environment.py", False, False),
])
def test_env_file_kinds(path: str, env: bool, template: bool) -> None:
    assert is_env_file(path) is env
    assert is_env_template(path) is template
