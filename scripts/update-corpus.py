#!/usr/bin/env python3
"""Rewrites the `# expect:` and `# error:` lines of corpus programs from what
`wiggle run` prints now, keeping every other line as it is.

  scripts/update-corpus.py WIGGLE FILE...

Use it only after a deliberate change of output (a change of random
streams, of wording) and read the diff: an expected line that moved for
another reason is a bug to find, not a golden to refresh. A file whose
number of output lines or diagnostics differs from its directives is left
alone and named (its directives need a hand).
"""
import re, subprocess, sys

wiggle, files = sys.argv[1], sys.argv[2:]
status = 0
for path in files:
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    arguments = [wiggle, "run", path]
    for line in lines:
        for directive, flag in (("# particles: ", "--particles"), ("# max-nodes: ", "--max-nodes"),
                                ("# max-depth: ", "--max-depth")):
            if line.startswith(directive):
                arguments += [flag, line[len(directive):].strip()]
    run = subprocess.run(arguments, capture_output=True, text=True)
    outputs = run.stdout.split("\n")
    if outputs and outputs[-1] == "":
        outputs.pop()
    name = path
    errors = [re.sub(r"^" + re.escape(name) + r":(\d+:\d+): error: ", r"\1: ", l)
              for l in run.stderr.split("\n") if re.match(re.escape(name) + r":\d+:\d+: error: ", l)]
    expect_at = [i for i, l in enumerate(lines) if "# expect: " in l or l.endswith("# expect:")]
    error_at = [i for i, l in enumerate(lines) if l.startswith("# error: ")]
    if len(expect_at) != len(outputs) or len(error_at) != len(errors):
        print(f"{path}: {len(outputs)} output lines for {len(expect_at)} expects, "
              f"{len(errors)} errors for {len(error_at)} error lines: left alone")
        status = 1
        continue
    for i, output in zip(expect_at, outputs):
        line = lines[i]
        cut = line.index("# expect:")
        lines[i] = line[:cut] + ("# expect: " + output if output else "# expect:")
    for i, error in zip(error_at, errors):
        lines[i] = "# error: " + error
    updated = "\n".join(lines)
    if updated != text:
        open(path, "w", encoding="utf-8").write(updated)
        print(f"{path}: updated")
sys.exit(status)
