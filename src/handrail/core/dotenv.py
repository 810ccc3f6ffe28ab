"""dotenv files: which paths are env files, which are templates, and their KEY=value lines with line numbers.

One reader so that every check agrees on what a .env line means (export prefix, quotes, trailing comments).
"""

from __future__ import annotations

from collections.abc import Iterator

from handrail.core.lazyre import lazy_re

TEMPLATE_SUFFIXES = ("example", "sample", "template", "dist", "defaults", "tmpl", "tpl")
ENV_LINE = lazy_re(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


def is_env_file(path: str) -> bool:
    """`.env`, `.env.production`, `config/app.env`: names dotenv loaders and platforms read."""
    name = path.rsplit("/", 1)[-1]
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def is_env_template(path: str) -> bool:
    """A documented template (`.env.example`, `example.env`, `.env.sample.local`), meant to be committed."""
    name = path.rsplit("/", 1)[-1].lower()
    return any(name.endswith("." + s) or name.startswith(s + ".") or f".{s}." in name for s in TEMPLATE_SUFFIXES)


def env_assignments(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, NAME, value) for each KEY=value line; quotes and trailing ` #` comments are stripped."""
    for no, raw in enumerate(lines, 1):
        if raw.lstrip().startswith("#"):
            continue
        m = ENV_LINE.match(raw)
        if not m:
            continue
        value = m.group(2)
        if value[:1] in ("'", '"'):
            q = value[0]
            end = value.find(q, 1)
            value = value[1:end] if end > 0 else value[1:]
        else:
            value = value.split(" #", 1)[0].strip()
        yield no, m.group(1), value
