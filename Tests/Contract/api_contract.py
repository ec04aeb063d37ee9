"""The API's contract: every route's real answers validate against docs/openapi.yaml.

Starts the real demo region (`pccc demo`, four `pccc serve` processes on 127.0.0.1) and walks
every operation of the document at mk-tabanovce, with rs-presevo where a second centre is
needed (the steps of a request's thread it takes, an erasure it asks for): a request sent with
a full form, the thread of the request the demo seeds (classified, a clarification asked and
given, a delay, a partial refusal, a partial then a whole answer, closed), a whole refusal, the
yearly report as JSON and CSV at both centres, and the review of records (none due at the
demo; a record kept, within its period and beyond it, and another centre's refused). Every
answer's status must be one the
operation documents, its content type one it documents, and its body must validate against
the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). It fails when an operation
was never answered with a 2xx, when docs/API.md's route table and the document list different
routes, or when an answer does not conform. Then schemathesis (from PyPI) sends generated
requests to the same node with every check but the stateful ones (the routes under
/api/requests/{id} with a real request, those under /api/records/{id} with a real vehicle); its
summary line is printed.

Usage: python3 Tests/Contract/api_contract.py --pccc .build/debug/pccc [--port-base N] [--schemathesis-examples N]
"""

import argparse
import datetime
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

    def call(self, method, path, body=None, token=True, raw=None, purpose="contract walk", content_type="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + (self.token if token is True else token)
        if purpose is not None:
            headers["PCCC-Purpose"] = purpose
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
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
    kinds = a.expect(200, "GET", "/api/kinds")
    check({k["kind"] for k in kinds} >= {"person", "vehicle", "request", "request_entry", "review"}, f"/api/kinds lacks a kind: {kinds}")
    topology = a.expect(200, "GET", "/api/topology")
    check(any(n["country"] == "RS" and "sr" in n["languages"] for n in topology["nodes"] if n["id"] == "rs-presevo"),
          f"/api/topology lacks rs-presevo's country or languages: {topology['nodes']}")
    shared = next(g["group"] for g in status["groups"] if "rs-presevo" in g["members"])

    a.refused(401, "unauthenticated", "GET", "/api/me", token=False)
    a.refused(401, "unauthenticated", "GET", "/api/status", token="pccc_forged")
    a.refused(404, "not_found", "GET", "/api/no-such-route")

    a.expect(200, "GET", "/api/users")
    staff = "contract." + uuid.uuid4().hex[:8]
    a.expect(201, "POST", "/api/users", {"name": staff, "role": "staff"})
    a.refused(409, "exists", "POST", "/api/users", {"name": staff, "role": "staff"})
    a.refused(400, "bad_request", "POST", "/api/users", {"name": "x", "role": "root"}, field="role")

    # The new staff member gets a password, signs in, changes it, and signs out; the admin
    # disables, enables and signs them out; tokens are made, listed and revoked.
    a.expect(204, "POST", f"/api/users/{staff}/password", {"password": "a first long password"})
    a.refused(422, "invalid", "POST", f"/api/users/{staff}/password", {"password": "short"}, field="password")
    a.refused(401, "unauthenticated", "POST", "/api/session", {"name": staff, "password": "not the password"}, token=False)
    session = a.expect(201, "POST", "/api/session", {"name": staff, "password": "a first long password"}, token=False)
    check(session["token"].startswith("pcccs_") and session["user"]["name"] == staff, f"the session answer reads {session}")
    signed_in = Client(contract, a.base + "/", session["token"])
    signed_in.refused(401, "unauthenticated", "POST", "/api/me/password", {"current": "wrong", "password": "a third long password"},
                      field="current")
    signed_in.expect(204, "POST", "/api/me/password", {"current": "a first long password", "password": "a second long password"})
    signed_in.refused(401, "unauthenticated", "GET", "/api/me")
    signed_in = Client(contract, a.base + "/", a.expect(201, "POST", "/api/session", {"name": staff, "password": "a second long password"},
                                                         token=False)["token"])
    a.refused(403, "not_allowed", "DELETE", "/api/session")
    signed_in.expect(204, "DELETE", "/api/session")
    signed_in.refused(401, "unauthenticated", "GET", "/api/me")
    a.expect(204, "POST", f"/api/users/{staff}/disable")
    a.refused(401, "unauthenticated", "POST", "/api/session", {"name": staff, "password": "a second long password"}, token=False)
    a.expect(204, "POST", f"/api/users/{staff}/enable")
    again = Client(contract, a.base + "/", a.expect(201, "POST", "/api/session", {"name": staff, "password": "a second long password"},
                                                     token=False)["token"])
    check(a.expect(200, "POST", f"/api/users/{staff}/sign-out")["ended"] == 1, "the admin did not end the staff member's session")
    again.refused(401, "unauthenticated", "GET", "/api/me")
    issued = a.expect(201, "POST", "/api/tokens", {"name": "contract-check", "days": 2, "user": staff})
    check(issued["description"]["user"] == staff and issued["token"].startswith("pccc_"), f"the token answer reads {issued}")
    listed = a.expect(200, "GET", f"/api/tokens?user={staff}")
    check([t["name"] for t in listed] == ["contract-check"], f"the staff member's tokens read {listed}")
    a.refused(422, "invalid", "POST", "/api/tokens", {"name": "contract-check", "days": 366}, field="days")
    a.expect(204, "DELETE", f"/api/tokens/contract-check?user={staff}")
    Client(contract, a.base + "/", issued["token"]).refused(401, "unauthenticated", "GET", "/api/me")

    person = a.expect(201, "POST", "/api/records", {"kind": "person", "group": shared,
                                                     "fields": {"category": "suspect", "family_name": "Стојановски", "given_name": "Ана", "alert": "wanted"}})["id"]
    a.refused(422, "invalid", "POST", "/api/records", {"kind": "person", "group": shared, "fields": {"category": "suspect", "birth_date": "07.03.1984"}},
              field="birth_date")
    a.refused(400, "bad_request", "POST", "/api/records", {"kind": "person"}, field="group")
    a.refused(400, "bad_request", "POST", "/api/records", raw=b"not json")
    a.refused(403, "not_member", "POST", "/api/records", {"kind": "person", "group": "no-such-group", "fields": {"category": "suspect", "family_name": "X"}})
    a.refused(413, "too_large", "POST", "/api/records", raw=b" " * (2 << 20))
    a.expect(204, "PATCH", f"/api/records/{person}", {"set": {"given_name": "Ана Марија"}, "clear": ["alert"]})
    a.refused(422, "invalid", "PATCH", f"/api/records/{person}", {"set": {"sex": "sometimes"}}, field="sex")
    a.expect(201, "POST", f"/api/records/{person}/hits", {"place": "Tabanovce BCP", "outcome": "detained"})
    a.expect(201, "POST", f"/api/records/{person}/notes", {"text": "travels by night"})
    # Every consultation gives a purpose the node's rule accepts: a new node asks for words.
    rule = a.expect(200, "GET", "/api/purposes")
    check(rule == {"rule": "free-text", "case_numbers": []}, f"a new node's purpose rule reads {rule}")
    a.refused(400, "purpose_required", "GET", f"/api/records/{person}", purpose=None, field="purpose")
    a.refused(400, "bad_request", "PUT", "/api/purposes", {"rule": "strict", "case_numbers": []}, field="rule")
    a.refused(422, "invalid", "PUT", "/api/purposes", {"rule": "case-number", "case_numbers": ["two words"]}, field="case_numbers")
    by_case = a.expect(200, "PUT", "/api/purposes", {"rule": "case-number", "case_numbers": ["KU-2026/17"]})
    check(by_case == {"rule": "case-number", "case_numbers": ["KU-2026/17"]}, f"the purpose rule set reads {by_case}")
    a.refused(400, "purpose_required", "GET", f"/api/records/{person}", field="purpose")
    a.expect(200, "GET", f"/api/records/{person}", purpose="KU-2026/17 wanted person")
    a.expect(200, "PUT", "/api/purposes", {"rule": "free-text", "case_numbers": []})
    record = a.expect(200, "GET", f"/api/records/{person}")
    check(len(record["hits"]) == 1 and len(record["notes"]) == 1, f"the hit and note are missing: {record}")
    a.refused(404, "not_found", "GET", f"/api/records/{uuid.uuid4()}")
    a.refused(400, "bad_request", "GET", "/api/records/not-an-id", field="id")
    a.expect(200, "GET", "/api/search?q=stojanovski")
    listed = a.expect(201, "POST", "/api/records", {"kind": "person", "group": shared, "fields": {"category": "suspect", "family_name": "Stojanovski"},
                                                    "add": {"names": ["alias|Stojanovska|Ana"], "national_ids": ["MK:1503985450019"]}})
    twin = a.expect(201, "POST", "/api/records", {"kind": "person", "group": shared, "fields": {"category": "suspect", "family_name": "Stojanovska"},
                                                  "add": {"national_ids": ["MK:150398-5450019"]}})
    check([match["id"] for match in twin["possible_matches"]] == [listed["id"]], f"the twin's possible matches read {twin}")
    a.expect(204, "PATCH", f"/api/records/{listed['id']}", {"add": {"markers": ["armed"]}, "remove": {"names": ["alias|Stojanovska|Ana"]}})
    a.refused(422, "invalid", "PATCH", f"/api/records/{listed['id']}", {"remove": {"names": ["alias|Nobody"]}}, field="names")
    a.expect(201, "POST", "/api/records", {"kind": "link", "group": shared,
                                           "fields": {"from_id": twin["id"], "to_id": listed["id"], "role": "same_as"}})
    linked = a.expect(200, "GET", f"/api/records/{listed['id']}")
    check([link["id"] for link in linked["links"]] == [twin["id"]], f"the link is missing: {linked['links']}")
    a.expect(200, "GET", "/api/duplicates")
    imported = a.expect(200, "POST", f"/api/import?group={shared}&format=csv",
                        raw="family_name,birth_date,category\nTrajkovski,1977-07-07,witness\nBad,1977-13-01,witness\n".encode(), content_type="text/csv")
    check(imported["created"] == 1 and [row["row"] for row in imported["refused"]] == [3], f"the import's report reads {imported}")
    a.expect(200, "POST", f"/api/import?group={shared}&format=json", body=[{"family_name": "Ristovski", "category": "contact", "names": ["current|Ristovski"]}])
    a.refused(422, "invalid", "POST", f"/api/import?group={shared}&format=csv", raw=b"family_name,colour\nX,red\n", content_type="text/csv",
              field="colour")
    a.refused(400, "bad_request", "POST", f"/api/import?group={shared}&format=xml", raw=b"x", content_type="text/csv", field="format")
    a.refused(400, "bad_request", "GET", "/api/search", field="q")
    a.expect(200, "GET", "/api/records?kind=person&limit=5")
    a.refused(400, "bad_request", "GET", "/api/records?changed_since=soon", field="changed_since")
    a.expect(200, "GET", f"/api/revision?record={person}")
    a.expect(200, "GET", "/api/revision?kind=request")

    walk_requests(a, b, person, shared)
    walk_reviews(a, b, person, shared)

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


def walk_requests(a, b, person, shared):
    """A request with a full form and the demo's seeded one through every step of their threads,
    each step at the centre it belongs to (and refused at the other), then the yearly report."""
    form = {"to": "rs-presevo", "group": shared, "urgency": "standard", "question": "Has Стојановски Ана crossed at Preševo?",
            "purpose": "A person wanted for smuggling is believed to travel through Serbia", "offence": "migrant smuggling",
            "availability_reasons": "Preševo records every crossing", "subjects": [person], "subject_relation": "the wanted person",
            "use_restrictions": "for case MK-2026-0042 only", "language": "sr", "requesting_authority": "Border police Tabanovce",
            "case_number": "MK-2026-0042", "spoc_copy": "not_sent_sensitive_investigation", "europol_copy": "not_needed",
            "europol_reason": "bilateral case without an organised crime link"}
    standard = a.expect(201, "POST", "/api/requests", form)["id"]
    a.refused(400, "bad_request", "POST", "/api/requests", {k: v for k, v in form.items() if k != "to"}, field="to")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "question": " "}, field="question")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "urgency": "urgent_indirect"}, field="urgency")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "urgency": "urgent"}, field="urgent_ground")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "subject_relation": None}, field="subject_relation")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "language": "sq"}, field="language")  # rs-presevo takes sr and en
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "europol_copy": "sent"}, field="europol_reason")
    a.refused(422, "invalid", "POST", "/api/requests", {**form, "to": "mk-tabanovce"}, field="to")

    outgoing = a.expect(200, "GET", "/api/requests?direction=outgoing")
    shown = a.expect(200, "GET", f"/api/requests/{standard}")
    check(shown["status"] in ("sent", "received") and shown["urgency_class"] == "standard" and shown["direction"] == "outgoing"
          and shown["subjects"] == [person] and shown["entries"] == [], f"the new request is not as sent: {shown}")
    fixed = {k: v for k, v in form.items() if k not in ("to", "group", "urgency", "question", "subjects")}
    check(shown["form"] == fixed, f"the request's form is not the one sent: {shown['form']}")
    seeded = next((r["id"] for r in outgoing if r["to"] == "rs-presevo" and r["urgency"] == "urgent"), None)
    check(seeded is not None, f"the demo's urgent request to rs-presevo is missing: {outgoing}")
    a.refused(403, "not_allowed", "POST", f"/api/requests/{standard}/answer", {"text": "self-answered"})
    a.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/classify", {"access": "direct"})
    a.refused(422, "invalid", "GET", f"/api/requests/{person}")
    a.refused(404, "not_found", "GET", f"/api/requests/{uuid.uuid4()}")
    a.refused(400, "bad_request", "GET", "/api/requests/not-an-id", field="id")

    wait_for("both requests at rs-presevo",
             lambda: {standard, seeded} <= {r["id"] for r in b.expect(200, "GET", "/api/requests?direction=incoming")}, seconds=60)
    b.refused(400, "bad_request", "POST", f"/api/requests/{seeded}/classify", {"access": "sideways"}, field="access")
    b.refused(422, "invalid", "POST", f"/api/requests/{standard}/classify", {"access": "direct"})
    # b's staff take the requests, hand one on, and accept them at a shift handover.
    check(b.expect(200, "GET", "/api/handover/count")["unheld_urgent"] >= 1, "the seeded urgent request is not counted as nobody's")
    handover = b.expect(200, "GET", "/api/handover?hours=24")
    check({standard, seeded} <= {item["request"]["id"] for item in handover["items"]}, f"the handover lacks the requests: {handover}")
    b.refused(400, "bad_request", "GET", "/api/handover?hours=0", field="hours")
    b.expect(204, "POST", f"/api/requests/{seeded}/take")
    check(b.expect(200, "GET", f"/api/requests/{seeded}")["holder"] == "admin", "the taken request names no holder")
    b.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/hand", {"to": "nobody.here"})
    b.expect(204, "POST", f"/api/requests/{standard}/hand", {"to": "admin"})
    b.expect(204, "POST", "/api/handover/accept", {"ids": [seeded, standard]})
    b.refused(422, "invalid", "POST", "/api/handover/accept", {"ids": []}, field="ids")
    b.expect(204, "POST", f"/api/requests/{seeded}/classify", {"access": "indirect"})
    b.expect(204, "POST", f"/api/requests/{seeded}/ask-clarification", {"text": "Which of his two passports?"})
    b.refused(422, "invalid", "POST", f"/api/requests/{seeded}/ask-clarification", {"text": "And another?"})
    b.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/clarify", {"text": "self-clarified"})
    wait_for("the clarification asked at mk-tabanovce",
             lambda: a.expect(200, "GET", f"/api/requests/{seeded}")["status"] == "clarification_requested", seconds=60)
    a.expect(204, "POST", f"/api/requests/{seeded}/clarify", {"text": "The Macedonian one."})
    a.refused(422, "invalid", "POST", f"/api/requests/{seeded}/clarify", {"text": "Again."})
    b.refused(422, "invalid", "POST", f"/api/requests/{seeded}/delay", {"reason": "judge", "until": "2020-01-01T00:00:00Z"}, field="until")
    b.refused(400, "bad_request", "POST", f"/api/requests/{seeded}/delay", {"reason": "judge", "until": "soon"}, field="until")
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    b.expect(204, "POST", f"/api/requests/{seeded}/delay", {"reason": "the investigating judge must authorise it", "until": until})
    b.refused(400, "bad_request", "POST", f"/api/requests/{seeded}/refuse", {"extent": "whole", "grounds": [], "reasons": "x"}, field="grounds")
    b.refused(400, "bad_request", "POST", f"/api/requests/{seeded}/refuse", {"extent": "most", "grounds": ["a"], "reasons": "x"}, field="extent")
    b.expect(204, "POST", f"/api/requests/{seeded}/refuse", {"extent": "partial", "grounds": ["f", "a"], "reasons": "his contacts stay with us"})
    b.expect(204, "POST", f"/api/requests/{seeded}/answer", {"text": "He crossed on 3 November.", "partial": True})
    b.expect(204, "POST", f"/api/requests/{seeded}/answer", {"text": "He crossed on 3 and 17 November."})
    b.refused(422, "invalid", "POST", f"/api/requests/{seeded}/delay", {"reason": "judge", "until": until})
    b.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/close")
    b.expect(204, "POST", f"/api/requests/{standard}/refuse", {"extent": "whole", "grounds": ["g"], "reasons": "not an offence here"})
    refused = b.expect(200, "GET", f"/api/requests/{standard}")
    check(refused["status"] == "refused" and refused["direction"] == "incoming", f"the whole refusal did not refuse: {refused}")

    # Each centre notes when the other's clarification or reply reached it (a receipt), at its
    # own pace, so the receipts' places in the thread vary; the steps are the same everywhere.
    steps = sorted(["classification", "clarification_asked", "receipt", "clarification_given", "receipt", "delay", "refusal",
                    "partial_answer", "answer"])
    answered = wait_for("the whole thread at mk-tabanovce", lambda: (lambda r: r if sorted(e["type"] for e in r["entries"]) == steps else None)(
        a.expect(200, "GET", f"/api/requests/{seeded}")), seconds=60)
    check(answered["status"] == "answered" and answered["urgency_class"] == "urgent_indirect" and answered["delayed_until"] is not None
          and answered["answer"] == "He crossed on 3 and 17 November." and not answered["overdue"],
          f"the seeded request's thread did not fold as expected: {answered}")
    a.expect(204, "POST", f"/api/requests/{seeded}/close")
    a.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/close")
    a.refused(403, "not_allowed", "POST", f"/api/requests/{seeded}/clarify", {"text": "late"})
    a.expect(204, "POST", f"/api/requests/{standard}/close")
    check(a.expect(200, "GET", f"/api/requests/{seeded}")["status"] == "closed", "the closed request is not closed")
    raw = a.expect(200, "GET", f"/api/records/{seeded}")["fields"]["status"]["value"]
    check(raw == "closed", f"the request record's raw status is {raw}, not closed")

    year = int(answered["received_at"][:4])
    a.expect(200, "GET", "/api/requests?overdue=true")
    report = b.expect(200, "GET", f"/api/reports/requests?year={year}")
    cells = {(table, c["country"], c["category"]) for table in ("received", "answered", "refused", "delayed") for c in report[table]}
    check({("received", "MK", "urgent_indirect"), ("answered", "MK", "urgent_indirect"), ("refused", "MK", "a"), ("refused", "MK", "f"),
           ("refused", "MK", "g"), ("delayed", "MK", "judicial_authorisation")} <= cells, f"rs-presevo's report misses a count: {report}")
    check(any(row["direction"] == "received" for row in report["timeliness"]), f"rs-presevo's report has no timeliness: {report}")
    sent = a.expect(200, "GET", f"/api/reports/requests?year={year}&format=json")
    check(any(c["country"] == "RS" for c in sent["sent"]), f"mk-tabanovce's report does not count what it sent to RS: {sent}")
    csv = b.expect(200, "GET", f"/api/reports/requests?year={year}&format=csv")
    lines = csv.splitlines()
    check(lines[0] == "table,country,category,count" and "refused,MK,g,1" in lines
          and "timeliness,direction,urgency,responded,on_time,median_minutes" in lines, f"the report's CSV is not as documented:\n{csv}")
    a.refused(400, "bad_request", "GET", "/api/reports/requests", field="year")
    a.refused(400, "bad_request", "GET", "/api/reports/requests?year=26", field="year")
    a.refused(400, "bad_request", "GET", f"/api/reports/requests?year={year}&format=xml", field="format")
    audit = b.expect(200, "GET", "/api/audit?limit=100")
    check(any(e["action"] == "report" and e["detail"] == f"requests of {year}" for e in audit)
          and any(e["action"] == "create" and e["records"][1:] == [seeded] and e["detail"] == f"request_entry (refusal) on {seeded}"
                  for e in audit),
          "rs-presevo's audit log lacks the report or a thread step named by its type")


