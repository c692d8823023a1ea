#!/usr/bin/env python3
"""Schemathesis against the real sync-server: no 5xx, and every documented response matches
its schema. Started by `cargo xtask test` with a small example budget.

usage: run.py SERVER_BINARY [MAX_EXAMPLES]

The server runs on SQLite in a temporary folder with rate limits off. The run is authenticated
with an API key (all scopes) of a fresh account that owns a workbench, a project and a
creative, so that list and read endpoints have something to return; API keys cannot log out,
change the password or revoke sessions, so the credential survives the run.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as res:
        text = res.read().decode()
        return json.loads(text) if text else None


def main():
    binary = sys.argv[1]
    max_examples = sys.argv[2] if len(sys.argv) > 2 else "10"
    st = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ)
        env.update({
            "CREATIVEFLOW_LIMITS__PER_IP_PER_SEC": "0",
            "CREATIVEFLOW_LIMITS__PER_USER_PER_SEC": "0",
            "CREATIVEFLOW_LIMITS__PER_KEY_PER_SEC": "0",
            "CREATIVEFLOW_LIMITS__AUTH_PER_IP_PER_MIN": "0",
            "CREATIVEFLOW_AUTH__ARGON2_MEMORY_KIB": "1024",
            "CREATIVEFLOW_AUTH__ARGON2_ITERATIONS": "1",
            "RUST_LOG": "warn",
        })
        env.pop("CREATIVEFLOW_CONFIG", None)
        server = subprocess.Popen(
            [binary, "--bind", "127.0.0.1:0", "--data-dir", data],
            stdout=subprocess.PIPE, stderr=open(os.path.join(data, "server.log"), "w"), env=env, text=True,
        )
        try:
            line = server.stdout.readline().strip()
            if not line.startswith("listening on "):
                sys.exit(f"the server did not start: {line!r}")
            base = line.removeprefix("listening on ")
            signup = call(base, "POST", "/api/v1/auth/signup",
                          {"email": "fuzz@example.com", "password": "correct horse battery", "display_name": "Fuzz"})
            token = signup["tokens"]["access_token"]
            key = call(base, "POST", "/api/v1/api-keys", {"name": "schemathesis", "scopes": ["read", "write", "manage"]},
                       token)["key"]
            me = call(base, "GET", "/api/v1/me", token=token)
            team = me["personal_team_id"]
            wb = call(base, "POST", f"/api/v1/teams/{team}/workbenches", {"name": "Fuzz bench"}, token)
            project = call(base, "POST", f"/api/v1/workbenches/{wb['id']}/projects", {"name": "Fuzz project"}, token)
            call(base, "POST", f"/api/v1/projects/{project['id']}/creatives", {"name": "Fuzz creative"}, token)
            cmd = [
                st, "run", f"{base}/api/openapi.json",
                "--checks", "not_a_server_error,response_schema_conformance",
                "--max-examples", max_examples,
                "--header", f"Authorization: Bearer {key}",
                "--workers", "1",
                "--request-timeout", "20",
                "--no-color",
                "--seed", "20261126",
                # Generated strings in headers or paths are not what this run is about.
                "--suppress-health-check", "all",
            ]
            print("==> " + " ".join(c if "Bearer" not in c else "Authorization: Bearer cf_…" for c in cmd), flush=True)
            result = subprocess.run(cmd, env=env)
            if result.returncode != 0:
                with open(os.path.join(data, "server.log")) as log:
                    tail = log.read()[-6000:]
                print("---- server log (tail) ----\n" + tail)
            sys.exit(result.returncode)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
