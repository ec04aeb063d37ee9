"""The API's contract: every route's real answers validate against docs/openapi.yaml.

Starts the real demo region (`pccc demo`, four `pccc serve` processes on 127.0.0.1) and walks
every operation of the document at mk-tabanovce, with rs-presevo where a second centre is
needed (a request it answers, an erasure it asks for). Every answer's status must be one the
operation documents, its content type one it documents, and its body must validate against
the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). It fails when an operation
was never answered with a 2xx, when docs/API.md's route table and the document list different
routes, or when an answer does not conform. Then schemathesis (from PyPI) sends generated
requests to the same node with every check but the stateful ones; its summary line is printed.

Usage: python3 Tests/Contract/api_contract.py --pccc .build/debug/pccc [--schemathesis-examples N]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Browser"))
from demo_region import Demo, Failure, check, wait_for  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
SPEC_URI = "urn:pccc:openapi"


class Contract:
    """The document, and a check of one real answer against it."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            self.document = yaml.safe_load(handle)
        check(str(self.document.get("openapi", "")).startswith("3.1"), "docs/openapi.yaml is not OpenAPI 3.1")
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.operations = {}
        for path, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.operations[(method.upper(), path)] = (pattern, operation)
        self.answered = set()

    def resolve(self, node):
        """A response object, following a `$ref` into the document's components."""
        while isinstance(node, dict) and "$ref" in node:
            target = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def operation(self, method, path):
        bare = path.split("?", 1)[0]
        for (known_method, template), (pattern, operation) in self.operations.items():
            if known_method == method and pattern.match(bare):
                return template, operation
        raise Failure(f"{method} {bare} is not in docs/openapi.yaml")

    def validate(self, method, path, status, content_type, body):
        if not any(known == method and pattern.match(path.split("?", 1)[0]) for (known, _), (pattern, _) in self.operations.items()):
            # A route the document does not have can only be refused, in the shape of every error.
            check(status >= 400, f"{method} {path} is not in docs/openapi.yaml, yet answered {status}")
            self.check_body(method, path, status, body, f"{SPEC_URI}#/components/schemas/Error")
            return
        template, operation = self.operation(method, path)
        responses = operation.get("responses", {})
        documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        check(documented is not None, f"{method} {path} answered {status}, which docs/openapi.yaml does not give {method} {template}")
        documented = self.resolve(documented)
        content = documented.get("content")
        if not content:
            check(not body, f"{method} {path} answered {status} with a body the document does not give it: {body[:200]!r}")
        else:
            media = (content_type or "").split(";")[0].strip()
            check(media in content, f"{method} {path} answered {status} as {content_type!r}; the document gives {sorted(content)}")
            schema = content[media].get("schema")
            if schema is not None and media == "application/json":
                self.check_body(method, path, status, body, self.pointer(template, method, status, documented, media))
        if 200 <= status < 300:
            self.answered.add((method, template))

    def check_body(self, method, path, status, body, pointer):
        validator = Draft202012Validator({"$ref": pointer}, registry=self.registry)
        errors = sorted(validator.iter_errors(json.loads(body)), key=lambda error: list(error.absolute_path))
        if errors:
            first = errors[0]
            raise Failure(
                f"{method} {path} answered {status} with a body that does not fit docs/openapi.yaml at "
                f"/{'/'.join(map(str, first.absolute_path))}: {first.message}\n{body[:600]}")

    def pointer(self, template, method, status, documented, media):
        """The schema's address in the registry: through the component when the response is one."""
        raw = self.document["paths"][template][method.lower()]["responses"].get(str(status))
        if isinstance(raw, dict) and "$ref" in raw:
            base = raw["$ref"]
        else:
            escaped = template.replace("~", "~0").replace("/", "~1")
            base = f"#/paths/{escaped}/{method.lower()}/responses/{status}"
        return f"{SPEC_URI}{base}/content/{media.replace('~', '~0').replace('/', '~1')}/schema"


class Client:
    """One centre's API with one token; every answer is checked against the contract."""

    def __init__(self, contract, url, token):
        self.contract = contract
        self.base = url.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, token=True, raw=None):
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + (self.token if token is True else token)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, content_type, text = response.status, response.headers.get("Content-Type"), response.read().decode()
        except urllib.error.HTTPError as error:
            status, content_type, text = error.code, error.headers.get("Content-Type"), error.read().decode()
        self.contract.validate(method, path, status, content_type, text)
        return status, (json.loads(text) if text and (content_type or "").startswith("application/json") else text)

    def expect(self, status, method, path, body=None, **options):
        got, answer = self.call(method, path, body, **options)
        check(got == status, f"{method} {path} answered {got}, not {status}: {answer}")
        return answer

    def refused(self, status, code, method, path, body=None, field=None, **options):
        answer = self.expect(status, method, path, body, **options)
        error = answer["error"]
        check(error["code"] == code and error["field"] == field,
              f"{method} {path}: expected code {code} field {field}, got {error}")


