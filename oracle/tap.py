"""tap.py: the TAP output of the oracle's stand-alone checks (train_oracle.py, train_resume.py,
sched_oracle.py, half_oracle.py): ok() numbers and prints one check (with its diagnostic lines
when it fails), plan() prints the plan line at the end and returns the exit status."""
import sys

n_test = 0
failed = 0


def ok(cond, name, diag="", max_lines=None):
    global n_test, failed
    n_test += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + f" {n_test} - {name}")
    if diag and not cond:
        for line in str(diag).splitlines()[:max_lines]:
            print("#   " + line)
    sys.stdout.flush()


def plan():
    """The plan line; 1 if a check failed, else 0."""
    print(f"1..{n_test}")
    return 1 if failed else 0
