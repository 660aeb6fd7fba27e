#!/usr/bin/env python3
"""The example notebooks, executed end to end by nbclient with the Wiggle kernel.

  tests/kernel/notebooks.py WIGGLE           run each notebook and compare its
                                             outputs with the ones stored in it
  tests/kernel/notebooks.py WIGGLE --update  (re)build the notebooks from
                                             their cells below and store the outputs

Compared: every output's text/plain, stream text and error traceback, in
order (numbers are fixed by each notebook's seed). minimize's progress
display (marked wiggle.progress in its metadata) carries timings and is left
out; every image/svg+xml output must parse as XML with an <svg> root.
"""
import os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

WIGGLE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/wiggle")
UPDATE = "--update" in sys.argv
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join(ROOT, "examples", "notebooks")

PREFIX = tempfile.mkdtemp(prefix="wiggle-notebooks-")
subprocess.run([WIGGLE, "kernel", "install", "--prefix", PREFIX], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

NOTEBOOKS = {
    "tour.ipynb": [
        ("markdown", "# A tour of Wiggle\nA normal whose mean and log-sd are parameters, its expected loss and "
                     "gradient, a Bernoulli toy, an optimisation with its loss curve, and a histogram."),
        ("code", "set(seed = 1, particles = 10000)\nparam mu = 0.5\nparam log_sigma = 0.0\nx = normal(mu, exp(log_sigma))\n"
                 "loss = (x - 3)^2\nE[loss]                      # exact: (0.5 - 3)^2 + 1 = 7.25"),
        ("code", "grad(E[loss])                # exact: mu -5, log_sigma 2"),
        ("code", "param theta = 0\nb = bernoulli(sigmoid(theta))\ngrad(E[(b - 0.499)^2])       # exact: 0.0005"),
        ("code", "minimize(E[loss], steps = 300, lr = 0.05)"),
        ("code", "print(\"mu reached\", mu)\nhist(x, bins = 20)"),
        ("code", "explain(loss + (x > 3))"),
        ("code", "undefined_name + 1          # an error, relative to the cell"),
    ],
    "digital_option.ipynb": [
        ("markdown", "# A digital option's delta\nA cash-or-nothing call pays 1 if the stock ends above the strike. "
                     "Pathwise autodiff differentiates the step to zero; Wiggle takes the measure-valued derivative "
                     "(Weibull pair) and checks it against the score function with a pilot."),
        ("code", "set(seed = 42, particles = 200000)\nparam S0 = 100\nK = 100; r = 0.05; vol = 0.2; T = 1\n"
                 "logS = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T))\nprice = exp(-r * T) * (logS > log(K))\nE[price]"),
        ("code", "grad(E[price])"),
        ("code", "d2 = (log(S0 / K) + (r - vol^2 / 2) * T) / (vol * sqrt(T))\n"
                 "exp(-r * T) * exp(-d2^2 / 2) / sqrt(2 * 3.141592653589793) / (S0 * vol * sqrt(T))   # closed-form delta"),
        ("code", "scored = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T)) @score\ngrad(E[exp(-r * T) * (scored > log(K))])"),
        ("code", "forced = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T)) @pathwise\ngrad(E[exp(-r * T) * (forced > log(K))])"),
        ("code", "hist(logS, bins = 30)"),
    ],
}


def comparable(notebook):
    """What is compared, cell by cell."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("wiggle", {}).get("progress"):
                continue
            if output.output_type == "stream":
                outputs.append(("stream", output.name, output.text))
            elif output.output_type in ("display_data", "execute_result"):
                outputs.append((output.output_type, output.data.get("text/plain", "")))
            elif output.output_type == "error":
                outputs.append(("error", output.ename, "\n".join(output.traceback)))
        cells.append(outputs)
    return cells


def svgs(notebook):
    return [output.data["image/svg+xml"] for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/svg+xml" in output.get("data", {})]


def build(cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "wiggle", "display_name": "Wiggle", "language": "wiggle"}
    notebook.metadata["language_info"] = {"name": "wiggle", "file_extension": ".wgl", "mimetype": "text/x-wiggle"}
    for kind, source in cells:
        notebook.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source))
    return notebook


failures = 0
for name, cells in NOTEBOOKS.items():
    path = os.path.join(FOLDER, name)
    if UPDATE:
        notebook = build(cells)
    else:
        notebook = nbformat.read(path, as_version=4)
    stored = comparable(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(notebook, kernel_name="wiggle", timeout=300, allow_errors=True).execute()
    if UPDATE:
        nbformat.write(notebook, path)
        print("wrote", os.path.relpath(path, ROOT))
        continue
    fresh = comparable(notebook)
    same = fresh == stored
    print(("ok   " if same else "FAIL ") + name + ": outputs match the stored ones")
    if not same:
        failures += 1
        for index, (a, b) in enumerate(zip(stored, fresh)):
            if a != b:
                print("  code cell", index + 1, "stored:", a, "\n  fresh:", b)
    pictures = svgs(notebook)
    parsed = all(ET.fromstring(svg).tag.endswith("svg") for svg in pictures)
    print(("ok   " if pictures and parsed else "FAIL ") + name + ": %d SVG pictures, each well-formed" % len(pictures))
    if not (pictures and parsed):
        failures += 1

subprocess.run([WIGGLE, "kernel", "uninstall", "--prefix", PREFIX], check=False, stdout=subprocess.DEVNULL)
sys.exit(1 if failures else 0)
