"""Theme-aware colours for inline styles (no widget imports: views.py stays pure).

Inline styles use ``var(--pc-*, fallback)``: the fallback is the light colour (Colab's
iframes, classic Notebook); ``ui.STYLE`` defines the variables, with lighter shades where
JupyterLab or Notebook 7 mark a dark theme (``data-jp-theme-light="false"`` on <body>).
Each colour is at least 4.5:1 (WCAG AA) against its theme's background;
tests/e2e/test_look_browser.py measures it in both themes.
"""

from __future__ import annotations

OK, BAD, WARN, INFO = "var(--pc-ok, #116329)", "var(--pc-bad, #a40e26)", "var(--pc-warn, #7d4e00)", "var(--pc-info, #0550ae)"
BAD_BG, WARN_BG = "var(--pc-bad-bg, #ffebe9)", "var(--pc-warn-bg, #fff1d6)"  # tints behind BAD / WARN text
TEXT, MUTED = "var(--jp-ui-font-color1, #24292f)", "var(--pc-muted, #57606a)"
BORDER = "var(--jp-border-color2, #ddd)"
DIFF_BG = {"+": "var(--pc-diff-add, #e6ffec)", "-": "var(--pc-diff-del, #ffebe9)", "@": "var(--pc-diff-hunk, #ddf4ff)",
           "head": "var(--pc-diff-head, #f6f8fa)"}
BUTTONS_COLOURED = ".pc-panel .jupyter-button:is(.mod-primary, .mod-success, .mod-info, .mod-warning, .mod-danger)"
