"""Print one line `N passed, N failed` summing JUnit XML reports (CI's closing line).

Errors count as failures; skipped tests are named after them when there are any. A report that is
missing or unreadable counts as one failure, so a crashed run never reads as green.
"""

import sys
import xml.etree.ElementTree as ET


def totals(paths: list[str]) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            failed += 1
            continue
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            tests, bad = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += tests - bad - skip
            failed += bad
            skipped += skip
    return passed, failed, skipped


if __name__ == "__main__":
    p, f, s = totals(sys.argv[1:])
    print(f"{p} passed, {f} failed" + (f", {s} skipped" if s else ""))
