"""Project rules that a linter cannot know: only workflow.move() assigns a ticket's state."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
STATE_ASSIGNMENT = re.compile(r"\.state\s*=(?!=)")


def test_only_the_workflow_module_assigns_state():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "workflow.py" or "tests" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if STATE_ASSIGNMENT.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == [], "ticket.state is assigned outside workflow.move():\n" + "\n".join(offenders)


def test_the_rule_catches_an_assignment():
    assert STATE_ASSIGNMENT.search("    ticket.state = State.CLOSED")
    assert not STATE_ASSIGNMENT.search("    if ticket.state == State.CLOSED:")
