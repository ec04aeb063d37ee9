"""The demo region for the Python tests: `pccc demo` in the background, with each centre's UI
address and admin token, and bounded waits that fail loudly.

Used by Tests/Browser/ui_test.py and Tests/Contract/api_contract.py.
"""

import json
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.request


class Failure(Exception):
    pass


def wait_for(what, condition, seconds=20.0, interval=0.25):
    deadline = time.monotonic() + seconds
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # the page may be redrawing; try again
            last_error = error
        time.sleep(interval)
    raise Failure(f"timed out after {seconds:.0f} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def check(condition, message):
    if not condition:
        raise Failure(message)


class Demo:
    """`pccc demo` in the background, with the UI address, API token and admin password of
    each centre."""

    def __init__(self, pccc, state, port_base, https=False):
        self.process = subprocess.Popen(
            [pccc, "demo", "--state", state, "--port-base", str(port_base), "--fresh"] + (["--https"] if https else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.state = state
        self.nodes = {}
        self.passwords = {}
        self.output = []
        for line in self.process.stdout:
            self.output.append(line)
            match = re.match(r"\s+(\S+)\s+(https?://127\.0\.0\.[12]:\d+/)\s+token (\S+)\s+password (\S+)", line)
            if match:
                self.nodes[match.group(1)] = (match.group(2), match.group(3))
                self.passwords[match.group(1)] = match.group(4)
            if "The region is running" in line:
                break
        check(len(self.nodes) == 4, "the demo did not print four UI addresses:\n" + "".join(self.output))
        check(any("appeared at all four centres" in line for line in self.output), "the demo did not show propagation:\n" + "".join(self.output))

    def api(self, node, method, path, body=None):
        url, token = self.nodes[node]
        request = urllib.request.Request(url.rstrip("/") + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        # Over HTTPS the demo's region CA, and only it, vouches for the node.
        context = ssl.create_default_context(cafile=os.path.join(self.state, "certs", "ca.pem")) if url.startswith("https") else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def serve_processes(self):
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    arguments = handle.read().split(b"\0")
            except OSError:
                continue
            if b"serve" in arguments and any(self.state.encode() in argument for argument in arguments):
                found.append(pid)
        return found

    def interrupt(self):
        self.process.send_signal(signal.SIGINT)
        try:
            rest, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failure("the demo did not stop within 30 s of SIGINT")
        return self.process.returncode, rest
