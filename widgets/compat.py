"""The few places where ipywidgets 7.7.1 (Google Colab) and ipywidgets 8 differ.

Everything version- or Colab-specific lives here so the panel code reads the same for
both: which artifact editor a front end can show, FileUpload's value shape, the Play widget's trait names, Colab's own upload and
download (its FileUpload loses files of about 1 MB and more), and a hidden ``Play``
"ticker" whose browser-side timer makes the kernel drain worker updates on the main
thread (Colab does not refresh widget values set from another thread). On 7.x that
timer never starts from the kernel, so there the kernel's own event loop ticks instead.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import Callable
from typing import Any

import ipywidgets as W

IPYWIDGETS_MAJOR = int(W.__version__.split(".")[0])
IS_W7 = IPYWIDGETS_MAJOR < 8


def in_colab() -> bool:
    """True inside Google Colab (tests fake it with a stand-in ``google.colab.output``)."""
    return "google.colab.output" in sys.modules


def code_editor_supported() -> bool:
    """True where the CodeMirror editor (an anywidget) can show; otherwise the panel uses a textarea.

    It needs the ipywidgets 8 front end (anywidget's ESM views) and the ``anywidget``
    package; Colab's widget manager (ipywidgets 7.7.1 there) gets the textarea.
    """
    if IS_W7 or in_colab():
        return False
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return False
    return True


def uploaded_files(value: Any) -> list[tuple[str, bytes]]:
    """(name, content) pairs from a FileUpload value.

    7.x: ``{name: {"metadata": {...}, "content": bytes}}``; 8.x: a tuple of dicts with
    ``name`` and ``content`` (a memoryview).
    """
    out: list[tuple[str, bytes]] = []
    if isinstance(value, dict):
        for name, item in value.items():
            content = item.get("content", b"") if isinstance(item, dict) else item
            meta = item.get("metadata", {}) if isinstance(item, dict) else {}
            out.append((str(meta.get("name") or name), bytes(content)))
    else:
        for item in value or ():
            out.append((str(item["name"]), bytes(item["content"])))
    return out


def colab_upload() -> list[tuple[str, bytes]]:
    """Colab's own upload dialog (no size limit); returns (name, content) pairs."""
    from google.colab import files  # type: ignore[import-not-found]

    return [(name, bytes(data)) for name, data in files.upload().items()]


def colab_download(path: str) -> None:
    """Ask Colab's front end to download a file (relative links do not work there)."""
    from google.colab import files  # type: ignore[import-not-found]

    files.download(path)


def make_ticker(on_tick: Callable[[], None], interval_ms: int = 120) -> W.Play:
    """A hidden Play widget whose value changes every ``interval_ms`` while playing.

    Its value observer runs on the kernel's main thread, which is where the panel moves
    queued worker updates into widgets, in every front end alike.
    """
    play = W.Play(value=0, min=0, max=10**9, step=1, interval=interval_ms)
    play.layout.display = "none"
    play.add_class("pc-ticker")
    set_trait(play, "repeat", True)
    play.observe(lambda _change: on_tick(), names="value")
    return play


def set_trait(widget: W.Widget, name: str, value: Any) -> None:
    """Set a trait that 7.x names with a leading underscore (Play's playing / repeat)."""
    if widget.has_trait(name):
        setattr(widget, name, value)
    elif widget.has_trait(f"_{name}"):
        setattr(widget, f"_{name}", value)


def set_playing(play: W.Play, playing: bool) -> None:
    set_trait(play, "playing", playing)
    if playing and IS_W7:
        tick_from_kernel(play)


_KERNEL_TICKING: weakref.WeakSet[W.Play] = weakref.WeakSet()


def tick_from_kernel(play: W.Play) -> None:
    """Advance ``play.value`` every ``interval`` ms from the running event loop while it plays.

    ipywidgets 7's Play starts its browser timer only when its own Play button is clicked;
    setting ``_playing`` from the kernel changes nothing on screen, so in classic Notebook
    and Colab the panel stayed "running" forever. The kernel's event loop runs on the main
    thread, so the value observers run exactly where the browser's ticks would run them.
    Without a running loop (scripts, tests) nothing ticks: ``Workbench.wait_idle`` drains.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if play in _KERNEL_TICKING:
        return  # one chain of callbacks per ticker; it checks is_playing on every tick
    _KERNEL_TICKING.add(play)

    def tick() -> None:
        if not is_playing(play):
            _KERNEL_TICKING.discard(play)
            return
        try:
            play.value += 1
        finally:  # an error in an observer is the loop's to report; the ticks go on
            loop.call_later(play.interval / 1000, tick)

    loop.call_later(play.interval / 1000, tick)


def is_playing(play: W.Play) -> bool:
    return bool(getattr(play, "playing", getattr(play, "_playing", False)))


def set_outputs(out: W.Output, items: list[dict[str, Any]]) -> None:
    """Replace an Output widget's content without a capture context (safe off-cell).

    Each item is a MIME bundle; ``text/plain`` is added so every front end shows something.
    """
    outputs = []
    for data in items:
        bundle = dict(data)
        bundle.setdefault("text/plain", next(iter(data.values()), ""))
        outputs.append({"output_type": "display_data", "data": bundle, "metadata": {}})
    out.outputs = tuple(outputs)


def file_upload(accept: str = "") -> W.FileUpload:
    return W.FileUpload(accept=accept, multiple=False)