def walk(contract, demo):
    """Every operation, with the answers a user meets: successes and refusals."""
    a = Client(contract, *demo.nodes["mk-tabanovce"])
    b = Client(contract, *demo.nodes["rs-presevo"])
    me = a.expect(200, "GET", "/api/me")
    status = a.expect(200, "GET", "/api/status")
    a.expect(200, "GET", "/api/topology")
    kinds = a.expect(200, "GET", "/api/kinds")
    check({k["kind"] for k in kinds} >= {"person", "vehicle", "request"}, f"/api/kinds lacks a kind: {kinds}")
    shared = next(g["group"] for g in status["groups"] if "rs-presevo" in g["members"])

    a.refused(401, "unauthenticated", "GET", "/api/me", token=False)
    a.refused(401, "unauthenticated", "GET", "/api/status", token="pccc_forged")
    a.refused(404, "not_found", "GET", "/api/no-such-route")

    a.expect(200, "GET", "/api/users")
    staff = "contract." + uuid.uuid4().hex[:8]
    a.expect(201, "POST", "/api/users", {"name": staff, "role": "staff"})
    a.refused(409, "exists", "POST", "/api/users", {"name": staff, "role": "staff"})
    a.refused(400, "bad_request", "POST", "/api/users", {"name": "x", "role": "root"}, field="role")

    person = a.expect(201, "POST", "/api/records", {"kind": "person", "group": shared,
                                                     "fields": {"family_name": "Стојановски", "given_name": "Ана", "alert": "wanted"}})["id"]
    a.refused(422, "invalid", "POST", "/api/records", {"kind": "person", "group": shared, "fields": {"birth_date": "07.03.1984"}},
              field="birth_date")
    a.refused(400, "bad_request", "POST", "/api/records", {"kind": "person"}, field="group")
    a.refused(400, "bad_request", "POST", "/api/records", raw=b"not json")
    a.refused(403, "not_member", "POST", "/api/records", {"kind": "person", "group": "no-such-group", "fields": {"family_name": "X"}})
    a.refused(413, "too_large", "POST", "/api/records", raw=b" " * (2 << 20))
    a.expect(204, "PATCH", f"/api/records/{person}", {"set": {"given_name": "Ана Марија"}, "clear": ["alert"]})
    a.refused(422, "invalid", "PATCH", f"/api/records/{person}", {"set": {"sex": "sometimes"}}, field="sex")
    a.expect(201, "POST", f"/api/records/{person}/hits", {"place": "Tabanovce BCP", "outcome": "detained"})
    a.expect(201, "POST", f"/api/records/{person}/notes", {"text": "travels by night"})
    record = a.expect(200, "GET", f"/api/records/{person}")
    check(len(record["hits"]) == 1 and len(record["notes"]) == 1, f"the hit and note are missing: {record}")
    a.refused(404, "not_found", "GET", f"/api/records/{uuid.uuid4()}")
    a.refused(400, "bad_request", "GET", "/api/records/not-an-id", field="id")
    a.expect(200, "GET", "/api/search?q=stojanovski")
    a.refused(400, "bad_request", "GET", "/api/search", field="q")
    a.expect(200, "GET", "/api/records?kind=person&limit=5")
    a.refused(400, "bad_request", "GET", "/api/records?changed_since=soon", field="changed_since")
    a.expect(200, "GET", f"/api/revision?record={person}")
    a.expect(200, "GET", "/api/revision?kind=request")

    request = a.expect(201, "POST", "/api/requests", {"to": "rs-presevo", "urgency": "standard", "question": "Known to you?",
                                                      "subjects": [person], "group": shared})["id"]
    a.expect(200, "GET", "/api/requests?direction=outgoing")
    a.refused(403, "not_allowed", "POST", f"/api/requests/{request}/answer", {"text": "self-answered"})
    wait_for("the request at rs-presevo",
             lambda: any(r["id"] == request for r in b.expect(200, "GET", "/api/requests?direction=incoming")), seconds=60)
    b.expect(204, "POST", f"/api/requests/{request}/answer", {"text": "Yes, twice this year."})
    a.expect(204, "POST", f"/api/requests/{request}/close")

    wait_for("the person at rs-presevo", lambda: b.call("GET", f"/api/records/{person}")[0] == 200, seconds=60)
    b.refused(403, "not_allowed", "POST", f"/api/records/{person}/erase", {"reason": "court_order"})
    asked = b.expect(201, "POST", f"/api/records/{person}/erasure-requests", {"reason": "court_order", "text": "Case 9"})["id"]
    wait_for("the erasure request at mk-tabanovce",
             lambda: any(r["id"] == asked for r in a.expect(200, "GET", "/api/erasure-requests")), seconds=60)

    a.expect(200, "GET", f"/api/export?group={shared}&format=json")
    a.expect(200, "GET", f"/api/export?group={shared}&format=csv")
    a.refused(400, "bad_request", "GET", f"/api/export?group={shared}&format=xml", field="format")
    a.expect(200, "GET", "/api/audit?limit=20")
    a.expect(200, "GET", "/api/audit/verify")

    a.expect(204, "POST", f"/api/records/{person}/erase", {"reason": "court_order"})
    tombstone = a.expect(200, "GET", f"/api/records/{person}")
    check(tombstone.get("erased") is True, f"the erased record is not a tombstone: {tombstone}")
    a.refused(410, "erased", "PATCH", f"/api/records/{person}", {"set": {"given_name": "X"}})
    check(me["role"] == "admin", f"the demo's token is not an admin's: {me}")

    metrics_status, metrics = a.call("GET", "/metrics", token=False)
    check(metrics_status == 200 and "pccc_" in metrics, "GET /metrics did not answer Prometheus text")


