#!/usr/bin/env python3
"""Standard errors of Wiggle's estimator choice against the two fixed rules.

For each program in estimator-choice/, three variants run in one session of
this script, on one thread, with a release build:
  new     as written: the analysis with per-term splits and the pilot
  exact   the old fixed rule: every bernoulli @exact, every normal that
          reaches a jump @score for all its terms
  score   the other fixed rule: every bernoulli and such normal @score
A program marks where the annotations go with @{B} (bernoullis) and @{N}
(normals that reach a jump). Each variant runs RUNS times; the median wall
time is used. The standard error at equal time is se * sqrt(time / t_exact),
what the variant would reach in the exact rule's time.

usage: bench/estimator-choice.py [--wiggle .build/release/wiggle] [--runs 5]
"""
import argparse, json, math, os, statistics, subprocess, sys, tempfile

VARIANTS = {"new": ("", ""), "exact": ("@exact", "@score"), "score": ("@score", "@score")}


def run(wiggle, path):
    # CPU seconds of the child (user + system): steadier than wall time on a
    # shared machine, and the same on one thread.
    process = subprocess.Popen([wiggle, "run", "--json", path], stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{path}: wiggle exited with status {status}")
    elapsed = usage.ru_utime + usage.ru_stime
    gradients = [json.loads(line) for line in out.splitlines() if json.loads(line).get("kind") == "gradient"]
    return elapsed, gradients[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wiggle", default=".build/release/wiggle")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "estimator-choice")
    rows = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".wgl"):
            continue
        source = open(os.path.join(folder, name)).read()
        results = {}
        for variant, (bernoulli, normal) in VARIANTS.items():
            with tempfile.NamedTemporaryFile("w", suffix=".wgl", delete=False) as f:
                f.write(source.replace("@{B}", bernoulli).replace("@{N}", normal))
            times, gradient = [], None
            for _ in range(args.runs):
                elapsed, gradient = run(args.wiggle, f.name)
                times.append(elapsed)
            os.unlink(f.name)
            results[variant] = (statistics.median(times), gradient)
        t_ref = results["exact"][0]
        # Geometric mean over the gradient's components that vary.
        def se(variant, equal_time):
            t, g = results[variant]
            errors = [v["stderr"] for v in g["wrt"].values()]
            scale = math.sqrt(t / t_ref) if equal_time else 1.0
            logs = [math.log(e * scale) for e in errors if e > 0]
            return math.exp(sum(logs) / len(logs)) if logs else 0.0
        chosen = ", ".join(sorted({e["estimator"] for e in results["new"][1]["estimators"]
                                   if e["distribution"] in ("bernoulli",) or e["estimator"] != "pathwise"}))
        row = [name[:-4], chosen]
        for equal_time in (False, True):
            row += ["%.3g" % se(v, equal_time) for v in ("exact", "score", "new")]
        best = min(se("exact", True), se("score", True))
        row.append("%.2f" % (se("new", True) / best) if best > 0 else ("1.00" if se("new", True) == 0 else "inf"))
        rows.append(row)
        print(" | ".join(row), file=sys.stderr)
    header = ["program", "new choice", "exact rule", "score rule", "new",
              "exact rule", "score rule", "new", "new / better fixed (equal time)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
