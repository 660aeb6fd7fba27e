#!/usr/bin/env python3
"""The Wiggle kernel against a real Jupyter client (jupyter_client).

Starts the kernel through its kernelspec (installed by `wiggle kernel
install --prefix` into a temporary folder on JUPYTER_PATH) and checks every
message type the kernel serves: kernel_info, execute (stream, display_data,
execute_result with its MIME types, error with the cell-relative diagnostic
and caret), is_complete, complete, inspect, an interrupt during a long
minimize (the session survives with its parameters), restart, shutdown,
and a wrongly signed or malformed message, which the kernel logs and
survives.

usage: tests/kernel/test_kernel.py PATH_TO_WIGGLE
"""
import json, os, subprocess, sys, tempfile, time

WIGGLE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/wiggle")
PREFIX = tempfile.mkdtemp(prefix="wiggle-kernel-test-")
subprocess.run([WIGGLE, "kernel", "install", "--prefix", PREFIX], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402
import zmq  # noqa: E402  (installed with jupyter_client)

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def run(kc, code, timeout=60):
    """Executes code; returns (reply content, iopub messages of this request)."""
    msg_id = kc.execute(code)
    messages = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        message = kc.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"], messages


def of_type(messages, kind):
    return [m["content"] for m in messages if m["msg_type"] == kind]


specs = KernelSpecManager().find_kernel_specs()
check("wiggle" in specs, "the kernelspec is found where jupyter looks")
spec = json.load(open(os.path.join(specs["wiggle"], "kernel.json")))
check(spec["argv"][0] == os.path.realpath(WIGGLE) and spec["language"] == "wiggle", "kernel.json names this wiggle by its absolute path")

log_path = os.path.join(PREFIX, "kernel.log")
km = KernelManager(kernel_name="wiggle")
km.start_kernel(stderr=open(log_path, "w"))
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=30)

# kernel_info
info = kc.kernel_info(reply=True)["content"]
language = info["language_info"]
check(info["protocol_version"] == "5.3" and info["implementation"] == "wiggle", "kernel_info: protocol 5.3, implementation wiggle")
check(language["name"] == "wiggle" and language["file_extension"] == ".wgl" and language["mimetype"] == "text/x-wiggle",
      "kernel_info: language wiggle, .wgl, text/x-wiggle")

# execute: a print, a display, the cell's result
reply, messages = run(kc, 'set(seed = 1, particles = 1000)\nprint("hello", 2)\nparam mu = 0.5\n3 * 4\nE[normal(mu, 1)]')
check(reply["status"] == "ok" and reply["execution_count"] == 1, "execute: ok, execution_count 1")
check(of_type(messages, "execute_input")[0]["code"].startswith("set(seed = 1"), "execute: execute_input echoes the code")
check([s["text"] for s in of_type(messages, "stream")] == ["hello 2\n"], "execute: print becomes a stdout stream")
displays = of_type(messages, "display_data")
check(len(displays) == 1 and displays[0]["data"]["text/plain"] == "12", "execute: an earlier display is display_data")
results = of_type(messages, "execute_result")
check(len(results) == 1 and results[0]["execution_count"] == 1, "execute: the last display is the execute_result")
data = results[0]["data"] if results else {}
check(data.get("text/plain", "").startswith("0.") and "±" in data.get("text/plain", ""), "execute_result: text/plain value ± stderr")
check(data.get("text/latex", "").startswith("\\(0.") and "\\pm" in data.get("text/latex", ""), "execute_result: text/latex \\(… \\pm …\\)")
check(data.get("application/vnd.wiggle.result+json", {}).get("kind") == "expectation",
      "execute_result: application/vnd.wiggle.result+json is the --json object")
check("application/json" not in data, "execute_result: no application/json (JupyterLab would show a JSON tree)")

# explain as HTML
reply, messages = run(kc, "x = normal(mu, 1)\nexplain(x > 0)")
html = of_type(messages, "execute_result")[0]["data"].get("text/html", "") if of_type(messages, "execute_result") else ""
check("<table>" in html and "mvd" in html, "explain: a text/html table of nodes and estimators")

# errors: a runtime error and a syntax error, cell-relative with a caret
reply, messages = run(kc, "y = 1\nz = y + undefined_name")
errors = of_type(messages, "error")
check(reply["status"] == "error" and len(errors) == 1, "execute: a runtime error replies error and publishes one error")
traceback = "\n".join(errors[0]["traceback"]) if errors else ""
check(errors and errors[0]["ename"] == "RuntimeError" and "In[3]:2:9: error:" in traceback and "^" in traceback,
      "error: the traceback is In[n]:line:col with the source line and a caret")
reply, messages = run(kc, "a = (1 +")
check(reply["status"] == "error" and reply["ename"] == "SyntaxError", "execute: a syntax error is a SyntaxError")

# the session keeps its names
reply, messages = run(kc, "y + 1")
check(of_type(messages, "execute_result")[0]["data"]["text/plain"] == "2", "the session keeps names between cells")

# is_complete
def complete_status(code):
    kc.is_complete(code)
    return kc.get_shell_msg(timeout=10)["content"]

