"""``--junit OUT.xml``: the report as a JUnit test suite (what CI systems display): each
gate its own test case, and one per call. Text from the app (refusal details, names) is
cleaned of characters XML cannot carry."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from audiofork.simulate.report import Report

__all__ = ["junit_xml", "xml_text"]

# Characters XML 1.0 cannot carry: C0 controls other than tab, LF and CR, the surrogates,
# U+FFFE and U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str, limit: int = 4000) -> str:
    """``text`` with the characters XML cannot carry removed, cut to ``limit``."""
    cleaned = _ILLEGAL.sub("", text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "…"


def junit_xml(report: Report) -> str:
    suite = ET.Element("testsuite", name="audiofork.simulate")
    failures = 0
    for gate in report.gates:
        case = ET.SubElement(
            suite, "testcase", classname="audiofork.simulate.gates", name=f"gate {gate.name}"
        )
        if not gate.passed:
            failures += 1
            ET.SubElement(case, "failure", message=xml_text(gate.detail)).text = xml_text(
                gate.detail
            )
    for call in report.calls:
        case = ET.SubElement(
            suite, "testcase", classname="audiofork.simulate.calls", name=f"call {call.call}"
        )
        if call.failures:
            failures += 1
            text = "\n".join(call.failures)
            ET.SubElement(case, "failure", message=xml_text(call.failures[0], 500)).text = xml_text(
                text
            )
        steps = "\n".join(f"step {s.index} {s.kind}: {s.status} {s.detail}" for s in call.steps)
        ET.SubElement(case, "system-out").text = xml_text(steps)
    suite.set("tests", str(len(report.gates) + len(report.calls)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
