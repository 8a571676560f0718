"""Masking for everything a ticket bundle carries: credentials (the one rule, harness.secrets: URL userinfo,
secret-named keys, auth headers, secret environment variables) and private paths (home, project, the run's
folder)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from harness.secrets import MASK, is_secret_key, mask_secrets, secret_env_values

# Other users' home folders: the user name is private even when the folder is not ours.
_USER_HOME_RE: Final = re.compile(r"(?<![\w.-])(/home/|/Users/|[A-Za-z]:\\Users\\)(?!<user>)[^/\\\s\"'<>:]+")
# The character after a masked path must not continue its last name (/work/main must not eat /work/mainline).
_PATH_END: Final = r"(?![\w.-])"


def farm_secrets(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The values of the secret environment variables (harness.secrets), longest first."""
    return tuple(sorted(secret_env_values(environ), key=lambda v: (-len(v), v)))


def _replace_folder(text: str, folder: str, label: str) -> str:
    return re.sub(re.escape(folder) + _PATH_END, lambda _m: label, text)


@dataclass(frozen=True)
class Redactor:
    """Replaces credentials by *** and private folders by a label, in text and in JSON-like values.

    `roots` are (folder, label) pairs such as (project root, "<project>") and (home, "~"); longer folders are
    replaced first, so a project inside the home folder reads `<project>/...`, not `~/...`.
    """

    roots: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...] = ()

    @classmethod
    def for_paths(
        cls, *, roots: Iterable[tuple[Path, str]], environ: Mapping[str, str] | None = None
    ) -> Redactor:
        """A redactor for these folders (each also in its resolved form) and the farm credentials of `environ`
        (default: the process environment)."""
        pairs: dict[str, str] = {}
        for folder, label in roots:
            for form in {str(folder), str(folder.resolve())}:
                # "/" or "C:\" would mask every path; such a root means nothing private.
                if len(Path(form).parts) >= 2 and form not in pairs:
                    pairs[form.rstrip("/\\")] = label
        ordered = tuple(sorted(pairs.items(), key=lambda kv: (-len(kv[0]), kv[0])))
        return cls(roots=ordered, secrets=farm_secrets(os.environ if environ is None else environ))

    def text(self, text: str) -> str:
        """`text` with every credential and private folder masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = mask_secrets(text)
        for folder, label in self.roots:
            text = _replace_folder(text, folder, label)
        return _USER_HOME_RE.sub(lambda m: f"{m.group(1)}<user>", text)

    def value(self, value: Any, *, key: str = "") -> Any:
        """A JSON-like value masked throughout: a secret-named key's scalar value becomes ***, strings are
        masked as text, containers recursively (keys too, as text)."""
        if key and is_secret_key(key):
            if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
                return MASK
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v, key=str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def leaks(self, text: str) -> bool:
        """True when masking would still change `text` (something private is left in it)."""
        return self.text(text) != text


__all__ = ["Redactor", "farm_secrets"]
