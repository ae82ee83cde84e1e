"""The locustfile as Locust loads it: one concrete user class per path the runner knows, each
with a task per workload, tagged with its profile. Probed in a child process, because Locust
monkey-patches the standard library on import."""

from __future__ import annotations

import json
import subprocess
import sys

from peaje.load.runner import LOCUSTFILE, PATH_CLASSES
from peaje.load.workloads import PROFILES, WORKLOADS

PROBE = r"""
import json, sys
from collections import Counter
from locust.util.load_locustfile import load_locustfile
user_classes, _ = load_locustfile(sys.argv[1])
def tasks(cls):
    # Locust expands {task: weight} into a list holding each task `weight` times.
    weights = Counter(cls.tasks)
    return sorted([t.__name__, sorted(t.locust_tag_set), n] for t, n in weights.items())
print(json.dumps({
    cls.path: {"class": name, "tasks": tasks(cls)} for name, cls in user_classes.items()
}))
"""


def test_every_path_has_its_user_class_and_every_workload():
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(LOCUSTFILE)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    users = json.loads(out.stdout.strip().splitlines()[-1])
    assert {path: user["class"] for path, user in users.items()} == PATH_CLASSES
    expected = sorted([w.name.replace(" ", "_"), sorted(w.tags), w.weight] for w in WORKLOADS)
    for user in users.values():
        assert user["tasks"] == expected
    assert {tag for w in WORKLOADS for tag in w.tags} == set(PROFILES)


def test_default_paths_fit_the_default_users_and_all_means_every_path():
    from peaje.load import runner

    default = runner.parse_args([])
    assert default.paths == runner.DEFAULT_PATHS
    assert len(default.paths) <= default.users  # `make load` with its defaults must start
    assert not any(p.endswith("-protobuf") for p in default.paths)
    assert runner.parse_args(["--paths", "all", "--users", "9"]).paths == tuple(runner.PATH_CLASSES)