check(complete_status("x = 1")["status"] == "complete", "is_complete: complete")
check(complete_status("fn f(x) {")["status"] == "incomplete", "is_complete: incomplete")
check(complete_status("x = )")["status"] == "invalid", "is_complete: invalid")

# complete
kc.complete("z = nor", 7)
matches = kc.get_shell_msg(timeout=10)["content"]
check("normal" in matches["matches"] and "normal_lpdf" in matches["matches"] and matches["cursor_start"] == 4,
      "complete: builtins and distributions by prefix")
kc.complete("m", 1)
check("mu" in kc.get_shell_msg(timeout=10)["content"]["matches"], "complete: the session's own names")

# inspect
kc.inspect("grad(", 5)
found = kc.get_shell_msg(timeout=10)["content"]
check(found["found"] and found["data"]["text/plain"].startswith("grad(E[e]"), "inspect: a builtin's signature and summary")
kc.inspect("nothing_here", 3)
check(not kc.get_shell_msg(timeout=10)["content"]["found"], "inspect: an unknown name is not found")

# interrupt during a 10-million-step minimize: the session survives with its parameters
msg_id = kc.execute("param w = 3\nminimize(E[(normal(w, 1) - 1)^2], steps = 10000000, lr = 0.01, particles = 100)")
time.sleep(3)
km.interrupt_kernel()
reply = kc.get_shell_msg(timeout=30)["content"]
progress = []
while True:
    message = kc.get_iopub_msg(timeout=30)
    if message["parent_header"].get("msg_id") != msg_id:
        continue
    progress.append(message)
    if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
        break
check(reply["status"] in ("ok", "error"), "interrupt: the long minimize returns a reply")
check(len(of_type(progress, "update_display_data")) >= 2, "minimize: the progress display updates in place")
reply, messages = run(kc, "w")
w = of_type(messages, "execute_result")[0]["data"]["text/plain"] if of_type(messages, "execute_result") else ""
check(w not in ("", "3") and abs(float(w) - 1) < 2, "interrupt: the session survives and keeps the optimised parameter")

# a cell declaring a bounded parameter, run twice (a notebook re-run): the
# second declaration sets the value and bounds; an estimate sees them
first, _ = run(kc, "param scale = 0.5, lower = 0")
again, messages = run(kc, "param scale = 2, lower = 1\nE[0 * normal(0, scale) + scale]")
results = of_type(messages, "execute_result")
check(first["status"] == "ok" and again["status"] == "ok"
      and results and results[0]["data"]["text/plain"] == "2 ± 0",
      "execute: a parameter cell run again takes the new value and bounds")

# a wrongly signed message and a malformed one: logged, and the kernel lives on
socket = zmq.Context.instance().socket(zmq.DEALER)
socket.connect("%s://%s:%d" % (km.transport, km.ip, km.shell_port))
header = json.dumps({"msg_id": "forged", "msg_type": "execute_request", "session": "x", "username": "x", "version": "5.3", "date": ""})
socket.send_multipart([b"<IDS|MSG>", b"0" * 64, header.encode(), b"{}", b"{}", b'{"code": "print(1)"}'])
socket.send_multipart([b"garbage"])
time.sleep(1)
socket.close()
check(kc.kernel_info(reply=True)["content"]["status"] == "ok", "a forged and a malformed message do not stop the kernel")
log = open(log_path).read()
check("rejected a message with a wrong signature" in log and "rejected a message without the <IDS|MSG> delimiter" in log,
      "the kernel logs what it rejected")

# :set, as at the REPL: a cell's :set lines apply before its code runs
# (each left blank, so the cell's line numbers stay those of its source)
reply, messages = run(kc, ':set sampling rqmc\n:set replicates 8\nset()\n:set sampling antithetc')
streams = "".join(s["text"] for s in of_type(messages, "stream"))
check(reply["status"] == "ok" and 'sampling = "rqmc", replicates = 8' in streams, ":set sampling and replicates change the session's settings")
check('did you mean "antithetic"?' in streams, ":set sampling with a misspelt name says what it meant")
reply, messages = run(kc, ':set sampling iid\ny = 1\nz = y + undefined_name')
errors = of_type(messages, "error")
check(errors and "In[" in "\n".join(errors[0]["traceback"]) and ":3:9: error:" in "\n".join(errors[0]["traceback"]),
      "a :set line keeps the cell's line numbers")

# restart: a fresh session
km.restart_kernel(now=True)
kc.wait_for_ready(timeout=30)
reply, messages = run(kc, "y")
check(reply["status"] == "error", "restart: a fresh session without the old names")

# shutdown
kc.stop_channels()
km.shutdown_kernel(now=False)
check(not km.is_alive(), "shutdown: the kernel process ends")

subprocess.run([WIGGLE, "kernel", "uninstall", "--prefix", PREFIX], check=True, stdout=subprocess.DEVNULL)
check(not os.path.exists(os.path.join(PREFIX, "share", "jupyter", "kernels", "wiggle")), "uninstall removes the kernelspec")

print("%d failed" % len(failures) if failures else "all kernel checks passed")
sys.exit(1 if failures else 0)
