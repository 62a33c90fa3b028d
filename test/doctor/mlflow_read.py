"""
An independent reader of an mlruns store that applies MLflow 2.12's reading rules (spec
mlruns-format §3, §4.2, §6.2, §12) with PyYAML's safe_load and Python's own int()/float(),
so the doctor's repairs are checked by the same parsers MLflow uses, not by mlr's.

Prints a JSON list of problems: every place where MLflow would crash, skip an experiment or
a run, or reject a key. `[]` means MLflow opens the store and sees every run.
Usage: python3 mlflow_read.py <store> [<ignored relative path>...]
   or: python3 mlflow_read.py --serve   (one request a line on stdin, a JSON list
       [store, ignored...]; one answer a line on stdout: one process serves a whole test file)
"""
import json
import os
import re
import sys

import yaml

RESERVED = {"tags", "datasets", "traces", "models"}
KEY_RE = re.compile(r"^[/\w.\- :]*$")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def problems_of(root, ignored):
    problems = []

    def rel(p):
        return os.path.relpath(p, root)

    def problem(p, what):
        if rel(p) not in ignored and not any(rel(p).startswith(i + "/") for i in ignored):
            problems.append(f"{rel(p)}: {what}")

    exp_dirs = []
    for name in sorted(os.listdir(root)):
        p = os.path.join(root, name)
        if os.path.isdir(p) and not name.endswith(".trash") and name != "models":
            exp_dirs.append((name, p))
    trash = os.path.join(root, ".trash")
    if os.path.isdir(trash):
        for name in sorted(os.listdir(trash)):
            p = os.path.join(trash, name)
            if os.path.isdir(p):
                exp_dirs.append((name, p))

    for exp_id, d in exp_dirs:
        meta = os.path.join(d, "meta.yaml")
        if not os.path.isfile(meta):
            problem(d, "Malformed experiment: meta.yaml does not exist")
            continue
        try:
            m = load(meta)
        except Exception as e:  # noqa: BLE001 - MLflow lets the YAML error escape
            problem(meta, f"YAML error {type(e).__name__}")
            continue
        if not isinstance(m, dict):
            problem(meta, "empty or not a mapping (TypeError)")
            continue
        for k in ("experiment_id", "name", "artifact_location", "lifecycle_stage"):
            if k not in m:
                problem(meta, f"missing {k}")
        if str(m.get("experiment_id")) != exp_id:
            problem(meta, "Experiment ID mismatch")
        if m.get("lifecycle_stage") not in ("active", "deleted"):
            problem(meta, "invalid lifecycle_stage")
        if not isinstance(m.get("name"), str) or m.get("name") == "":
            problem(meta, "no name")

        for run_id in sorted(os.listdir(d)):
            rd = os.path.join(d, run_id)
            if not os.path.isdir(rd) or run_id in RESERVED:
                continue
            rmeta = os.path.join(rd, "meta.yaml")
            if not os.path.isfile(rmeta):
                problem(rd, "Malformed run: meta.yaml does not exist")
                continue
            try:
                r = load(rmeta)
            except Exception as e:  # noqa: BLE001
                problem(rmeta, f"YAML error {type(e).__name__}")
                continue
            if not isinstance(r, dict):
                problem(rmeta, "empty (AttributeError: 'NoneType' object has no attribute 'copy')")
                continue
            # 2.12 needs run_uuid; 3.x files have only run_id
            if "run_uuid" not in r and "run_id" not in r:
                problem(rmeta, "missing run_uuid")
            for k in ("experiment_id", "start_time", "end_time", "user_id"):
                if k not in r:
                    problem(rmeta, f"missing {k}")
            if r.get("user_id") is None or r.get("start_time") is None:
                problem(rmeta, "user_id/start_time cannot be None")
            if str(r.get("experiment_id")) != exp_id:
                problem(rmeta, "Wrong experiment ID")
            if str(r.get("run_id", r.get("run_uuid"))) != run_id:
                problem(rmeta, "run_id differs from the folder")
            status = r.get("status", 1)
            if not (isinstance(status, int) and not isinstance(status, bool) and 1 <= status <= 5):
                problem(rmeta, f"bad status {status!r}")
            if r.get("lifecycle_stage", "active") not in ("active", "deleted"):
                problem(rmeta, "Invalid lifecycle stage")

            for kind in ("params", "tags", "metrics"):
                base = os.path.join(rd, kind)
                for dirpath, _dirs, files in os.walk(base):
                    for fn in files:
                        fp = os.path.join(dirpath, fn)
                        key = os.path.relpath(fp, base).replace(os.sep, "/")
                        if not KEY_RE.match(key):
                            problem(fp, f"Invalid {kind[:-1]} name")
                        if kind != "metrics":
                            continue
                        with open(fp, encoding="latin-1") as f:
                            lines = f.readlines()
                        if not lines:
                            problem(fp, "No data found")
                        for line in lines:
                            fields = line.strip().split(" ")
                            if len(fields) not in (2, 3, 5):
                                problem(fp, f"persisted metric data contained {len(fields)} fields")
                                break
                            try:
                                int(fields[0])
                                float(fields[1])
                                if len(fields) > 2:
                                    int(fields[2])
                            except ValueError as e:
                                problem(fp, f"ValueError {e}")
                                break
    return problems


def main():
    if sys.argv[1:] == ["--serve"]:
        for line in sys.stdin:
            root, *ignored = json.loads(line)
            print(json.dumps(problems_of(root, set(ignored))), flush=True)
        return
    print(json.dumps(problems_of(sys.argv[1], set(sys.argv[2:]))))


main()
