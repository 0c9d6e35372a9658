"""The README's generated sections, derived from the code and the manifest (never typed twice),
and the Performance section from the benchmark run in benchmarks/results.json.

    python -m tests.readme_sections          # rewrite them in README.md
A test fails when README.md is out of date with these.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ocp_users_photo.emulator import ASSUMPTIONS
from ocp_users_photo.exit_codes import MEANINGS
from ocp_users_photo.hints import HINTS
from ocp_users_photo.spec import load_manifest

README = Path(__file__).resolve().parent.parent / "README.md"
BENCHMARKS = README.parent / "benchmarks"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parameters() -> str:
    manifest = load_manifest()
    model = manifest["input_schema"]["properties"]
    rows = [
        "| name | required | location | spec type | accepted here | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, spec in manifest["parameters"].items():
        if name == "token":
            accepted = "from the environment or `token=`; never from a model"
        elif name == "image":
            accepted = (
                "path, bytes, file object, data: URI, base64, or an https URL on an allowed "
                "host (`url_hosts=`) (model: text)"
            )
        else:
            bounds = model[name]
            accepted = f"integer or decimal text, {bounds['minimum']}..{bounds['maximum']}"
        required = "yes" if spec["required"] else "no"
        if name == "image":
            required = "no (spec); yes here"
        rows.append(
            f"| `{name}` | {required} | {spec['location']} | {spec['type']} | {accepted} | "
            f"{_cell(spec['description'])} |"
        )
    return "\n".join(rows)


def errors() -> str:
    rows = ["| `error` | what to do |", "| --- | --- |"]
    rows += [f"| `{code}` | {_cell(hint)} |" for code, hint in HINTS.items()]
    return "\n".join(rows)


def assumptions() -> str:
    return "\n".join(f"- {_cell(choice)}" for choice in ASSUMPTIONS)


def exit_codes() -> str:
    rows = ["| exit code | meaning |", "| --- | --- |"]
    rows += [f"| {int(code)} | {_cell(meaning)} |" for code, (_, meaning) in MEANINGS.items()]
    return "\n".join(rows)


def performance() -> str:
    """The Performance section, from the benchmark run kept in benchmarks/results.json."""
    spec = importlib.util.spec_from_file_location(
        "readme_performance", BENCHMARKS / "readme_performance.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = json.loads((BENCHMARKS / "results.json").read_text())
    rendered: str = module.render(results)
    return rendered.rstrip("\n")


SECTIONS: dict[str, Callable[[], str]] = {
    "parameters": parameters,
    "errors": errors,
    "assumptions": assumptions,
    "exit-codes": exit_codes,
    "performance": performance,
}


def render(text: str) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, build in SECTIONS.items():
        text = _replace_section(text, name, build() + "\n")
    return text


def _replace_section(text: str, name: str, content: str) -> str:
    pattern = re.compile(
        rf"(<!-- generated: {name} -->\n).*?(<!-- /generated: {name} -->)", re.DOTALL
    )
    if not pattern.search(text):
        raise ValueError(f"README.md lacks the markers of the generated section {name!r}")
    return pattern.sub(lambda found: found.group(1) + content + found.group(2), text)


def main() -> int:
    README.write_text(render(README.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
