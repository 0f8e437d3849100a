"""The bench's peer for `regwatch diff`: what a short script in another
language does with the same two files. Parse both XML documents with the
standard library's ElementTree, take each element's text as one line
(whitespace collapsed, tag in front), and line-diff the two with difflib.

usage: python3 test/bench/peer_diff.py <old.xml> <new.xml>
Prints {"changes": <changed lines>} as JSON.
"""

import difflib
import json
import sys
import xml.etree.ElementTree as ET


def lines(path):
    out = []
    for element in ET.parse(path).getroot().iter():
        text = " ".join((element.text or "").split())
        if text:
            out.append(f"{element.tag}: {text}")
    return out


def main():
    old, new = lines(sys.argv[1]), lines(sys.argv[2])
    changed = [
        line
        for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    json.dump({"changes": len(changed)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
