# Prints the accessibility tree of the running Vistazo as a screen reader reads it: one line
# per node, "role<TAB>name". With --where, each with where it is in the window, in pixels:
# "role<TAB>name<TAB>x y width height" (GTK 4.8 marks no node but the window as showing; one
# out of sight has no height). With --describe, each with its description:
# "role<TAB>name<TAB>description". With --press NAME, it presses the first button or tab so
# named instead, as a screen reader's user does. With --focused, only the node that has the
# keyboard focus: "role<TAB>name<TAB>description". Run with the session bus and display of the
# app under test.
import sys

import pyatspi

WHERE = "--where" in sys.argv[1:]
DESCRIBE = "--describe" in sys.argv[1:]
FOCUSED = "--focused" in sys.argv[1:]
PRESS = sys.argv[sys.argv.index("--press") + 1] if "--press" in sys.argv else None


def line(node):
    text = f"{node.getRoleName()}\t{node.name or ''}"
    if DESCRIBE or FOCUSED:
        return f"{text}\t{node.description or ''}"
    if not WHERE:
        return text
    try:
        box = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        return f"{text}\t{box.x} {box.y} {box.width} {box.height}"
    except NotImplementedError:
        return f"{text}\t"


def walk(node, out):
    try:
        if not FOCUSED or node.getState().contains(pyatspi.STATE_FOCUSED):
            out.append(line(node))
        count = node.childCount
    except Exception:
        return
    for index in range(min(count, 2000)):
        try:
            walk(node.getChildAtIndex(index), out)
        except Exception:
            pass


def press(node, name):
    try:
        if node.name == name and node.getRoleName() in ("push button", "toggle button", "page tab"):
            node.queryAction().doAction(0)
            return True
        return any(press(node.getChildAtIndex(i), name) for i in range(min(node.childCount, 2000)))
    except Exception:
        return False


lines = []
for app in pyatspi.Registry.getDesktop(0):
    if PRESS is not None:
        if app is not None and "vistazo" in (app.name or "").lower() and press(app, PRESS):
            sys.exit(0)
        continue
    if app is not None and "vistazo" in (app.name or "").lower():
        walk(app, lines)
if PRESS is not None:
    sys.exit(1)
print("\n".join(lines))
sys.exit(0 if lines or FOCUSED else 1)