def add_months(day, months):
    """`day` moved by whole calendar months, on the last day of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue


def reviews_of(client, record):
    """The ids of the reviews a record's JSON lists at a centre, or None while it does not hold it."""
    status, answer = client.call("GET", f"/api/records/{record}")
    return [r["id"] for r in answer["reviews"]] if status == 200 else None


def walk_reviews(a, b, person, shared):
    """The review of records: nothing is due at a fresh demo; the owner keeps a record within its
    kind's period (refused beyond it) and the decision replicates; another centre cannot keep it."""
    due = a.expect(200, "GET", "/api/reviews")
    check(due == [], f"records are due for review at a fresh demo: {due}")
    check(a.expect(200, "GET", "/api/reviews/count") == {"due": 0}, "the review count at a fresh demo is not 0")
    today = datetime.date.today()
    vehicle = a.expect(201, "POST", "/api/records", {"kind": "vehicle", "group": shared, "fields": {"plate": "SK 404 RV"}})["id"]
    a.refused(422, "invalid", "POST", f"/api/records/{vehicle}/keep",
              {"until": add_months(today, 13).isoformat(), "reason": "trial pending"}, field="until")
    a.refused(422, "invalid", "POST", f"/api/records/{vehicle}/keep", {"until": today.isoformat(), "reason": "trial pending"}, field="until")
    a.refused(422, "invalid", "POST", f"/api/records/{vehicle}/keep", {"until": "31.05.2027", "reason": "trial pending"}, field="until")
    a.refused(422, "invalid", "POST", f"/api/records/{vehicle}/keep", {"until": add_months(today, 2).isoformat(), "reason": " "},
              field="reason")
    a.refused(400, "bad_request", "POST", f"/api/records/{vehicle}/keep", {"until": add_months(today, 2).isoformat()}, field="reason")
    a.refused(404, "not_found", "POST", f"/api/records/{uuid.uuid4()}/keep", {"until": add_months(today, 2).isoformat(), "reason": "x"})
    until = add_months(today, 2).isoformat()
    review = a.expect(201, "POST", f"/api/records/{vehicle}/keep", {"until": until, "reason": "trial of MK-2026-0042 pending"})["id"]
    kept = a.expect(200, "GET", f"/api/records/{review}")
    check(kept["kind"] == "review" and kept["fields"]["record_id"]["value"] == vehicle and kept["fields"]["keep_until"]["value"] == until,
          f"the review record is not the decision taken: {kept}")
    check(reviews_of(a, vehicle) == [review], f"the kept record does not list its review: {reviews_of(a, vehicle)}")
    # The subject of a closed request is reviewed within the request kind's six months.
    a.refused(422, "invalid", "POST", f"/api/records/{person}/keep",
              {"until": add_months(today, 7).isoformat(), "reason": "still wanted"}, field="until")
    hit = a.expect(200, "GET", f"/api/records/{person}")["hits"][0]["id"]
    a.refused(422, "invalid", "POST", f"/api/records/{hit}/keep", {"until": until, "reason": "x"})
    check(a.expect(200, "GET", "/api/reviews") == [], "a record kept until a later day is due for review")
    wait_for("the review on the vehicle at rs-presevo", lambda: reviews_of(b, vehicle) == [review], seconds=60)
    b.refused(403, "not_allowed", "POST", f"/api/records/{vehicle}/keep", {"until": until, "reason": "ours too"})
    b.expect(200, "GET", "/api/reviews")
    audit = a.expect(200, "GET", "/api/audit?limit=200")
    check(any(e["action"] == "list" and e["detail"] == "reviews due" for e in audit)
          and any(e["action"] == "create" and e["records"] == [review, vehicle] and e["detail"] == f"review on {vehicle}" for e in audit),
          "mk-tabanovce's audit log lacks the review list or the keep")


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
        sender = Client(contract, *demo.nodes["rs-presevo"])
        asked = sender.expect(201, "POST", "/api/requests", {
            "to": "mk-tabanovce", "urgency": "urgent", "question": "Is the vehicle SK 777 ZZ known to you?",
            "purpose": "A vehicle seen at a robbery in Preševo", "offence": "armed robbery",
            "availability_reasons": "registered in North Macedonia", "urgent_ground": "loss_of_relevance",
            "urgent_reasons": "the vehicle is leaving the region", "language": "en", "requesting_authority": "Police Preševo",
            "case_number": "RS-2026-0777", "spoc_copy": "sent", "europol_copy": "not_needed", "europol_reason": "bilateral case"})["id"]
        wait_for("rs-presevo's request at mk-tabanovce",
                 lambda: any(r["id"] == asked for r in target.expect(200, "GET", "/api/requests?direction=incoming")), seconds=60)
        os.environ["PCCC_CONTRACT_REQUEST_ID"] = asked
        # A token of its own, whose name no generated call will hit: schemathesis makes and
        # revokes tokens of the names it generates.
        own = target.expect(201, "POST", "/api/tokens", {"name": "schemathesis-" + uuid.uuid4().hex, "days": 1})["token"]
        run_schemathesis(url, own, arguments.schemathesis_examples, arguments.artifacts)
    except Failure as failure:
        print(f"API contract test failed: {failure}", file=sys.stderr)
        sys.exit(1)
    finally:
        if demo is not None:
            demo.interrupt()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
