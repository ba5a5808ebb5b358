"""What the docs point a newcomer to is in a clone: the files README.md, docs/ and ops/README.md
name, and the pages the code's docstrings send readers to."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "ops" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Top-level folders of the repository: a backticked path starting with one of them names a file of the clone.
REPO_FOLDERS = "apps seidra workers ops docs requirements static templates tests docker locale".split()
BACKTICKED_PATH = re.compile(r"`((?:" + "|".join(REPO_FOLDERS) + r")/[\w./-]*)`")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MARKDOWN_FILE_NAME = re.compile(r"\b([\w-]+\.md)\b")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    text_suffixes = (".py", ".md", ".sh", ".html", ".txt", ".toml", ".yml", ".yaml")
    return [ROOT / name for name in listed if name.endswith(text_suffixes)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_repository_path_a_doc_names_exists(doc):
    text = doc.read_text()
    named = set(BACKTICKED_PATH.findall(text))
    named |= {link for link in MARKDOWN_LINK.findall(text) if "://" not in link}
    missing = sorted(path for path in named if not (doc.parent / path).exists() and not (ROOT / path).exists())
    assert not missing, f"{doc.name} names files a clone does not have: {missing}"


def test_every_markdown_page_the_project_mentions_is_in_the_repository():
    pages = {path.name for path in ROOT.rglob("*.md") if ".venv" not in path.parts}
    mentions = {}
    for path in _tracked_text_files():
        if path.name == Path(__file__).name:
            continue
        for name in MARKDOWN_FILE_NAME.findall(path.read_text(errors="replace")):
            if name not in pages:
                mentions.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not mentions, f"pages mentioned but not in the repository: {mentions}"
