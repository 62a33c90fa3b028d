"""Oracle for differential tests: dump each JSON value with PyYAML exactly as MLflow does.

stdin: a JSON array of values; stdout: a JSON array of the YAML texts. Needs PyYAML built
with libyaml (MLflow uses CSafeDumper when it is available, which is the usual wheel).
Floats are passed as {"__float__": "<repr>"} so 5.0 stays a float.
"""
import json
import sys

import yaml

if not yaml.__with_libyaml__:
    sys.exit("PyYAML without libyaml")


def fix(v):
    if isinstance(v, dict):
        if set(v) == {"__float__"}:
            return float(v["__float__"])
        return {k: fix(x) for k, x in v.items()}
    if isinstance(v, list):
        return [fix(x) for x in v]
    return v


values = json.load(sys.stdin)
out = [
    yaml.dump(fix(v), Dumper=yaml.CSafeDumper, default_flow_style=False, allow_unicode=True)
    for v in values
]
json.dump(out, sys.stdout)