def routes_in_api_md():
    """The (method, path) pairs of docs/API.md's route table."""
    with open(os.path.join(ROOT, "docs", "API.md"), encoding="utf-8") as handle:
        text = handle.read()
    return {(m, p) for m, p in re.findall(r"^\| `(GET|POST|PATCH|PUT|DELETE) (/api/[^`]*)`", text, re.MULTILINE)}


def run_schemathesis(url, token, examples, report):
    report = os.path.abspath(report)
    executable = shutil.which("schemathesis") or shutil.which("st")
    check(executable is not None, "schemathesis is not installed (python3 -m pip install schemathesis)")
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
    command = [executable, "--config-file", config, "run", SPEC_PATH, "--url", url.rstrip("/"), "--header", f"Authorization: Bearer {token}",
               "--checks", "all", "--exclude-checks", "use_after_free,ensure_resource_availability",
               "--phases", "examples,coverage,fuzzing", "--max-examples", str(examples), "--workers", "1",
               "--seed", "2026", "--generation-database", "none", "--request-timeout", "20", "--no-color", "--report", "junit", "--report-dir", report]
    print("running: " + " ".join(part if "Bearer" not in part else "Authorization: Bearer …" for part in command))
    try:
        # Its example cache goes to the artifacts folder, not the checkout.
        finished = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=report)
    except subprocess.TimeoutExpired:
        raise Failure("schemathesis did not finish within 900 s")
    output = finished.stdout + finished.stderr
    lines = output.splitlines()
    cases = [lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if line.strip() == "Test cases:"]
    closing = [line.strip(" =") for line in lines if line.startswith("=") and " in " in line]
    check(cases and closing, "schemathesis printed no summary:\n" + output[-4000:])
    print(f"schemathesis: {cases[-1]}; {closing[-1]}")
    if finished.returncode != 0:
        print(output[-8000:])
        raise Failure(f"schemathesis found answers that break docs/openapi.yaml (exit {finished.returncode})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pccc", required=True)
    parser.add_argument("--port-base", type=int, default=29441)
    parser.add_argument("--schemathesis-examples", type=int, default=20)
    parser.add_argument("--artifacts", default="test-artifacts/contract")
    arguments = parser.parse_args()
    os.makedirs(arguments.artifacts, exist_ok=True)
    contract = Contract(SPEC_PATH)
    state = tempfile.mkdtemp(prefix="pccc-contract-")
    demo = None
    try:
        documented = {(method, path) for method, path in contract.operations if path.startswith("/api/")}
        listed = routes_in_api_md()
        check(documented == listed, "docs/API.md and docs/openapi.yaml list different routes: "
              f"only in API.md {sorted(listed - documented)}, only in openapi.yaml {sorted(documented - listed)}")
        demo = Demo(arguments.pccc, os.path.join(state, "demo"), arguments.port_base)
        walk(contract, demo)
        missing = sorted(set(contract.operations) - contract.answered)
        check(not missing, f"no 2xx answer was checked for {missing}")
        print(f"contract: {len(contract.answered)} operations answered and every answer fits docs/openapi.yaml")
        url, token = demo.nodes["mk-tabanovce"]
        target = Client(contract, url, token)
        group = next(g["group"] for g in target.expect(200, "GET", "/api/status")["groups"])
        os.environ["PCCC_CONTRACT_RECORD_ID"] = target.expect(
            201, "POST", "/api/records", {"kind": "vehicle", "group": group, "fields": {"plate": "SK 777 ZZ"}})["id"]
        run_schemathesis(url, token, arguments.schemathesis_examples, arguments.artifacts)
    except Failure as failure:
        print(f"API contract test failed: {failure}", file=sys.stderr)
        sys.exit(1)
    finally:
        if demo is not None:
            demo.interrupt()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
