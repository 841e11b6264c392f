"""Reading the bundled YAML files (delegation order, retention schedule, recurring controls)."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it: the same documents, about ten times faster than the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(raw: str | bytes) -> Any:
    """``yaml.safe_load`` with libyaml's parser when it is there."""
    return yaml.load(raw, Loader=_LOADER)  # a safe loader, C or Python
