# Prints the accessibility tree of the running Vistazo as a screen reader reads it: one line
# per node, "role<TAB>name". Run with the session bus and display of the app under test.
import sys

import pyatspi


def walk(node, out):
    try:
        out.append(f"{node.getRoleName()}\t{node.name or ''}")
        count = node.childCount
    except Exception:
        return
    for index in range(min(count, 2000)):
        try:
            walk(node.getChildAtIndex(index), out)
        except Exception:
            pass


lines = []
for app in pyatspi.Registry.getDesktop(0):
    if app is not None and "vistazo" in (app.name or "").lower():
        walk(app, lines)
print("\n".join(lines))
sys.exit(0 if lines else 1)
