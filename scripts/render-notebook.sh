#!/usr/bin/env bash
# Renders an executed notebook (default: examples/notebooks/tour.ipynb) to a
# PNG with headless Chromium (Debian's `chromium`): its code cells, their
# text outputs and their SVG charts, on one page. Used for the README's
# picture; not a test.
#
#   [HEIGHT=pixels] scripts/render-notebook.sh [NOTEBOOK] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
NOTEBOOK=${1:-examples/notebooks/tour.ipynb}
OUT=${2:-docs/notebook.png}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "render-notebook: needs chromium (apt-get install chromium)" >&2
    exit 69
fi
mkdir -p "$(dirname "$OUT")"
PAGE=$(mktemp --suffix=.html)
python3 - "$NOTEBOOK" "$PAGE" <<'PY'
import html, json, sys
notebook = json.load(open(sys.argv[1]))
parts = ["<html><body style='font-family:sans-serif;width:760px;margin:16px'>"]
for cell in notebook["cells"]:
    source = "".join(cell["source"])
    if cell["cell_type"] == "markdown":
        title, _, rest = source.partition("\n")
        parts.append("<h2>%s</h2><p>%s</p>" % (html.escape(title.lstrip("# ")), html.escape(rest)))
        continue
    count = cell.get("execution_count") or " "
    parts.append("<div style='display:flex;margin-top:10px'><code style='color:#307fc1;width:60px'>In [%s]:</code>"
                 "<pre style='background:#f5f5f5;padding:6px;margin:0;flex:1'>%s</pre></div>" % (count, html.escape(source)))
    for output in cell.get("outputs", []):
        if output.get("metadata", {}).get("wiggle", {}).get("progress"):
            continue
        data = output.get("data", {})
        if "image/svg+xml" in data:
            body = "".join(data["image/svg+xml"])
        elif "text/html" in data:
            body = "".join(data["text/html"])
        elif "text/plain" in data:
            body = "<pre style='margin:0'>%s</pre>" % html.escape("".join(data["text/plain"]))
        elif output.get("output_type") == "stream":
            body = "<pre style='margin:0'>%s</pre>" % html.escape("".join(output["text"]))
        elif output.get("output_type") == "error":
            body = "<pre style='margin:0;background:#fdd'>%s</pre>" % html.escape("\n".join(output["traceback"]))
        else:
            continue
        parts.append("<div style='margin:4px 0 0 60px'>%s</div>" % body)
parts.append("</body></html>")
open(sys.argv[2], "w").write("\n".join(parts))
PY
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=800,"${HEIGHT:-1950}" \
    --screenshot="$(realpath -m "$OUT")" "file://$PAGE" 2>/dev/null
rm -f "$PAGE"
echo "wrote $OUT"
