"""Checks of a built HTML site (the report): every internal link reaches a file that exists and,
when it names an anchor, an element with that id; every image exists and has alt text. Read
with the standard library's HTML parser, so it needs nothing beyond Python."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Links to these are not files of the site.
EXTERNAL = ("http:", "https:", "mailto:", "data:", "javascript:", "tel:", "ftp:")


class _Page(HTMLParser):
    """The ids, links and images of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append((a.get("src") or "", a.get("alt")))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _internal(href: str) -> bool:
    return bool(href) and not href.lower().startswith(EXTERNAL) and not href.startswith("//")


def check_page(path: Path, root: Path, cache: dict[Path, _Page]) -> list[str]:
    """The problems of one page: broken internal links and anchors, missing images and images
    without alt text."""
    page = cache.setdefault(path, _parse(path))
    name = path.relative_to(root).as_posix()
    out = []
    for href in page.links:
        if not _internal(href):
            continue
        parts = urlsplit(href)
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            out.append(f"{name}: link {href!r} leads to no file")
            continue
        if parts.fragment and target.suffix == ".html":
            ids = cache.setdefault(target, _parse(target)).ids
            if unquote(parts.fragment) not in ids:
                out.append(f"{name}: link {href!r} names an anchor the page lacks")
    for src, alt in page.images:
        if not (alt or "").strip():
            out.append(f"{name}: image {src!r} has no alt text")
        if _internal(src) and not (path.parent / unquote(urlsplit(src).path)).exists():
            out.append(f"{name}: image {src!r} is missing")
    return out


def check_site(root: Path) -> list[str]:
    """Every problem of every page under ``root`` (an HTML build folder); [] when it is sound.
    A missing ``index.html`` is a problem too."""
    root = Path(root).resolve()
    if not (root / "index.html").exists():
        return [f"{root}: no index.html (the build did not run or failed)"]
    cache: dict[Path, _Page] = {}
    out = []
    for path in sorted(root.rglob("*.html")):
        if "_static" in path.relative_to(root).parts:
            continue  # the theme's own files
        out += check_page(path.resolve(), root, cache)
    return out
