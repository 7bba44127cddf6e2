"""A whole document (the AsyncAPI export) as YAML or JSON text: stable to diff, safe to print.

Keys keep the order the document was built in, so two exports of the same catalog are the same
text and a change to the catalog is a small diff. Text from catalog files is never interpreted
by a terminal: JSON escapes it as ``safe_json`` does; YAML escapes control characters itself,
and the rest of the unsafe ones (C1, bidi overrides) by writing non-ASCII text as escapes.
"""

from __future__ import annotations

import re
from typing import Any

from ocelot_cli.render.safe_text import safe_json

_UNSAFE_IN_YAML = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def document_text(document: Any, *, as_json: bool) -> str:
    """``document`` as indented JSON or block-style YAML, ending with a newline."""
    if as_json:
        return safe_json(document, indent=2) + "\n"
    text = _yaml(document, allow_unicode=True)
    return _yaml(document, allow_unicode=False) if _UNSAFE_IN_YAML.search(text) else text


def _yaml(document: Any, *, allow_unicode: bool) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # a schema used twice is written twice, never as &id001
            return True

    return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=allow_unicode,
                     default_flow_style=False, width=1_000_000)  # fmt: skip
