# Prints the accessibility tree of the running Vistazo as a screen reader reads it: one line
# per node, "role<TAB>name". With --where, each with where it is in the window, in pixels:
# "role<TAB>name<TAB>x y width height" (GTK 4.8 marks no node but the window as showing; one
# out of sight has no height). Run with the session bus and display of the app under test.
import sys

import pyatspi

WHERE = "--where" in sys.argv[1:]


def line(node):
    text = f"{node.getRoleName()}\t{node.name or ''}"
    if not WHERE:
        return text
    try:
        box = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        return f"{text}\t{box.x} {box.y} {box.width} {box.height}"
    except NotImplementedError:
        return f"{text}\t"


def walk(node, out):
    try:
        out.append(line(node))
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
