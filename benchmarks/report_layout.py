"""Layout of report.html in headless Chromium at 1,280 and 375 px, for run folders given as name=path.

Prints, per run and width: the page's scroll width against the window, the table cells whose content
overflows them (numbers overprinting), elements past the window outside a .scroll box, and SVG texts
past their chart's box. Usage: python benchmarks/report_layout.py base=/tmp/base_run cur=/tmp/cur_run
"""

from __future__ import annotations

import json
import sys

from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
PROBE = """() => ({
 page_width: document.documentElement.scrollWidth, window: document.documentElement.clientWidth,
 overflowing_cells: [...document.querySelectorAll('td, th')].filter(e => e.scrollWidth > e.clientWidth + 1).length,
 past_window: [...document.querySelectorAll('body *')].filter(e => !e.closest('.scroll')
   && e.getBoundingClientRect().right > innerWidth + 0.5).length,
 clipped_svg_text: [...document.querySelectorAll('svg')].flatMap(s => { const w = s.viewBox.baseVal.width,
   h = s.viewBox.baseVal.height; return [...s.querySelectorAll('text')].filter(t => { const b = t.getBBox();
   return b.x < -0.5 || b.y < -0.5 || b.x + b.width > w + 0.5 || b.y + b.height > h + 0.5; })
   .map(t => t.textContent); }),
})"""


def main(args: list[str]) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for arg in args:
            name, run = arg.split("=", 1)
            for width in (1280, 375):
                tab = browser.new_page(viewport={"width": width, "height": 800})
                tab.goto(f"file://{run}/report.html", wait_until="load")
                print(json.dumps({"run": name, "width": width, **tab.evaluate(PROBE)}))
                tab.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
