"""Where the shared device-output fixtures are: `shared/fixtures/device-outputs` beside the repository (CI clones
`shared/` there), or, in a git worktree, beside the main checkout. Missing: a clear error, never a skip."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).parents[1]
_REL = Path("shared") / "fixtures" / "device-outputs"


def _candidates() -> list[Path]:
    found = [REPO.parent / _REL]
    git = REPO / ".git"
    if git.is_file() and git.read_text(encoding="utf-8").startswith("gitdir:"):
        # a worktree: .git names <main>/.git/worktrees/<name>; shared/ sits beside <main>
        gitdir = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        if len(gitdir.parents) >= 3:
            found.append(gitdir.parents[2].parent / _REL)
    return found


def fixtures_dir() -> Path:
    for path in _candidates():
        if path.is_dir():
            return path
    tried = ", ".join(str(p) for p in _candidates())
    raise RuntimeError(f"device-output fixtures not found (tried {tried}): clone the shared/ folder beside the "
                       "repository, as CI does")


FIXTURES = fixtures_dir()
