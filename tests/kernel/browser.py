#!/usr/bin/env python3
"""A notebook as a person sees it: JupyterLab in headless Chromium.

Writes a notebook that shows each kind of Wiggle result (an estimate, a
gradient, a histogram, an optimisation with its loss curve, an explanation,
an error), starts JupyterLab on loopback with the Wiggle kernel installed in
a temporary prefix, opens the notebook in Debian's Chromium through
Playwright's Python package (no browser download), runs every cell and
checks what the page shows:

  - no JSON tree viewer anywhere (JupyterLab prefers it to every picture,
    table and formula when a bundle carries application/json);
  - the histogram and the loss curve as SVG pictures;
  - the explanation as an HTML table;
  - the estimate with its ± (typeset LaTeX, or plain text);
  - the error as the usual diagnostic with its caret.

Screenshots for people go to .build/browser/.

usage: tests/kernel/browser.py PATH_TO_WIGGLE [PATH_TO_CHROMIUM]
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, secrets

WIGGLE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/wiggle")
CHROMIUM = sys.argv[2] if len(sys.argv) > 2 else (shutil.which("chromium") or "/usr/bin/chromium")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, ".build", "browser")
os.makedirs(SHOTS, exist_ok=True)

PREFIX = tempfile.mkdtemp(prefix="wiggle-browser-")
subprocess.run([WIGGLE, "kernel", "install", "--prefix", PREFIX], check=True, stdout=subprocess.DEVNULL)
env = dict(os.environ)
env["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")
# A Jupyter configuration of its own, so nothing on the machine leaks in.
env["JUPYTER_CONFIG_DIR"] = os.path.join(PREFIX, "config")
env["JUPYTER_RUNTIME_DIR"] = os.path.join(PREFIX, "runtime")
env["JUPYTER_DATA_DIR"] = os.path.join(PREFIX, "data")

from playwright.sync_api import sync_playwright  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


CELLS = [
    "set(seed = 1, particles = 10000)\nparam mu = 0.5\nx = normal(mu, 1)\nE[(x - 3)^2]",
    "grad(E[(x - 3)^2])",
    "hist(x, bins = 20)",
    "minimize(E[(x - 3)^2], steps = 50, lr = 0.1)",
    "explain((x - 3)^2 + (x > 3))",
    "undefined_name + 1",
]

folder = tempfile.mkdtemp(prefix="wiggle-lab-")
notebook = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
               "outputs": [], "source": source} for i, source in enumerate(CELLS)],
    "metadata": {"kernelspec": {"name": "wiggle", "display_name": "Wiggle", "language": "wiggle"},
                 "language_info": {"name": "wiggle"}},
    "nbformat": 4, "nbformat_minor": 5,
}
with open(os.path.join(folder, "results.ipynb"), "w") as f:
    json.dump(notebook, f)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port, token = free_port(), secrets.token_hex(16)
log = open(os.path.join(SHOTS, "jupyterlab.log"), "w")
lab = subprocess.Popen(
    [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
     f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--allow-root",
     "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_lab(*_):
    """JupyterLab and the kernels it started, as one process group."""
    try:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(lab.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# A CI timeout sends SIGTERM: leave nothing running.
signal.signal(signal.SIGTERM, lambda *_: (stop_lab(), sys.exit(1)))


def wait_for_server(deadline):
    while time.time() < deadline:
        if lab.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.5)
    return False


try:
    check(wait_for_server(time.time() + 120), "JupyterLab starts on loopback")
    if failures:
        raise SystemExit(1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1280, "height": 2400})
        page.set_default_timeout(120_000)
        page.goto(f"http://127.0.0.1:{port}/lab/tree/results.ipynb?token={token}")
        # The kernel is up and idle.
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-StatusBar-Widget')].some(e => /Idle/.test(e.textContent))",
            timeout=120_000)
        # Run every cell, as a person would: select all, Shift+Enter.
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Escape")
        page.keyboard.press("Control+a")
        page.keyboard.press("Shift+Enter")
        # Done when every cell has an execution count and the kernel is idle.
        page.wait_for_function(
            """(n) => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                const done = prompts.filter(e => /\\[\\d+\\]/.test(e.textContent)).length;
                const idle = [...document.querySelectorAll('.jp-StatusBar-Widget')].some(e => /Idle/.test(e.textContent));
                return done >= n && idle;
            }""", arg=len(CELLS), timeout=180_000)
        page.wait_for_timeout(2000)  # MathJax typesets after the output lands
        page.screenshot(path=os.path.join(SHOTS, "notebook.png"), full_page=True)

        cells = page.query_selector_all(".jp-Notebook .jp-CodeCell")
        # (Shift+Enter on the last cell adds an empty one below it.)
        check(len(cells) >= len(CELLS), f"the notebook shows its {len(CELLS)} code cells")

        def outputs(i):
            return cells[i].query_selector(".jp-OutputArea") if i < len(cells) else None

        check(page.query_selector(".jp-RenderedJSON") is None,
              "no result shows as a JSON tree (.jp-RenderedJSON)")
        estimate = outputs(0)
        text = estimate.inner_text() if estimate else ""
        typeset = estimate.query_selector("mjx-container") if estimate else None
        check(typeset is not None or "±" in text,
              f"the estimate shows as a formula or as value ± stderr (saw {text.strip()[:60]!r})")
        if typeset is not None:
            check(typeset.query_selector("mjx-merror") is None, "the estimate's LaTeX typesets without an error")
        gradient = outputs(1)
        gtext = gradient.inner_text() if gradient else ""
        check("mu:" in gtext and "±" in gtext and "pathwise" in gtext,
              f"the gradient shows its component, its ± and the estimator (saw {gtext.strip()[:80]!r})")
        for index, what in ((2, "hist"), (3, "minimize's loss curve")):
            area = outputs(index)
            picture = area and (area.query_selector(".jp-RenderedSVG svg") or area.query_selector(".jp-RenderedSVG img")
                                or area.query_selector(".jp-RenderedImage img"))
            check(picture is not None, f"{what} shows as an SVG picture")
        table = outputs(4) and outputs(4).query_selector(".jp-RenderedHTMLCommon table")
        check(table is not None, "explain shows as an HTML table")
        if table is not None:
            check("pathwise" in table.inner_text() or "mvd" in table.inner_text() or "score" in table.inner_text(),
                  "the explain table names the estimators")
        error = outputs(5)
        etext = error.inner_text() if error else ""
        check("error: unknown name 'undefined_name'" in etext and "^" in etext,
              f"the error shows as the diagnostic with a caret (saw {etext.strip()[:80]!r})")
        for i, cell in enumerate(cells):
            cell.screenshot(path=os.path.join(SHOTS, f"cell-{i}.png"))
        browser.close()
finally:
    stop_lab()
    log.close()
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(PREFIX, ignore_errors=True)

print(f"{len(failures)} failed" if failures else "browser: all checks passed", f"(screenshots in {SHOTS})")
sys.exit(1 if failures else 0)
